"""One checkov run over a control copy of a Terraform root and one copy per breakage, shared by the
delivery root's tests (test_invariants.py) and the ECS root's (test_ecs_terraform.py).

A test class mixes in `CheckovBreakages` beside unittest.TestCase, sets SOURCE (the root), IDS (our
policies it checks), BREAKAGES ({name: ([(file, old, new)], {ids that must fail})}) and may
override `edit` and `var_files`; `add_breakage_tests` then adds one test per breakage.
"""

import shutil
import tempfile
from pathlib import Path

import checkov_run


class CheckovBreakages:
    SOURCE: Path
    IDS: list[str]
    BREAKAGES: dict
    maxDiff = None

    @staticmethod
    def edit(path: Path, old: str, new: str) -> None:
        text = path.read_text()
        if text.count(old) != 1:
            raise AssertionError(f"{path.name}: expected the text to edit exactly once, found {text.count(old)}: {old!r}")
        path.write_text(text.replace(old, new))

    @classmethod
    def var_files(cls, copy: Path) -> list[Path]:
        return []

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix=f"mediagate-{cls.SOURCE.name}-"))
        cls.edit_errors = {}
        shutil.copytree(cls.SOURCE, cls.tmp / "control", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
        var_files = cls.var_files(cls.tmp / "control")
        for name, (edits, _) in cls.BREAKAGES.items():
            target = cls.tmp / name
            shutil.copytree(cls.tmp / "control", target)
            var_files += cls.var_files(target)
            try:
                for file, old, new in edits:
                    cls.edit(target / file, old, new)
            except AssertionError as err:
                cls.edit_errors[name] = str(err)
        cls.report = checkov_run.run("terraform", cls.tmp, custom=True, only=cls.IDS, var_files=var_files or None)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def results_in(self, case: str) -> tuple[set[str], set[str]]:
        def mine(path):
            return Path(path).parts[1:2] == (case,) or f"/{case}/" in path

        failed = {cid for cid, _r, p in self.report.failed if mine(p)}
        passed = {cid for cid, _r, p in self.report.passed if mine(p)}
        return failed, passed

    def test_checkov_parsed_every_copy(self):
        self.assertEqual(self.report.problems, [])

    def test_control_module_passes_every_policy(self):
        failed, passed = self.results_in("control")
        self.assertEqual(failed, set())
        self.assertEqual(passed, set(self.IDS))

    def test_every_policy_is_broken_by_some_breakage(self):
        self.assertEqual(set().union(*(ids for _, ids in self.BREAKAGES.values())), set(self.IDS))

    def check_breakage(self, name: str):
        self.assertNotIn(name, self.edit_errors, self.edit_errors.get(name))
        failed, _ = self.results_in(name)
        self.assertEqual(failed, self.BREAKAGES[name][1], f"{name}: failing checks {failed}")

    @classmethod
    def add_breakage_tests(cls):
        for name in cls.BREAKAGES:
            setattr(cls, f"test_breaks_{name}", lambda self, n=name: self.check_breakage(n))
