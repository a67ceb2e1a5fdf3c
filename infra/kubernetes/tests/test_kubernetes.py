"""The manifests pass mediagate's invariants, the schema validator and checkov, and each of them
trips on a deliberately broken copy; the manifests agree with the Dockerfile and the README.
Run by scripts/check-kubernetes (python -m unittest, from this folder, in the tools' venv)."""

from __future__ import annotations

import copy
import re
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Any, Callable

import yaml

import dockerfile_invariants as dinv
import k8s_invariants as inv
import k8s_schema as schema  # not `schema`: a PyPI package of that name is in the venv

HERE = Path(__file__).resolve().parent
K8S = HERE.parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "infra" / "tests"))
import checkov_run  # noqa: E402  (infra/tests' offline checkov runner, shared with check-infra)

DOCS = inv.load(K8S)


def the(docs: list[dict], kind: str) -> dict:
    found = inv.of_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def pod(docs: list[dict]) -> dict:
    return the(docs, "Deployment")["spec"]["template"]["spec"]


def container(docs: list[dict]) -> dict:
    return pod(docs)["containers"][0]


def env(docs: list[dict], name: str) -> dict:
    return next(e for e in container(docs)["env"] if e["name"] == name)


def mount(docs: list[dict], path: str) -> dict:
    return next(m for m in container(docs)["volumeMounts"] if m["mountPath"] == path)


def volume(docs: list[dict], name: str) -> dict:
    return next(v for v in pod(docs)["volumes"] if v["name"] == name)


def secret(docs: list[dict], name: str) -> dict:
    return next(d for d in inv.of_kind(docs, "Secret") if d["metadata"]["name"] == name)


def drop(items: list, pred: Callable[[Any], bool]) -> None:
    before = len(items)
    items[:] = [i for i in items if not pred(i)]
    assert len(items) < before, "the breakage removed nothing: update it"


def both_levels(docs: list[dict], change: Callable[[dict], Any]) -> None:
    """The same change to the pod's and the container's securityContext (either one would do)."""
    change(pod(docs)["securityContext"])
    change(container(docs)["securityContext"])


def remove_docs(kind: str) -> Callable[[list[dict]], None]:
    return lambda docs: drop(docs, lambda d: d.get("kind") == kind)


def ingress_rule(docs: list[dict], port: int) -> dict:
    return next(r for r in the(docs, "NetworkPolicy")["spec"]["ingress"] if port in inv.ports_of(r))


# (what is broken, how, the invariant that must trip)
BREAKAGES: list[tuple[str, Callable[[list[dict]], None], str]] = [
    ("runAsNonRoot off", lambda d: both_levels(d, lambda sc: sc.update(runAsNonRoot=False)), "non-root (runAsNonRoot, 65532, fsGroup)"),
    ("runs as root", lambda d: container(d)["securityContext"].update(runAsUser=0), "non-root (runAsNonRoot, 65532, fsGroup)"),
    ("no fsGroup", lambda d: pod(d)["securityContext"].pop("fsGroup"), "non-root (runAsNonRoot, 65532, fsGroup)"),
    ("writable root", lambda d: container(d)["securityContext"].pop("readOnlyRootFilesystem"), "read-only root filesystem"),
    ("capabilities kept", lambda d: container(d)["securityContext"].pop("capabilities"), "no privileges (drop ALL, no escalation, seccomp)"),
    ("NET_BIND_SERVICE added", lambda d: container(d)["securityContext"]["capabilities"].update(add=["NET_BIND_SERVICE"]),
     "no privileges (drop ALL, no escalation, seccomp)"),
    ("privilege escalation allowed", lambda d: container(d)["securityContext"].update(allowPrivilegeEscalation=True),
     "no privileges (drop ALL, no escalation, seccomp)"),
    ("no seccomp profile", lambda d: both_levels(d, lambda sc: sc.pop("seccompProfile")), "no privileges (drop ALL, no escalation, seccomp)"),
    ("readiness on /healthz", lambda d: container(d)["readinessProbe"]["httpGet"].update(path="/healthz"), "probes on /healthz and /readyz"),
    ("liveness on /readyz (a database outage would restart every pod)",
     lambda d: container(d)["livenessProbe"]["httpGet"].update(path="/readyz"), "probes on /healthz and /readyz"),
    ("no startup probe", lambda d: container(d).pop("startupProbe"), "probes on /healthz and /readyz"),
    ("no memory limit", lambda d: container(d)["resources"]["limits"].pop("memory"), "resources set"),
    ("no requests", lambda d: container(d)["resources"].pop("requests"), "resources set"),
    ("no emptyDir at /tmp", lambda d: drop(container(d)["volumeMounts"], lambda m: m["mountPath"] == "/tmp"),
     "emptyDir at the writable paths"),
    ("key ring world-readable", lambda d: volume(d, "key-ring")["secret"].update(defaultMode=0o444),
     "key ring: read-only 0440 Secret volume, no subPath"),
    ("key ring through subPath", lambda d: mount(d, inv.KEY_RING_DIR).update(subPath="key-ring.json"),
     "key ring: read-only 0440 Secret volume, no subPath"),
    ("key ring mount writable", lambda d: mount(d, inv.KEY_RING_DIR).pop("readOnly"), "key ring: read-only 0440 Secret volume, no subPath"),
    ("key ring file elsewhere", lambda d: env(d, "MEDIAGATE_SIGNING__KEY_RING_FILE").update(value="/keys/ring.json"),
     "key ring: read-only 0440 Secret volume, no subPath"),
    ("database URL as a literal", lambda d: container(d)["env"].append({"name": "MEDIAGATE_DATABASE__URL", "value": "postgres://u:p@db/x"}),
     "no literal secrets"),
    ("HS256 secret in the ConfigMap", lambda d: the(d, "ConfigMap")["data"].update(MEDIAGATE_AUTH__HS256_SECRET="x" * 40), "no literal secrets"),
    ("a real-looking secret in the example", lambda d: secret(d, "mediagate-key-ring")["stringData"].update({"key-ring.json": '{"active":"K1"}'}),
     "no literal secrets"),
    ("rollout may drop a pod", lambda d: the(d, "Deployment")["spec"]["strategy"]["rollingUpdate"].update(maxUnavailable=1),
     "rollout keeps capacity (3 replicas, maxUnavailable 0, HPA)"),
    ("one replica", lambda d: the(d, "Deployment")["spec"].update(replicas=1), "rollout keeps capacity (3 replicas, maxUnavailable 0, HPA)"),
    ("no topology spread", lambda d: pod(d).pop("topologySpreadConstraints"), "rollout keeps capacity (3 replicas, maxUnavailable 0, HPA)"),
    ("no HPA", remove_docs("HorizontalPodAutoscaler"), "rollout keeps capacity (3 replicas, maxUnavailable 0, HPA)"),
    ("no PDB", remove_docs("PodDisruptionBudget"), "PodDisruptionBudget present"),
    ("PDB selects other pods", lambda d: the(d, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/name": "other"}),
     "PodDisruptionBudget present"),
    ("no NetworkPolicy", remove_docs("NetworkPolicy"), "NetworkPolicy present and narrow"),
    ("metrics open to every namespace", lambda d: ingress_rule(d, 9090)["from"][0].update(namespaceSelector={}),
     "NetworkPolicy present and narrow"),
    ("an ingress rule for every port", lambda d: ingress_rule(d, 8080).pop("ports"), "NetworkPolicy present and narrow"),
    ("egress not restricted", lambda d: the(d, "NetworkPolicy")["spec"].update(policyTypes=["Ingress"]), "NetworkPolicy present and narrow"),
]


class Invariants(unittest.TestCase):
    def test_the_manifests_hold_every_invariant(self):
        for name, problems in inv.check(DOCS).items():
            with self.subTest(invariant=name):
                self.assertEqual(problems, [])

    def test_each_breakage_trips_its_invariant_and_only_it(self):
        for what, breakage, invariant in BREAKAGES:
            with self.subTest(breakage=what):
                self.assertIn(invariant, inv.INVARIANTS)
                docs = copy.deepcopy(DOCS)
                breakage(docs)
                results = inv.check(docs)
                self.assertNotEqual(results[invariant], [], f"{what}: {invariant!r} did not trip")
                others = {n: p for n, p in results.items() if n != invariant and p}
                self.assertEqual(others, {}, f"{what}: other invariants tripped too")

    def test_every_invariant_has_a_breakage(self):
        self.assertEqual({b[2] for b in BREAKAGES}, set(inv.INVARIANTS))

    def test_a_broken_copy_on_disk_trips_through_the_loader(self):
        with tempfile.TemporaryDirectory() as tmp:
            for path in K8S.glob("*.yaml"):
                text = path.read_text()
                if path.name == "deployment.yaml":
                    text = text.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")
                (Path(tmp) / path.name).write_text(text)
            results = inv.check(inv.load(Path(tmp)))
            self.assertNotEqual(results["read-only root filesystem"], [])


def write_docs(folder: Path, docs: list[dict]) -> list[Path]:
    by_file: dict[str, list[dict]] = {}
    for d in docs:
        d = dict(d)
        by_file.setdefault(d.pop("__file__"), []).append(d)
    paths = []
    for name, items in by_file.items():
        path = folder / name
        path.write_text(yaml.safe_dump_all(items, sort_keys=False))
        paths.append(path)
    return paths


class Schema(unittest.TestCase):
    def test_the_manifests_are_valid(self):
        self.assertEqual(schema.validate(sorted(K8S.glob("*.yaml")), quiet=True), [])

    def check_broken(self, breakage: Callable[[list[dict]], None], expect: str) -> None:
        docs = copy.deepcopy(DOCS)
        breakage(docs)
        with tempfile.TemporaryDirectory() as tmp:
            problems = schema.validate(write_docs(Path(tmp), docs), quiet=True)
        self.assertTrue(any(expect in p for p in problems), problems)

    def test_a_misspelt_field_is_refused(self):
        def misspell(d):
            sc = container(d)["securityContext"]
            sc["readOnlyRootFilesytem"] = sc.pop("readOnlyRootFilesystem")
        self.check_broken(misspell, "readOnlyRootFilesytem")

    def test_a_wrong_type_is_refused(self):
        self.check_broken(lambda d: the(d, "PodDisruptionBudget")["spec"].update(minAvailable=[2]), "minAvailable")

    def test_an_unknown_api_version_is_refused(self):
        self.check_broken(lambda d: the(d, "HorizontalPodAutoscaler").update(apiVersion="autoscaling/v2beta9"), "no schema")


class Checkov(unittest.TestCase):
    def scan(self, docs: list[dict]) -> checkov_run.Report:
        with tempfile.TemporaryDirectory() as tmp:
            write_docs(Path(tmp), docs)
            return checkov_run.run("kubernetes", Path(tmp))

    def test_the_manifests_pass_with_reasoned_skips_only(self):
        report = checkov_run.run("kubernetes", K8S)
        self.assertTrue(report.ok, (report.failed, report.problems))
        self.assertGreater(len(report.passed), 50)
        for check_id, resource, _, reason in report.skipped:
            self.assertGreater(len(reason), 20, f"{check_id} on {resource} is skipped without a written reason")

    def test_breakages_trip_checkov_too(self):
        cases = [
            ("writable root", lambda d: container(d)["securityContext"].pop("readOnlyRootFilesystem"), "CKV_K8S_22"),
            ("no readiness probe", lambda d: container(d).pop("readinessProbe"), "CKV_K8S_9"),
            ("privilege escalation allowed", lambda d: container(d)["securityContext"].update(allowPrivilegeEscalation=True), "CKV_K8S_20"),
        ]
        # One checkov run for all three: each breakage in its own copy of the Deployment.
        docs = copy.deepcopy(DOCS)
        docs = [d for d in docs if d.get("kind") != "Deployment"]
        for i, (_, breakage, _) in enumerate(cases):
            copy_docs = copy.deepcopy(DOCS)
            breakage(copy_docs)
            dep = the(copy_docs, "Deployment")
            dep["metadata"]["name"] = f"broken-{i}"
            dep["__file__"] = f"broken-{i}.yaml"
            docs.append(dep)
        report = self.scan(docs)
        for i, (what, _, check_id) in enumerate(cases):
            with self.subTest(breakage=what):
                failed = {(c[0], c[2].lstrip("/")) for c in report.failed}
                self.assertIn((check_id, f"broken-{i}.yaml"), failed, report.failed)


class AgreesWithTheImageAndDocs(unittest.TestCase):
    def test_kustomization_lists_every_manifest_but_the_secret_template(self):
        kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
        files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
        self.assertEqual(set(kustomization["resources"]), files)

    def test_the_pod_runs_the_image_as_the_dockerfile_builds_it(self):
        _, stages = dinv.parse((REPO / "Dockerfile").read_text())
        final = stages[-1]
        uid, gid = (int(x) for x in final.last("USER").value.split(":"))
        sc = {**pod(DOCS)["securityContext"], **container(DOCS)["securityContext"]}
        self.assertEqual((sc["runAsUser"], sc["runAsGroup"], pod(DOCS)["securityContext"]["fsGroup"]), (uid, gid, gid))
        self.assertEqual(mount(DOCS, final.last("WORKDIR").value)["name"], "data")
        image_env: dict[str, str] = {}
        for e in final.all("ENV"):
            image_env.update(dinv.env_pairs(e.value))
        for key in ("MEDIAGATE_SERVER__LISTEN", "MEDIAGATE_SERVER__ADMIN_LISTEN", "MEDIAGATE_DEV"):
            self.assertEqual(env(DOCS, key)["value"], image_env[key], key)
        ports = {p["containerPort"] for p in container(DOCS)["ports"]}
        self.assertEqual(ports, {int(p) for e in final.all("EXPOSE") for p in e.value.split()})

    def test_the_readme_names_what_the_manifests_use(self):
        readme = (K8S / "README.md").read_text()
        for name in ("mediagate-key-ring", "mediagate-secrets", "key-ring.json", inv.KEY_RING_FILE,
                     "MEDIAGATE_SIGNING__RELOAD_INTERVAL_SECS", "/readyz", "kubectl apply -k infra/kubernetes"):
            self.assertIn(name, readme)
        self.assertIn(the(DOCS, "ConfigMap")["data"]["MEDIAGATE_SIGNING__RELOAD_INTERVAL_SECS"],
                      re.findall(r"reload_interval_secs[^.]*?(\d+) ?s", readme) or ["(none)"])


if __name__ == "__main__":
    unittest.main()
