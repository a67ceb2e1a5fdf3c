"""Validates every manifest against the Kubernetes API's JSON schemas, offline.

    python infra/kubernetes/tests/k8s_schema.py infra/kubernetes/*.yaml

kubernetes-validate bundles the schemas of each Kubernetes release; strict mode refuses a field
the API does not have (a misspelt `readOnlyRootFilesytem` would otherwise be silently dropped by
the API server, and the pod would run with a writable root). Two releases: the oldest these
manifests claim to support (the preStop `sleep` action is beta and on by default from 1.30) and
the newest bundled. The CLI only warns about a kind it has no schema for; here that fails,
since a typo in apiVersion or kind is exactly what it would hide. kustomization.yaml is not an
API object and is checked by test_kubernetes.py instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import kubernetes_validate
import yaml

VERSIONS = ("1.30.0", "1.37.0")
NOT_API_OBJECTS = {"kustomization.yaml"}


def validate(paths: list[Path], *, quiet: bool = False) -> list[str]:
    problems = []
    checked = 0
    for path in paths:
        if path.name in NOT_API_OBJECTS:
            continue
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        except yaml.YAMLError as err:
            problems.append(f"{path}: not YAML: {err}")
            continue
        if not docs:
            problems.append(f"{path}: no resources")
        for doc in docs:
            if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind"):
                problems.append(f"{path}: a document that is not a Kubernetes object (no apiVersion or kind)")
                continue
            name = f"{path}: {doc['kind']}/{(doc.get('metadata') or {}).get('name')}"
            for version in VERSIONS:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                    checked += 1
                except kubernetes_validate.ValidationError as err:
                    problems.append(f"{name} (Kubernetes {version}): {'.'.join(map(str, err.path))}: {err.message}")
                except kubernetes_validate.SchemaNotFoundError:
                    problems.append(f"{name} (Kubernetes {version}): no schema for apiVersion {doc.get('apiVersion')} kind {doc.get('kind')}")
    if checked == 0 and not problems:
        problems.append("no resources were validated")
    if not quiet:
        print(f"  {checked} resource validations against Kubernetes {', '.join(VERSIONS)} (strict)")
    return problems


def main(argv: list[str]) -> int:
    problems = validate([Path(a) for a in argv])
    for p in problems:
        print(f"  INVALID {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
