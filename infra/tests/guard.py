"""Runs mediagate's cfn-guard rules (infra/guard/*.guard) on CloudFormation templates.

    python infra/tests/guard.py TEMPLATE...     # prints one line per rule; exit 1 if any fails

Each template is held to the rules file RULES_BY_TEMPLATE names for it (by file name): the
delivery templates to mediagate.guard, the ECS ones to mediagate-ecs.guard. A template with no
entry is an error, so a new template cannot go unchecked.

Guard comes from the `cfn-guard-rs` wheel (Guard's engine as a Python extension). Its 0.3.3
release returns only the last partial 8 KiB block of a report longer than 8 KiB (each buffer
flush replaces the previous one). A report that short is whole JSON; a longer one is not. So:
all rules run at once first; if the report does not parse, each rule runs alone; and a rule
whose own report still does not parse is counted as failing, which is the only way a report can
grow that long (a passing or skipped rule reports just its name). The readable tail of such a
report is shown with it.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cfn_guard_rs.cfn_guard_rs import run_checks_rs  # pylint: disable=no-name-in-module
from cfnlint.decode import decode_str

INFRA = Path(__file__).resolve().parent.parent
RULES_FILE = INFRA / "guard" / "mediagate.guard"
ECS_RULES_FILE = INFRA / "guard" / "mediagate-ecs.guard"
RULES_BY_TEMPLATE = {
    "mediagate.yaml": RULES_FILE,
    "mediagate-oai.yaml": RULES_FILE,
    "mediagate-ecs.yaml": ECS_RULES_FILE,
    "mediagate-ecs-database.yaml": ECS_RULES_FILE,
}


@dataclass
class RuleResult:
    status: str  # PASS, FAIL or SKIP
    messages: list[str] = field(default_factory=list)


def load_template(path: Path) -> dict:
    """A CloudFormation YAML or JSON template as plain data (short-form tags expanded)."""
    template, matches = decode_str(Path(path).read_text())
    if matches:
        raise ValueError(f"{path}: cannot be parsed: {matches}")
    # decode_str gives dict/list subclasses that carry line numbers; json round-trip to plain.
    return json.loads(json.dumps(template))


def rules_for(path: Path) -> Path:
    try:
        return RULES_BY_TEMPLATE[Path(path).name]
    except KeyError:
        raise SystemExit(f"guard.py: no rules file for {path}; add it to RULES_BY_TEMPLATE in {__file__}") from None


def _split_rules(text: str, rules_file: Path = RULES_FILE) -> tuple[str, dict[str, str]]:
    """(everything that is not a plain named rule, {rule name: its text})."""
    common: list[str] = []
    rules: dict[str, str] = {}
    current: list[str] | None = None
    name = None
    for line in text.splitlines(keepends=True):
        if current is None:
            m = re.match(r"rule\s+([A-Za-z0-9_]+)\s*([({]|when\b)", line)
            if m and m.group(2) != "(":
                current, name = [line], m.group(1)
            else:
                common.append(line)
            continue
        current.append(line)
        if line.rstrip() == "}":
            rules[name] = "".join(current)
            current = None
    if current is not None:
        raise ValueError(f"{rules_file}: rule {name} is not closed by a '}}' line")
    return "".join(common), rules


def rule_names(rules_file: Path = RULES_FILE) -> list[str]:
    return sorted(_split_rules(rules_file.read_text(), rules_file)[1])


def _messages(report: dict) -> list[str]:
    out = []

    def walk(node):
        if isinstance(node, dict):
            msgs = node.get("messages")
            if isinstance(msgs, dict):
                for key in ("custom_message", "error_message"):
                    if msgs.get(key):
                        out.append(msgs[key].strip())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(report)
    return out


def _run(data: str, rules: str) -> dict | None:
    raw = run_checks_rs(data, rules, False)
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return {"unparseable": raw}


def check(template: dict, rules_file: Path = RULES_FILE) -> dict[str, RuleResult]:
    """{rule name: RuleResult} for every named rule of rules_file."""
    text = rules_file.read_text()
    common, rules = _split_rules(text, rules_file)
    data = json.dumps(template)
    whole = _run(data, text)
    if "unparseable" not in whole:
        return _results(whole, rules)
    results = {}
    for name, text in rules.items():
        one = _run(data, common + text)
        if "unparseable" in one:
            found = re.findall(r'"custom_message": "((?:[^"\\]|\\.)+)"', one["unparseable"])
            tail = "; ".join(dict.fromkeys(m.replace('\\"', '"') for m in found))
            results[name] = RuleResult("FAIL", [f"(long report, tail only) {tail}".strip()])
        else:
            results.update({k: v for k, v in _results(one, {name: text}).items() if k == name})
    return results


def _results(report: dict, rules: dict[str, str]) -> dict[str, RuleResult]:
    results = {name: RuleResult("PASS") for name in report.get("compliant", [])}
    results.update({name: RuleResult("SKIP") for name in report.get("not_applicable", [])})
    for item in report.get("not_compliant", []):
        rule = item.get("Rule", item)
        results[rule["name"]] = RuleResult("FAIL", _messages(rule))
    missing = set(rules) - set(results)
    if missing:
        raise RuntimeError(f"guard reported nothing for rules {sorted(missing)}: {report}")
    return {k: v for k, v in results.items() if k in rules}


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    failed = False
    for path in argv:
        rules_file = rules_for(Path(path))
        results = check(load_template(Path(path)), rules_file)
        by_status: dict[str, list[str]] = {}
        for name in sorted(results):
            by_status.setdefault(results[name].status, []).append(name)
        print(f"  {path} ({rules_file.name}): {len(by_status.get('PASS', []))} rules pass, "
              f"{len(by_status.get('FAIL', []))} fail, "
              f"not applicable (other variant or template): {', '.join(by_status.get('SKIP', [])) or 'none'}")
        for name in by_status.get("FAIL", []):
            failed = True
            print(f"  FAIL {name}")
            for msg in dict.fromkeys(results[name].messages):
                print(f"       {msg}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
