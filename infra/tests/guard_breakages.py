"""cfn-guard over deliberately broken copies of CloudFormation templates, shared by the delivery
templates' tests (test_invariants.py) and the ECS templates' (test_ecs.py).

A test class mixes in `GuardBreakages` beside unittest.TestCase and sets TEMPLATES (the templates
it breaks), RULES (the rules file, or None for guard.py's default) and BREAKAGES ({name:
(template, edit(data), {rules that must fail})}); `add_breakage_tests` adds one test per breakage.
"""

import copy
import json
import shutil
import tempfile
from pathlib import Path

import guard


class GuardBreakages:
    TEMPLATES: tuple[Path, ...]
    RULES: Path | None = None
    BREAKAGES: dict
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="mediagate-guard-"))
        cls.originals = {p: guard.load_template(p) for p in cls.TEMPLATES}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check(self, data: dict) -> dict:
        return guard.check(data, self.RULES) if self.RULES else guard.check(data)

    def test_every_rule_is_broken_by_some_breakage(self):
        broken = set().union(*(rules for _, _, rules in self.BREAKAGES.values()))
        names = guard.rule_names(self.RULES) if self.RULES else guard.rule_names()
        self.assertEqual(broken, set(names))

    def check_breakage(self, name: str):
        template, edit, expected = self.BREAKAGES[name]
        data = copy.deepcopy(self.originals[template])
        edit(data)
        self.assertNotEqual(data, self.originals[template], f"{name}: the edit changed nothing")
        path = self.tmp / f"{name}.json"
        path.write_text(json.dumps(data, indent=1))
        results = self.check(guard.load_template(path))
        failing = {n: r.messages for n, r in results.items() if r.status == "FAIL"}
        self.assertEqual(set(failing), expected, f"{name}: failing rules {failing}")

    @classmethod
    def add_breakage_tests(cls):
        for name in cls.BREAKAGES:
            setattr(cls, f"test_breaks_{name}", lambda self, n=name: self.check_breakage(n))
