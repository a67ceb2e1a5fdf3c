#!/usr/bin/env python3
"""Copies infra/functions/revocation.js into the CloudFormation templates' inline FunctionCode.

    python3 infra/functions/sync-inline.py           # rewrite the copies
    python3 infra/functions/sync-inline.py --check   # exit 1 if a copy differs (what the tests assert)

CloudFormation takes a CloudFront Function's code inline only (AWS::CloudFront::Function
FunctionCode), so each delivery template carries a copy, as a YAML literal block under the
RevocationFunction resource. Terraform reads the file itself (file() in cloudfront.tf).
infra/tests/test_revocation.py proves each copy, parsed as YAML, equals the file byte for byte.
Python 3 standard library only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
SOURCE = INFRA / "functions" / "revocation.js"
TEMPLATES = [INFRA / "cloudformation" / "mediagate.yaml", INFRA / "cloudformation" / "mediagate-oai.yaml"]
# The block starts at `FunctionCode: |` inside RevocationFunction and runs while lines are
# blank or indented deeper than that key.
START = re.compile(r"^(?P<indent> +)FunctionCode: \|\n", re.M)


def inline(template_text: str, code: str) -> str:
    resource = template_text.find("\n  RevocationFunction:\n")
    if resource < 0:
        raise ValueError("no RevocationFunction resource")
    m = START.search(template_text, resource)
    if not m:
        raise ValueError("RevocationFunction has no `FunctionCode: |` block")
    body_indent = m.group("indent") + "  "
    lines = template_text[m.end():].split("\n")
    n = 0
    while n < len(lines) and (lines[n] == "" or lines[n].startswith(body_indent)):
        n += 1
    while n > 0 and lines[n - 1] == "":  # trailing blank lines belong to what follows
        n -= 1
    if not code.endswith("\n") or code.endswith("\n\n"):
        raise ValueError(f"{SOURCE.name} must end with exactly one newline (a YAML `|` block keeps one)")
    block = "\n".join(body_indent + line if line else "" for line in code[:-1].split("\n"))
    rest = "\n".join(lines[n:])
    return template_text[: m.end()] + block + "\n" + rest


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    if argv and not check:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    code = SOURCE.read_text()
    stale = []
    for path in TEMPLATES:
        text = path.read_text()
        new = inline(text, code)
        if new != text:
            stale.append(path)
            if not check:
                path.write_text(new)
    for path in stale:
        print(f"{'differs' if check else 'rewrote'}: {path.relative_to(INFRA.parent)}")
    return 1 if (check and stale) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
