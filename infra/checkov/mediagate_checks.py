"""mediagate's own invariants for its Terraform (infra/terraform/), as checkov custom policies.

Loaded with `checkov --external-checks-dir infra/checkov`. The CloudFormation templates are
held to the same invariants by cfn-guard (infra/guard/mediagate.guard). Each check is proved
to fail on a broken copy of the module by infra/tests/test_invariants.py.

checkov hands a check each block's attributes as lists (`{"attr": [value]}`), with variables and
locals already rendered from their defaults or the --var-file; references it cannot resolve stay
as strings such as "aws_cloudfront_key_group.signers.id". A block whose count renders to 0 is
not checked (UNKNOWN), which is why scripts/check-infra runs one pass per variant.
"""

from __future__ import annotations

import json
import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

CLOUDFRONT = "cloudfront.amazonaws.com"


def _one(conf: dict, key: str, default: Any = None) -> Any:
    """The single value checkov stores for `key` (it wraps every attribute in a list)."""
    value = conf.get(key, [default])
    if isinstance(value, list):
        return value[0] if value else default
    return value


def _list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        # Lists of lists appear when a list attribute is wrapped once more.
        if len(value) == 1 and isinstance(value[0], list):
            return value[0]
        return value
    return [value]


def _blocks(conf: dict, key: str) -> list[dict]:
    return [b for b in _list(conf.get(key)) if isinstance(b, dict)]


def _is_set(value: Any) -> bool:
    return value not in (None, "", [], [None], [""], "null")


# ---------------------------------------------------------------------------------------------
class TrustedKeyGroupsOnEveryBehavior(BaseResourceCheck):
    """Every cache behavior (default and ordered) only serves requests signed by a key group."""

    def __init__(self) -> None:
        super().__init__(
            name="mediagate: every CloudFront cache behavior has trusted_key_groups (no trusted_signers)",
            id="CKV_MG_1",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_cloudfront_distribution",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        behaviors = _blocks(conf, "default_cache_behavior")
        if not behaviors:
            return CheckResult.FAILED
        behaviors += _blocks(conf, "ordered_cache_behavior")
        for behavior in behaviors:
            if not [g for g in _list(behavior.get("trusted_key_groups")) if _is_set(g)]:
                return CheckResult.FAILED
            if [s for s in _list(behavior.get("trusted_signers")) if _is_set(s)]:
                return CheckResult.FAILED
        return CheckResult.PASSED


# ---------------------------------------------------------------------------------------------
class OacOriginsHaveEmptyOai(BaseResourceCheck):
    """An origin read through OAC has no (or an empty) OAI; every origin uses one of the two."""

    def __init__(self) -> None:
        super().__init__(
            name="mediagate: OAC origins have an empty OAI, and every origin uses OAC or an OAI",
            id="CKV_MG_2",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_cloudfront_distribution",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        origins = _blocks(conf, "origin")
        if not origins:
            return CheckResult.FAILED
        for origin in origins:
            oac = _one(origin, "origin_access_control_id")
            oais = [_one(c, "origin_access_identity") for c in _blocks(origin, "s3_origin_config")]
            oai_set = any(_is_set(v) for v in oais)
            if _is_set(oac) and oai_set:
                return CheckResult.FAILED
            if not _is_set(oac) and not oai_set:
                return CheckResult.FAILED
        return CheckResult.PASSED


# ---------------------------------------------------------------------------------------------
# Policies come as aws_iam_policy_document data blocks (how this module writes them) or as JSON
# in a resource's `policy` (jsonencode or a literal). Both are turned into IAM-JSON-like
# statements: {"Effect", "Principal": {type: [ids]} | "*", "NotPrincipal", "Condition"}.


def _statements_from_document(conf: dict) -> list[dict]:
    out = []
    for st in _blocks(conf, "statement"):
        principal: dict[str, list] = {}
        for p in _blocks(st, "principals"):
            principal.setdefault(str(_one(p, "type")), []).extend(_list(_one(p, "identifiers")))
        not_principal: dict[str, list] = {}
        for p in _blocks(st, "not_principals"):
            not_principal.setdefault(str(_one(p, "type")), []).extend(_list(_one(p, "identifiers")))
        condition: dict[str, dict[str, list]] = {}
        for c in _blocks(st, "condition"):
            condition.setdefault(str(_one(c, "test")), {})[str(_one(c, "variable"))] = _list(_one(c, "values"))
        out.append(
            {
                "Effect": _one(st, "effect") or "Allow",
                "Principal": principal or None,
                "NotPrincipal": not_principal or None,
                "Condition": condition,
            }
        )
    return out


def _statements_from_json(policy: Any) -> list[dict] | None:
    """Statements of a JSON policy; None when it is not literal JSON (e.g. a data reference)."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return None
    if not isinstance(policy, dict):
        return None
    out = []
    for st in _list(policy.get("Statement")):
        if not isinstance(st, dict):
            continue
        principal = st.get("Principal")
        if isinstance(principal, dict):
            principal = {k: _list(v) for k, v in principal.items()}
        not_principal = st.get("NotPrincipal")
        condition = {
            test: {var: _list(vals) for var, vals in (body or {}).items()}
            for test, body in (st.get("Condition") or {}).items()
            if isinstance(body, dict)
        }
        out.append({"Effect": st.get("Effect", "Allow"), "Principal": principal, "NotPrincipal": not_principal, "Condition": condition})
    return out


def _grants_cloudfront(st: dict) -> bool:
    principal = st["Principal"]
    return st["Effect"] == "Allow" and isinstance(principal, dict) and CLOUDFRONT in principal.get("Service", [])


def _has_exact_source_arn(st: dict) -> bool:
    for test in ("StringEquals", "ArnEquals"):
        for variable, values in st["Condition"].get(test, {}).items():
            if variable.lower() == "aws:sourcearn" and values and all(
                isinstance(v, str) and "*" not in v and "?" not in v and re.search(r":distribution/.+", v)
                for v in values
            ):
                return True
    return False


def _allows_anyone(st: dict) -> bool:
    if st["Effect"] != "Allow":
        return False
    if st["NotPrincipal"]:
        return True
    principal = st["Principal"]
    if principal == "*" or principal == ["*"]:
        return True
    if isinstance(principal, dict):
        return any(k == "*" or "*" in ids for k, ids in principal.items())
    return False


class _PolicyDocumentCheck(BaseDataCheck):
    def scan_data_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        return self.judge(_statements_from_document(conf))

    def judge(self, statements: list[dict]) -> CheckResult:
        raise NotImplementedError


class _PolicyResourceCheck(BaseResourceCheck):
    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        statements = _statements_from_json(_one(conf, "policy"))
        if statements is None:
            # A reference to an aws_iam_policy_document: that block is checked on its own.
            return CheckResult.PASSED
        return self.judge(statements)

    def judge(self, statements: list[dict]) -> CheckResult:
        raise NotImplementedError


def _judge_source_arn(statements: list[dict]) -> CheckResult:
    for st in statements:
        if _grants_cloudfront(st) and not _has_exact_source_arn(st):
            return CheckResult.FAILED
    return CheckResult.PASSED


def _judge_no_anyone(statements: list[dict]) -> CheckResult:
    return CheckResult.FAILED if any(_allows_anyone(st) for st in statements) else CheckResult.PASSED


_POLICY_RESOURCES = ("aws_s3_bucket_policy", "aws_kms_key", "aws_kms_key_policy")


class CloudFrontGrantCarriesSourceArn(_PolicyDocumentCheck):
    def __init__(self) -> None:
        super().__init__(
            name="mediagate: a grant to cloudfront.amazonaws.com is limited by an exact AWS:SourceArn",
            id="CKV_MG_3",
            categories=(CheckCategories.IAM,),
            supported_data=("aws_iam_policy_document",),
        )

    judge = staticmethod(_judge_source_arn)


class CloudFrontGrantCarriesSourceArnInline(_PolicyResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="mediagate: a grant to cloudfront.amazonaws.com is limited by an exact AWS:SourceArn",
            id="CKV_MG_3",
            categories=(CheckCategories.IAM,),
            supported_resources=_POLICY_RESOURCES,
        )

    judge = staticmethod(_judge_source_arn)


class NothingAllowedToAnyPrincipal(_PolicyDocumentCheck):
    def __init__(self) -> None:
        super().__init__(
            name='mediagate: no policy statement allows Principal "*" (or uses Allow with NotPrincipal)',
            id="CKV_MG_4",
            categories=(CheckCategories.IAM,),
            supported_data=("aws_iam_policy_document",),
        )

    judge = staticmethod(_judge_no_anyone)


class NothingAllowedToAnyPrincipalInline(_PolicyResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name='mediagate: no policy statement allows Principal "*" (or uses Allow with NotPrincipal)',
            id="CKV_MG_4",
            categories=(CheckCategories.IAM,),
            supported_resources=_POLICY_RESOURCES,
        )

    judge = staticmethod(_judge_no_anyone)


# ---------------------------------------------------------------------------------------------
class BlockPublicAccessFullyOn(BaseResourceCheck):
    """All four Block Public Access flags are true (that a bucket has such a block at all is
    CKV2_MG_6, a connection policy in block_public_access_attached.yaml)."""

    FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")

    def __init__(self) -> None:
        super().__init__(
            name="mediagate: S3 Block Public Access has all four flags on",
            id="CKV_MG_5",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_s3_bucket_public_access_block",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        for flag in self.FLAGS:
            if _one(conf, flag) not in (True, "true"):
                return CheckResult.FAILED
        return CheckResult.PASSED


# ---------------------------------------------------------------------------------------------
# Viewers get our headers, never the ones an uploader stored with the object: a presigned PUT
# signs no Cache-Control or Content-Disposition, and S3 keeps and serves them.
class ResponseHeadersPolicyOnEveryBehavior(BaseResourceCheck):
    """Every cache behavior (default and ordered) has a response headers policy."""

    def __init__(self) -> None:
        super().__init__(
            name="mediagate: every CloudFront cache behavior has a response_headers_policy_id",
            id="CKV_MG_7",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_cloudfront_distribution",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        behaviors = _blocks(conf, "default_cache_behavior") + _blocks(conf, "ordered_cache_behavior")
        if not behaviors:
            return CheckResult.FAILED
        for behavior in behaviors:
            if not _is_set(_one(behavior, "response_headers_policy_id")):
                return CheckResult.FAILED
        return CheckResult.PASSED


class ResponseHeadersAreOurs(BaseResourceCheck):
    """The policy overrides Cache-Control (private), Content-Disposition (inline) and sets nosniff."""

    WANTED = (("cache-control", re.compile(r"^private(,|$)")), ("content-disposition", re.compile(r"^inline(;|$)")))

    def __init__(self) -> None:
        super().__init__(
            name="mediagate: the response headers policy overrides Cache-Control and Content-Disposition, and sets nosniff",
            id="CKV_MG_8",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_cloudfront_response_headers_policy",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        nosniff = [b for s in _blocks(conf, "security_headers_config") for b in _blocks(s, "content_type_options")]
        if not any(_one(b, "override") in (True, "true") for b in nosniff):
            return CheckResult.FAILED
        items = [i for c in _blocks(conf, "custom_headers_config") for i in _blocks(c, "items")]
        for header, value in self.WANTED:
            if not any(
                str(_one(i, "header", "")).lower() == header
                and _one(i, "override") in (True, "true")
                and value.match(str(_one(i, "value", "")))
                for i in items
            ):
                return CheckResult.FAILED
        return CheckResult.PASSED


# ---------------------------------------------------------------------------------------------
# Revocation before expiry: the default cache behavior runs aws_cloudfront_function.revocation on
# viewer request (before the cache), and every CloudFront Function of the module is runtime
# cloudfront-js-2.0 (KeyValueStore access needs it), published to LIVE, and associated with a
# KeyValueStore of this module (never a literal ARN, which could be anyone's store). The code is
# infra/functions/revocation.js, read with file() (infra/tests/test_revocation.py checks that).
REVOCATION_FUNCTION_ARN = re.compile(r"^(\$\{)?aws_cloudfront_function\.revocation\.arn\}?$")
MODULE_KVS_ARN = re.compile(r"^(\$\{)?aws_cloudfront_key_value_store\.[a-z0-9_]+\.arn\}?$")


class RevocationFunctionOnDefaultBehavior(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="mediagate: the default cache behavior runs the revocation function on viewer-request",
            id="CKV_MG_17",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_cloudfront_distribution",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        behaviors = _blocks(conf, "default_cache_behavior")
        if len(behaviors) != 1:
            return CheckResult.FAILED
        for assoc in _blocks(behaviors[0], "function_association"):
            if _one(assoc, "event_type") == "viewer-request" and REVOCATION_FUNCTION_ARN.match(str(_one(assoc, "function_arn", ""))):
                return CheckResult.PASSED
        return CheckResult.FAILED


class RevocationFunctionRuntimeAndStore(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="mediagate: the revocation function is cloudfront-js-2.0, published, and reads this module's KeyValueStore",
            id="CKV_MG_17",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_cloudfront_function",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        if _one(conf, "runtime") != "cloudfront-js-2.0":
            return CheckResult.FAILED
        if _one(conf, "publish") not in (True, "true"):
            return CheckResult.FAILED
        stores = [str(a) for a in _list(_one(conf, "key_value_store_associations")) if _is_set(a)]
        if len(stores) != 1 or not MODULE_KVS_ARN.match(stores[0]):
            return CheckResult.FAILED
        return CheckResult.PASSED


TrustedKeyGroupsOnEveryBehavior()
OacOriginsHaveEmptyOai()
CloudFrontGrantCarriesSourceArn()
CloudFrontGrantCarriesSourceArnInline()
NothingAllowedToAnyPrincipal()
NothingAllowedToAnyPrincipalInline()
BlockPublicAccessFullyOn()
ResponseHeadersPolicyOnEveryBehavior()
ResponseHeadersAreOurs()
RevocationFunctionOnDefaultBehavior()
RevocationFunctionRuntimeAndStore()
