"""Runs checkov offline and turns its JSON report into a verdict.

    python infra/tests/checkov_run.py cloudformation infra/cloudformation
    python infra/tests/checkov_run.py terraform infra/terraform      # + our policies, infra/checkov

checkov exits 0 when it could not parse a file (the file is simply left out), so the exit code
is not enough: a run fails here when any check failed, when the summary counts a parsing error,
or when nothing at all was scanned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
CUSTOM_CHECKS = INFRA / "checkov"
# Values for the ECS root's required variables, so checkov renders its (literal) container
# definitions; without them it leaves them as unreadable strings (see mediagate_ecs_checks.py).
ECS_VAR_FILE = INFRA / "terraform" / "ecs" / "terraform.tfvars.example"

# No network: --skip-download (no Prisma Cloud policies or guidelines), and these.
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",  # no download of the check-id mapping
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",  # no package (SCA) scanning
    "CKV_NO_PROMPT": "1",  # never ask anything
    "CHECKOV_VERSION_CHECK": "false",
    "ENABLE_DEFINITION_KEY": "FALSE",
    "LOG_LEVEL": "WARNING",
}
TIMEOUT_SECS = 300


@dataclass
class Report:
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (check id, resource, file)
    passed: list[tuple[str, str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str, str, str]] = field(default_factory=list)  # + the reason
    problems: list[str] = field(default_factory=list)  # parse errors, nothing scanned, ...

    @property
    def ok(self) -> bool:
        return not self.failed and not self.problems


def run(framework: str, target: Path, *, custom: bool = False, only: list[str] | None = None,
        var_files: list[Path] | None = None) -> Report:
    # As a module of this python, not the console script, whose #! names the venv's build path.
    cmd = [
        sys.executable, "-W", "ignore::SyntaxWarning", "-m", "checkov.main",
        "--skip-download",
        "--framework", framework,
        "--output", "json",
        "--directory" if Path(target).is_dir() else "--file", str(target),
    ]
    if custom:
        cmd += ["--external-checks-dir", str(CUSTOM_CHECKS)]
    if only:
        cmd += ["--check", ",".join(only)]
    for var_file in var_files or []:
        cmd += ["--var-file", str(var_file)]
    env = {**os.environ, **OFFLINE_ENV}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TIMEOUT_SECS, check=False)
    report = Report()
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report.problems.append(f"checkov printed no JSON report (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return report
    docs = doc if isinstance(doc, list) else [doc]
    scanned = 0
    for d in docs:
        summary = d.get("summary", d)
        scanned += summary.get("resource_count", 0) + summary.get("passed", 0) + summary.get("failed", 0)
        if summary.get("parsing_errors"):
            errors = d.get("results", {}).get("parsing_errors") or summary.get("parsing_errors")
            report.problems.append(f"checkov could not parse: {errors}")
        results = d.get("results", {})
        for c in results.get("failed_checks", []):
            report.failed.append((c["check_id"], c["resource"], c["file_path"]))
        for c in results.get("passed_checks", []):
            report.passed.append((c["check_id"], c["resource"], c["file_path"]))
        for c in results.get("skipped_checks", []):
            reason = (c.get("check_result") or {}).get("suppress_comment", "")
            report.skipped.append((c["check_id"], c["resource"], c["file_path"], reason))
    if proc.returncode not in (0, 1):
        report.problems.append(f"checkov exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    if scanned == 0:
        report.problems.append(f"checkov scanned nothing in {target} (unparseable, or no {framework} files)")
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("cloudformation", "terraform"):
        print("usage: checkov_run.py cloudformation|terraform PATH", file=sys.stderr)
        return 2
    framework, target = argv[0], Path(argv[1])
    terraform = framework == "terraform"
    report = run(framework, target, custom=terraform, var_files=[ECS_VAR_FILE] if terraform else None)
    print(f"  {len(report.passed)} passed, {len(report.failed)} failed, {len(report.skipped)} skipped (each skip has its reason beside it in the source)")
    for check_id, resource, path in report.failed:
        print(f"  FAILED {check_id} {resource} ({path})")
    for problem in report.problems:
        print(f"  PROBLEM {problem}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
