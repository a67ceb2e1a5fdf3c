"""The Dockerfile passes mediagate's invariants, hadolint and checkov, and each of them trips on a
deliberately broken copy. Run by scripts/check-container (python -m unittest, from this folder,
with the venv that holds hadolint and checkov)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import dockerfile_invariants as inv

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "infra" / "tests"))
import checkov_run  # noqa: E402  (infra/tests' offline checkov runner, shared with check-infra)

DOCKERFILE = (REPO / "Dockerfile").read_text()
DOCKERIGNORE = (REPO / ".dockerignore").read_text()
HADOLINT = Path(sys.executable).parent / "hadolint"
HADOLINT_CONFIG = HERE / "hadolint.yaml"


def replaced(text: str, old: str, new: str) -> str:
    """`text` with `old` (which must be there: a breakage that changes nothing proves nothing)
    replaced by `new`."""
    if old not in text:
        raise AssertionError(f"the Dockerfile no longer contains {old!r}: update this breakage")
    return text.replace(old, new)


def without_instruction(text: str, keyword: str) -> str:
    """`text` without the (possibly continued) instruction starting with `keyword`."""
    lines = text.splitlines(keepends=True)
    out, skipping = [], False
    for line in lines:
        if not skipping and line.startswith(keyword + " "):
            skipping = True
        if skipping:
            if not line.rstrip("\n").endswith("\\"):
                skipping = False
            continue
        out.append(line)
    if len(out) == len(lines):
        raise AssertionError(f"the Dockerfile has no {keyword} instruction: update this breakage")
    return "".join(out)


# (what is broken, the broken Dockerfile, the invariant that must trip)
BREAKAGES = [
    ("runtime on debian, not distroless",
     replaced(replaced(DOCKERFILE, "ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12", "ARG RUNTIME_IMAGE=debian"),
              "ARG RUNTIME_TAG=nonroot", "ARG RUNTIME_TAG=bookworm-slim"),
     "runtime is distroless"),
    ("builder on a moving tag", replaced(DOCKERFILE, "ARG RUST_TAG=1.95-bookworm", "ARG RUST_TAG=latest"),
     "base images pinned"),
    ("USER by name", replaced(DOCKERFILE, "USER 65532:65532", "USER nonroot:nonroot"), "non-root numeric USER"),
    ("USER root", replaced(DOCKERFILE, "USER 65532:65532", "USER 0:0"), "non-root numeric USER"),
    ("no USER", without_instruction(DOCKERFILE, "USER"), "non-root numeric USER"),
    ("ADD of a URL", replaced(DOCKERFILE, "WORKDIR /build\n", "WORKDIR /build\nADD https://example.com/tool.tar.gz /tmp/\n"),
     "no ADD of URLs"),
    ("no HEALTHCHECK", without_instruction(DOCKERFILE, "HEALTHCHECK"), "HEALTHCHECK in exec form"),
    ("HEALTHCHECK through a shell",
     replaced(DOCKERFILE, 'CMD ["/usr/local/bin/mediagate", "healthcheck"]', "CMD curl -fsS http://127.0.0.1:8080/readyz"),
     "HEALTHCHECK in exec form"),
    ("WORKDIR elsewhere", replaced(DOCKERFILE, "WORKDIR /var/lib/mediagate", "WORKDIR /app"),
     "layout (binary, WORKDIR, ports, ENV)"),
    ("dev mode left to chance", replaced(DOCKERFILE, " \\\n    MEDIAGATE_DEV=false", ""),
     "layout (binary, WORKDIR, ports, ENV)"),
    ("admin listener on loopback",
     replaced(DOCKERFILE, "MEDIAGATE_SERVER__ADMIN_LISTEN=0.0.0.0:9090", "MEDIAGATE_SERVER__ADMIN_LISTEN=127.0.0.1:9090"),
     "layout (binary, WORKDIR, ports, ENV)"),
    ("build without --locked",
     re.sub(r"cargo build --release --locked", "cargo build --release", DOCKERFILE),
     "locked release build"),
]


class Invariants(unittest.TestCase):
    def test_the_dockerfile_holds_every_invariant(self):
        for name, problems in inv.check(DOCKERFILE, DOCKERIGNORE).items():
            with self.subTest(invariant=name):
                self.assertEqual(problems, [])

    def test_each_breakage_trips_its_invariant_and_only_it(self):
        names = set(inv.check(DOCKERFILE).keys())
        for what, broken, invariant in BREAKAGES:
            with self.subTest(breakage=what):
                self.assertIn(invariant, names)
                results = inv.check(broken)
                self.assertNotEqual(results[invariant], [], f"{what}: {invariant!r} did not trip")
                others = {n: p for n, p in results.items() if n != invariant and p}
                self.assertEqual(others, {}, f"{what}: other invariants tripped too")

    def test_every_invariant_has_a_breakage(self):
        covered = {b[2] for b in BREAKAGES} | {".dockerignore keeps secrets and target/ out"}
        self.assertEqual(covered, set(inv.check(DOCKERFILE, DOCKERIGNORE).keys()))

    def test_dockerignore_without_keys_trips(self):
        broken = "\n".join(l for l in DOCKERIGNORE.splitlines() if l.strip() != "keys")
        self.assertNotEqual(broken, DOCKERIGNORE)
        self.assertNotEqual(inv.dockerignore(broken), [])

    def test_dockerignore_without_target_trips(self):
        broken = "\n".join(l for l in DOCKERIGNORE.splitlines() if l.strip() != "target")
        self.assertNotEqual(inv.dockerignore(broken), [])


def hadolint(text: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Dockerfile"
        path.write_text(text)
        # The project's settings, never a config file found in $HOME.
        return subprocess.run([str(HADOLINT), "--no-color", "--config", str(HADOLINT_CONFIG), str(path)],
                              capture_output=True, text=True, timeout=60, check=False)


@unittest.skipUnless(HADOLINT.exists(), "hadolint is not beside this python (run scripts/check-container)")
class Hadolint(unittest.TestCase):
    def test_the_dockerfile_is_clean(self):
        run = hadolint(DOCKERFILE)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

    def test_an_untagged_base_trips_dl3006(self):
        run = hadolint(replaced(DOCKERFILE, "FROM ${RUST_IMAGE}:${RUST_TAG} AS builder", "FROM rust AS builder"))
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("DL3006", run.stdout)

    def test_an_untrusted_registry_trips_dl3026(self):
        run = hadolint(replaced(DOCKERFILE, "FROM ${RUNTIME_IMAGE}:${RUNTIME_TAG}", "FROM quay.io/someone/base:1"))
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("DL3026", run.stdout)

    def test_a_cd_in_run_trips_dl3003(self):
        run = hadolint(replaced(DOCKERFILE, "RUN find src", "RUN cd src && cd .. && find src"))
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("DL3003", run.stdout)


class Checkov(unittest.TestCase):
    def scan(self, text: str) -> checkov_run.Report:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "Dockerfile"
            path.write_text(text)
            return checkov_run.run("dockerfile", path)

    def test_the_dockerfile_passes(self):
        report = self.scan(DOCKERFILE)
        self.assertTrue(report.ok, (report.failed, report.problems))
        self.assertGreater(len(report.passed), 10)

    def test_no_healthcheck_trips_ckv_docker_2(self):
        report = self.scan(without_instruction(DOCKERFILE, "HEALTHCHECK"))
        self.assertIn("CKV_DOCKER_2", {c[0] for c in report.failed})

    def test_root_user_trips_ckv_docker_8(self):
        report = self.scan(replaced(DOCKERFILE, "USER 65532:65532", "USER root"))
        self.assertIn("CKV_DOCKER_8", {c[0] for c in report.failed})

    def test_latest_base_trips_ckv_docker_7(self):
        report = self.scan(replaced(DOCKERFILE, "FROM ${RUNTIME_IMAGE}:${RUNTIME_TAG}", "FROM gcr.io/distroless/cc-debian12:latest"))
        self.assertIn("CKV_DOCKER_7", {c[0] for c in report.failed})


if __name__ == "__main__":
    unittest.main()
