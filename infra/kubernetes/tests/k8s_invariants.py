"""mediagate's own invariants on the Kubernetes manifests in infra/kubernetes.

    python infra/kubernetes/tests/k8s_invariants.py infra/kubernetes

The schema validator says the manifests are well-formed and checkov says they follow general
good practice; these say what mediagate needs: the pod is non-root with a read-only root and no
capabilities, probes hit /healthz and /readyz, the key ring is a read-only Secret volume that
mediagate accepts (0440 with the pod's fsGroup) and re-reads, there is a PDB and a default-deny
NetworkPolicy, and the rollout never drops capacity. Each has a deliberately broken copy in
test_kubernetes.py that proves it trips.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import yaml

UID = 65532
KEY_RING_DIR = "/etc/mediagate/keys"
KEY_RING_FILE = KEY_RING_DIR + "/key-ring.json"
WRITABLE = ("/var/lib/mediagate", "/tmp")
HTTP_PORT, ADMIN_PORT = 8080, 9090
MONITORING_NS, INGRESS_NS = "monitoring", "ingress-nginx"
# Settings that are secrets: never a literal value in a manifest (a file or a secretKeyRef).
SECRET_SETTINGS = ("MEDIAGATE_SIGNING__KEY_RING", "MEDIAGATE_DATABASE__URL", "MEDIAGATE_AUTH__HS256_SECRET", "DATABASE_URL")
NOT_RESOURCES = {"kustomization.yaml"}

Doc = dict[str, Any]


def load(folder: Path) -> list[Doc]:
    """Every resource in folder/*.yaml (not kustomization.yaml), each with `__file__`."""
    docs = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name in NOT_RESOURCES:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                doc["__file__"] = path.name
                docs.append(doc)
    return docs


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d.get("kind") == kind]


def where(doc: Doc) -> str:
    return f"{doc.get('__file__', '?')}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def workloads(docs: list[Doc]) -> list[tuple[Doc, Doc]]:
    """(workload, its pod spec) for everything that makes pods."""
    found = []
    for d in docs:
        if d.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            found.append((d, d.get("spec", {}).get("template", {}).get("spec", {})))
        elif d.get("kind") == "CronJob":
            found.append((d, d["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
        elif d.get("kind") == "Pod":
            found.append((d, d.get("spec", {})))
    return found


def containers(pod: Doc) -> list[Doc]:
    return list(pod.get("initContainers") or []) + list(pod.get("containers") or [])


def effective(pod: Doc, container: Doc, key: str) -> Any:
    """A securityContext field as the kubelet resolves it: the container's, else the pod's."""
    c = (container.get("securityContext") or {}).get(key)
    return c if c is not None else (pod.get("securityContext") or {}).get(key)


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def deployment(docs: list[Doc]) -> Doc | None:
    found = of_kind(docs, "Deployment")
    return found[0] if len(found) == 1 else None


# --- the invariants: each returns what is wrong, [] when it holds ---------------------------------


def non_root(docs: list[Doc]) -> list[str]:
    problems = []
    if not workloads(docs):
        problems.append("no workload at all")
    for w, pod in workloads(docs):
        for c in containers(pod):
            if effective(pod, c, "runAsNonRoot") is not True:
                problems.append(f"{where(w)}: container {c['name']} has no runAsNonRoot: true")
            for key in ("runAsUser", "runAsGroup"):
                if effective(pod, c, key) != UID:
                    problems.append(f"{where(w)}: container {c['name']} {key} is {effective(pod, c, key)}, not {UID} (the image's USER)")
        if (pod.get("securityContext") or {}).get("fsGroup") != UID:
            problems.append(f"{where(w)}: pod fsGroup is not {UID}: the Secret files' group would not be mediagate's, and it refuses a 0440 file of another group")
    return problems


def read_only_root(docs: list[Doc]) -> list[str]:
    return [
        f"{where(w)}: container {c['name']} has no readOnlyRootFilesystem: true"
        for w, pod in workloads(docs)
        for c in containers(pod)
        if (c.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True
    ]


def no_privileges(docs: list[Doc]) -> list[str]:
    problems = []
    for w, pod in workloads(docs):
        for c in containers(pod):
            sc = c.get("securityContext") or {}
            caps = sc.get("capabilities") or {}
            if "ALL" not in (caps.get("drop") or []):
                problems.append(f"{where(w)}: container {c['name']} does not drop ALL capabilities")
            if caps.get("add"):
                problems.append(f"{where(w)}: container {c['name']} adds capabilities {caps['add']}")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where(w)}: container {c['name']} has no allowPrivilegeEscalation: false")
            if sc.get("privileged"):
                problems.append(f"{where(w)}: container {c['name']} is privileged")
            if (effective(pod, c, "seccompProfile") or {}).get("type") != "RuntimeDefault":
                problems.append(f"{where(w)}: container {c['name']} has no seccompProfile RuntimeDefault")
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(key):
                problems.append(f"{where(w)}: {key} is on")
    return problems


def probe_path(probe: Doc | None) -> tuple[str | None, Any]:
    get = (probe or {}).get("httpGet") or {}
    return get.get("path"), get.get("port")


def probes(docs: list[Doc]) -> list[str]:
    problems = []
    for w, pod in workloads(docs):
        for c in pod.get("containers") or []:
            ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
            want = {"readinessProbe": "/readyz", "livenessProbe": "/healthz", "startupProbe": "/healthz"}
            for kind, path in want.items():
                got_path, port = probe_path(c.get(kind))
                port = ports.get(port, port)
                if got_path != path or port not in (HTTP_PORT, ADMIN_PORT):
                    problems.append(f"{where(w)}: container {c['name']} {kind} is GET {got_path} on {port}; expected GET {path} on {HTTP_PORT} or {ADMIN_PORT}")
    return problems


def resources(docs: list[Doc]) -> list[str]:
    problems = []
    for w, pod in workloads(docs):
        for c in containers(pod):
            res = c.get("resources") or {}
            for side in ("requests", "limits"):
                for what in ("cpu", "memory"):
                    if not (res.get(side) or {}).get(what):
                        problems.append(f"{where(w)}: container {c['name']} has no resources.{side}.{what}")
    return problems


def writable_volumes(docs: list[Doc]) -> list[str]:
    problems = []
    for w, pod in workloads(docs):
        empty = {v["name"] for v in pod.get("volumes") or [] if "emptyDir" in v}
        for c in pod.get("containers") or []:
            mounted = {m["mountPath"]: m["name"] for m in c.get("volumeMounts") or []}
            for path in WRITABLE:
                if mounted.get(path) not in empty:
                    problems.append(f"{where(w)}: container {c['name']} has no emptyDir at {path} (with a read-only root, the only places it may write)")
    return problems


def key_ring(docs: list[Doc]) -> list[str]:
    problems = []
    for w, pod in workloads(docs):
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        for c in pod.get("containers") or []:
            env = {e["name"]: e for e in c.get("env") or []}
            if (env.get("MEDIAGATE_SIGNING__KEY_RING_FILE") or {}).get("value") != KEY_RING_FILE:
                problems.append(f"{where(w)}: MEDIAGATE_SIGNING__KEY_RING_FILE is not {KEY_RING_FILE}")
            mounts = [m for m in c.get("volumeMounts") or [] if m.get("mountPath") == KEY_RING_DIR]
            if not mounts:
                problems.append(f"{where(w)}: nothing is mounted at {KEY_RING_DIR}")
                continue
            m = mounts[0]
            secret = (volumes.get(m["name"]) or {}).get("secret")
            if secret is None:
                problems.append(f"{where(w)}: {KEY_RING_DIR} is not a Secret volume")
                continue
            if m.get("readOnly") is not True:
                problems.append(f"{where(w)}: the key ring mount is not readOnly")
            if m.get("subPath") or m.get("subPathExpr"):
                problems.append(f"{where(w)}: the key ring is mounted with subPath, which kubelet never updates: rotations would need restarts")
            mode = secret.get("defaultMode")
            if mode not in (0o400, 0o440):
                problems.append(f"{where(w)}: the key ring Secret's defaultMode is {mode if mode is None else oct(mode)}, not 0440 (or 0400): mediagate refuses a secret file others may read")
            for item in secret.get("items") or []:
                if item.get("mode") is not None and item["mode"] & 0o007:
                    problems.append(f"{where(w)}: key ring item {item['key']} has mode {oct(item['mode'])}")
    return problems


def no_literal_secrets(docs: list[Doc]) -> list[str]:
    problems = []
    for w, pod in workloads(docs):
        for c in containers(pod):
            for e in c.get("env") or []:
                if e["name"] in SECRET_SETTINGS and "value" in e:
                    problems.append(f"{where(w)}: {e['name']} is a literal value; mount it as a file (*_FILE) or use secretKeyRef")
    for cm in of_kind(docs, "ConfigMap"):
        for key in (cm.get("data") or {}):
            if key in SECRET_SETTINGS:
                problems.append(f"{where(cm)}: {key} is a secret in a ConfigMap (readable by anyone who may read ConfigMaps)")
    for s in of_kind(docs, "Secret"):
        for key, value in {**(s.get("stringData") or {}), **(s.get("data") or {})}.items():
            if "REPLACE-ME" not in str(value):
                problems.append(f"{where(s)}: {key} holds something other than a REPLACE-ME placeholder: no real secret belongs in the repository")
    return problems


def rollout(docs: list[Doc]) -> list[str]:
    d = deployment(docs)
    if d is None:
        return ["expected exactly one Deployment"]
    problems = []
    spec = d.get("spec", {})
    if (spec.get("replicas") or 1) < 3:
        problems.append(f"{where(d)}: replicas {spec.get('replicas')} < 3")
    strategy = spec.get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate" or (strategy.get("rollingUpdate") or {}).get("maxUnavailable") != 0:
        problems.append(f"{where(d)}: a rollout must be RollingUpdate with maxUnavailable 0 (a new pod ready before an old one goes)")
    if not spec.get("template", {}).get("spec", {}).get("topologySpreadConstraints"):
        problems.append(f"{where(d)}: no topologySpreadConstraints: all replicas may land on one node")
    hpas = [h for h in of_kind(docs, "HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"].get("name") == d["metadata"]["name"]]
    if not hpas:
        problems.append(f"no HorizontalPodAutoscaler targets Deployment {d['metadata']['name']}")
    elif hpas[0]["spec"].get("minReplicas", 1) < 3:
        problems.append(f"{where(hpas[0])}: minReplicas < 3")
    return problems


def disruption_budget(docs: list[Doc]) -> list[str]:
    d = deployment(docs)
    if d is None:
        return ["expected exactly one Deployment"]
    labels = d["spec"]["template"]["metadata"].get("labels") or {}
    pdbs = [p for p in of_kind(docs, "PodDisruptionBudget") if labels_match(p["spec"].get("selector", {}).get("matchLabels") or {}, labels)]
    if not pdbs:
        return [f"no PodDisruptionBudget selects the pods of {where(d)}: a node drain may evict them all at once"]
    if pdbs[0]["spec"].get("minAvailable") != 2:
        return [f"{where(pdbs[0])}: minAvailable is {pdbs[0]['spec'].get('minAvailable')}, expected 2"]
    return []


def ports_of(rule: Doc) -> set[int]:
    return {p.get("port") for p in rule.get("ports") or []}


def from_namespaces(rule: Doc) -> set[str | None]:
    """The namespaces a rule admits by name; None for anything wider (an ipBlock, a pod selector
    in the policy's own namespace, or no `from` at all: everyone)."""
    peers = rule.get("from")
    if not peers:
        return {None}
    return {((p.get("namespaceSelector") or {}).get("matchLabels") or {}).get("kubernetes.io/metadata.name") for p in peers}


def network_policy(docs: list[Doc]) -> list[str]:
    d = deployment(docs)
    if d is None:
        return ["expected exactly one Deployment"]
    labels = d["spec"]["template"]["metadata"].get("labels") or {}
    policies = [n for n in of_kind(docs, "NetworkPolicy") if labels_match(n["spec"].get("podSelector", {}).get("matchLabels") or {}, labels)]
    if not policies:
        return [f"no NetworkPolicy selects the pods of {where(d)}: every pod in the cluster may reach the admin port"]
    problems = []
    n = policies[0]
    spec = n["spec"]
    if set(spec.get("policyTypes") or []) != {"Ingress", "Egress"}:
        problems.append(f"{where(n)}: policyTypes must be Ingress and Egress (default deny both ways)")
    for rule in spec.get("ingress") or []:
        ports = ports_of(rule)
        if not ports:
            problems.append(f"{where(n)}: an ingress rule admits every port")
        if ADMIN_PORT in ports and from_namespaces(rule) != {MONITORING_NS}:
            problems.append(f"{where(n)}: port {ADMIN_PORT} (/metrics) is open to {from_namespaces(rule)}, not only the {MONITORING_NS} namespace")
        if HTTP_PORT in ports and from_namespaces(rule) != {INGRESS_NS}:
            problems.append(f"{where(n)}: port {HTTP_PORT} is open to {from_namespaces(rule)}, not only the {INGRESS_NS} namespace")
        if ports - {HTTP_PORT, ADMIN_PORT}:
            problems.append(f"{where(n)}: ingress admits ports {sorted(ports - {HTTP_PORT, ADMIN_PORT})}")
    egress_ports = set().union(*(ports_of(r) for r in spec.get("egress") or [])) if spec.get("egress") else set()
    if any(not ports_of(r) for r in spec.get("egress") or []):
        problems.append(f"{where(n)}: an egress rule allows every port")
    if egress_ports != {53, 5432, 443}:
        problems.append(f"{where(n)}: egress ports are {sorted(egress_ports)}; expected DNS 53, PostgreSQL 5432, HTTPS 443")
    return problems


INVARIANTS: dict[str, Callable[[list[Doc]], list[str]]] = {
    "non-root (runAsNonRoot, 65532, fsGroup)": non_root,
    "read-only root filesystem": read_only_root,
    "no privileges (drop ALL, no escalation, seccomp)": no_privileges,
    "probes on /healthz and /readyz": probes,
    "resources set": resources,
    "emptyDir at the writable paths": writable_volumes,
    "key ring: read-only 0440 Secret volume, no subPath": key_ring,
    "no literal secrets": no_literal_secrets,
    "rollout keeps capacity (3 replicas, maxUnavailable 0, HPA)": rollout,
    "PodDisruptionBudget present": disruption_budget,
    "NetworkPolicy present and narrow": network_policy,
}


def check(docs: list[Doc]) -> dict[str, list[str]]:
    return {name: fn(docs) for name, fn in INVARIANTS.items()}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: k8s_invariants.py FOLDER", file=sys.stderr)
        return 2
    bad = 0
    for name, problems in check(load(Path(argv[0]))).items():
        print(f"  {'ok    ' if not problems else 'FAILED'} {name}")
        for p in problems:
            print(f"           {p}")
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
