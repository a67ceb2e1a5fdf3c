#!/usr/bin/env python3
"""Turns the infrastructure's outputs into mediagate settings, as shell `export` lines.

    aws cloudformation describe-stacks --stack-name mediagate \\
        --query 'Stacks[0].Outputs' --output json | python3 infra/outputs-to-env.py > mediagate.env
    terraform -chdir=infra/terraform output -json | python3 infra/outputs-to-env.py > mediagate.env

Reads either shape from stdin (CloudFormation's [{"OutputKey", "OutputValue"}, ...], the whole
describe-stacks answer, or Terraform's {"name": {"value": ...}}) and prints one
`export MEDIAGATE_SECTION__KEY=value` per setting it can fill, plus comments for the outputs
that are not settings. Python 3 standard library only. The table in infra/README.md is this
mapping; scripts/check-infra keeps the two, and the templates' outputs, in step.
"""

from __future__ import annotations

import json
import shlex
import sys

# (CloudFormation output, Terraform output, mediagate setting or None)
MAPPING = [
    ("BucketName", "bucket_name", "s3.bucket"),
    ("BucketRegion", "bucket_region", "s3.region"),
    ("CloudFrontDomain", "cloudfront_domain", "cloudfront.domain"),
    ("DistributionId", "distribution_id", "invalidation.distribution_id"),
    ("ActivePublicKeyId", "active_public_key_id", "signing.key_pair_id"),
    ("StandbyPublicKeyId", "standby_public_key_id", "signing.extra_keys[].key_pair_id"),
    ("CookieDomain", "cookie_domain", "cookies.domain"),
    ("RevocationKeyValueStoreArn", "revocation_key_value_store_arn", "revocation.key_value_store_arn"),
    ("DistributionDomainName", "distribution_domain_name", None),
    ("ServicePolicyArn", "service_policy_arn", None),
    ("KmsKeyArn", "kms_key_arn", None),
]

NOTES = {
    "signing.extra_keys[].key_pair_id": "a list: add {key_pair_id, private_key_file} to signing.extra_keys in mediagate.toml",
    "DistributionDomainName": "point the alternate domain's DNS record (CNAME or alias) here",
    "ServicePolicyArn": "attach this IAM policy to the role the service runs as",
    "KmsKeyArn": "the bucket's KMS key; the service policy already grants its use",
}


def env_var(setting: str) -> str:
    """`section.key` -> MEDIAGATE_SECTION__KEY, as mediagate reads its environment."""
    section, key = setting.split(".", 1)
    return f"MEDIAGATE_{section.upper()}__{key.upper()}"


def read_outputs(doc) -> dict[str, str]:
    """{CloudFormation output name: value}, whichever tool produced `doc`."""
    if isinstance(doc, dict) and "Stacks" in doc:
        doc = doc["Stacks"][0].get("Outputs", [])
    if isinstance(doc, list):
        return {o["OutputKey"]: o["OutputValue"] for o in doc}
    if isinstance(doc, dict):
        by_tf = {tf: cfn for cfn, tf, _ in MAPPING}
        out = {}
        for name, body in doc.items():
            value = body.get("value") if isinstance(body, dict) else body
            if name in by_tf and value is not None:
                out[by_tf[name]] = str(value)
        return out
    raise ValueError("expected CloudFormation Outputs (a list) or `terraform output -json` (an object)")


def render(outputs: dict[str, str]) -> str:
    lines = ["# mediagate settings from the infrastructure's outputs (infra/outputs-to-env.py)"]
    for cfn, _tf, setting in MAPPING:
        value = outputs.get(cfn)
        if value in (None, ""):
            continue
        if setting is None:
            lines.append(f"# {cfn}={value}: {NOTES[cfn]}")
        elif setting in NOTES:
            lines.append(f"# {setting} = {value}: {NOTES[setting]}")
        else:
            lines.append(f"export {env_var(setting)}={shlex.quote(value)}")
    if outputs.get("DistributionId"):
        lines.append(f"export {env_var('invalidation.enabled')}=true")
    return "\n".join(lines) + "\n"


def main() -> int:
    try:
        outputs = read_outputs(json.load(sys.stdin))
    except (ValueError, KeyError, IndexError, TypeError) as err:
        print(f"outputs-to-env: cannot read the outputs on stdin: {err}", file=sys.stderr)
        return 2
    if not outputs:
        print("outputs-to-env: no known outputs on stdin", file=sys.stderr)
        return 2
    sys.stdout.write(render(outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
