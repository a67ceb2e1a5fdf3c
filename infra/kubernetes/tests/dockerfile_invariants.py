"""mediagate's own invariants on the repository's Dockerfile and .dockerignore.

    python infra/kubernetes/tests/dockerfile_invariants.py Dockerfile [.dockerignore]

hadolint and checkov judge a Dockerfile in general; these say what infra/kubernetes and the ECS
task definitions rely on: the runtime stage is distroless and runs as 65532:65532, the binary and
its working directory are where the manifests expect them, the image checks itself without a
shell, and no URL is fetched at build time. Each invariant has a deliberately broken copy in
test_dockerfile.py that proves it trips.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

BINARY = "/usr/local/bin/mediagate"
UID_GID = "65532:65532"
WORKDIR = "/var/lib/mediagate"
PORTS = {"8080", "9090"}
LISTENERS = {
    "MEDIAGATE_SERVER__LISTEN": "0.0.0.0:8080",
    "MEDIAGATE_SERVER__ADMIN_LISTEN": "0.0.0.0:9090",
}
DISTROLESS = "gcr.io/distroless/"
MUST_IGNORE = ("target", "data", "keys", ".git")


@dataclass
class Instruction:
    line: int  # where it starts, 1-based
    keyword: str  # upper case: FROM, RUN, ...
    value: str  # the rest, continuation lines joined


@dataclass
class Stage:
    base: str  # FROM's image, build args resolved from their defaults
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None


def parse(text: str) -> tuple[list[Instruction], list[Stage]]:
    """Instructions in order, and the stages they make. Enough of the Dockerfile syntax for the
    file this repository writes: comments, backslash continuations, exec and shell forms."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        joined = " ".join(p for p in pending if p)
        pending = []
        keyword, _, value = joined.partition(" ")
        instructions.append(Instruction(start, keyword.upper(), value.strip()))

    args: dict[str, str] = {}
    stages: list[Stage] = []
    for ins in instructions:
        if ins.keyword == "ARG" and not stages:
            name, _, default = ins.value.partition("=")
            args[name.strip()] = default.strip().strip('"')
        elif ins.keyword == "FROM":
            words = [w for w in ins.value.split() if not w.startswith("--platform")]
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m[1] or m[2], m[0]), words[0])
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append(Stage(base, name))
        elif stages:
            stages[-1].instructions.append(ins)
    return instructions, stages


def exec_form(value: str) -> list[str] | None:
    """The JSON array of an exec-form instruction, or None for the shell form."""
    if not value.startswith("["):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed) else None


def env_pairs(value: str) -> dict[str, str]:
    """ENV's key=value pairs (the legacy `ENV key value` form too)."""
    words = shlex.split(value)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(w.split("=", 1) for w in words if "=" in w)


# --- the invariants: each returns what is wrong, [] when it holds ---------------------------------


def runtime_is_distroless(stages: list[Stage]) -> list[str]:
    if not stages:
        return ["no FROM at all"]
    base = stages[-1].base
    if not base.startswith(DISTROLESS):
        return [f"the runtime stage (the last FROM) is {base!r}, not a {DISTROLESS} image: no shell, no package manager in production"]
    if "$" in base:
        return [f"the runtime stage's image {base!r} names a build arg without a default"]
    return []


def bases_pinned(stages: list[Stage]) -> list[str]:
    problems = []
    names = {s.name for s in stages if s.name}
    for s in stages:
        if s.base in names or s.base == "scratch":
            continue
        image = s.base.split("@", 1)[0]
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else None
        if tag is None or tag == "latest":
            problems.append(f"FROM {s.base!r} is not pinned to a tag (a moving 'latest' builds a different image tomorrow)")
    return problems


def non_root_user(stages: list[Stage]) -> list[str]:
    if not stages:
        return ["no stages"]
    user = stages[-1].last("USER")
    if user is None:
        return ["the runtime stage sets no USER: the container would run as root"]
    value = user.value.strip()
    if not re.fullmatch(r"\d+:\d+", value):
        return [f"USER {value} (line {user.line}) is not numeric uid:gid: runAsNonRoot cannot verify a name"]
    if value.split(":")[0] == "0" or value.split(":")[1] == "0":
        return [f"USER {value} (line {user.line}) is root"]
    if value != UID_GID:
        return [f"USER {value} (line {user.line}) is not {UID_GID} (distroless nonroot; the manifests' runAsUser/fsGroup)"]
    return []


def no_remote_add(instructions: list[Instruction]) -> list[str]:
    problems = []
    for ins in instructions:
        if ins.keyword == "ADD":
            sources = [w for w in shlex.split(ins.value) if not w.startswith("--")][:-1]
            for src in sources:
                if re.match(r"(?i)^(https?|git|ftp)://|^git@|\.git(#|$)", src):
                    problems.append(f"ADD {src} (line {ins.line}) fetches from the network at build time, unverified: download in a RUN with a checksum, or vendor it")
    return problems


def healthcheck(stages: list[Stage]) -> list[str]:
    if not stages:
        return ["no stages"]
    hc = stages[-1].last("HEALTHCHECK")
    if hc is None:
        return ["the runtime stage has no HEALTHCHECK (ECS and docker use it; the image has no shell for a curl)"]
    if hc.value.upper() == "NONE":
        return [f"HEALTHCHECK NONE (line {hc.line}) turns the health check off"]
    cmd = hc.value[hc.value.find("CMD") + 3 :].strip() if "CMD" in hc.value else ""
    argv = exec_form(cmd)
    if not argv or argv[:2] != [BINARY, "healthcheck"]:
        return [f"HEALTHCHECK (line {hc.line}) must run [\"{BINARY}\", \"healthcheck\", ...] in exec form (distroless has no /bin/sh): got {cmd!r}"]
    return []


def layout(stages: list[Stage]) -> list[str]:
    """Where the manifests and task definitions expect things."""
    if not stages:
        return ["no stages"]
    final = stages[-1]
    problems = []
    entry = final.last("ENTRYPOINT")
    if entry is None or exec_form(entry.value) != [BINARY]:
        problems.append(f"ENTRYPOINT must be [\"{BINARY}\"] (exec form: signals reach the process)")
    workdir = final.last("WORKDIR")
    if workdir is None or workdir.value != WORKDIR:
        problems.append(f"WORKDIR must be {WORKDIR} (the manifests mount the writable emptyDir there)")
    if not any(BINARY in c.value for c in final.all("COPY")):
        problems.append(f"no COPY puts the binary at {BINARY}")
    exposed = {p.split("/")[0] for e in final.all("EXPOSE") for p in e.value.split()}
    if exposed != PORTS:
        problems.append(f"EXPOSE {sorted(exposed)}; expected {sorted(PORTS)} (main and admin listeners)")
    env: dict[str, str] = {}
    for e in final.all("ENV"):
        env.update(env_pairs(e.value))
    for key, want in LISTENERS.items():
        if env.get(key) != want:
            problems.append(f"ENV {key} is {env.get(key)!r}, expected {want!r}")
    if env.get("MEDIAGATE_DEV", "").lower() != "false":
        problems.append("ENV MEDIAGATE_DEV=false is missing: with nothing configured the image would start in dev mode on 0.0.0.0")
    return problems


def locked_release_build(stages: list[Stage]) -> list[str]:
    runs = [i.value for s in stages[:-1] for i in s.all("RUN")]
    if not any(re.search(r"cargo build\b(?=.*--release)(?=.*--locked)", r) for r in runs):
        return ["no `cargo build --release --locked` in a build stage: Cargo.lock must decide every dependency"]
    return []


def dockerignore(text: str) -> list[str]:
    patterns = {line.strip().rstrip("/").lstrip("/") for line in text.splitlines() if line.strip() and not line.startswith("#")}
    missing = [p for p in MUST_IGNORE if p not in patterns]
    if missing:
        return [f".dockerignore does not exclude {', '.join(missing)}: secrets (keys/, data/) or GBs of target/ would enter the build context"]
    return []


def check(dockerfile_text: str, dockerignore_text: str | None = None) -> dict[str, list[str]]:
    """Every invariant by name, with its problems."""
    instructions, stages = parse(dockerfile_text)
    results = {
        "runtime is distroless": runtime_is_distroless(stages),
        "base images pinned": bases_pinned(stages),
        "non-root numeric USER": non_root_user(stages),
        "no ADD of URLs": no_remote_add(instructions),
        "HEALTHCHECK in exec form": healthcheck(stages),
        "layout (binary, WORKDIR, ports, ENV)": layout(stages),
        "locked release build": locked_release_build(stages),
    }
    if dockerignore_text is not None:
        results[".dockerignore keeps secrets and target/ out"] = dockerignore(dockerignore_text)
    return results


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: dockerfile_invariants.py Dockerfile [.dockerignore]", file=sys.stderr)
        return 2
    ignore = Path(argv[1]).read_text() if len(argv) == 2 else None
    results = check(Path(argv[0]).read_text(), ignore)
    bad = 0
    for name, problems in results.items():
        print(f"  {'ok    ' if not problems else 'FAILED'} {name}")
        for p in problems:
            print(f"           {p}")
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
