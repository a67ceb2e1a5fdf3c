"""Proves mediagate's infrastructure invariants: each rule fails on a broken copy of a template.

Run by scripts/check-infra with the infra venv's python:
    python -m unittest discover -s infra/tests -t infra/tests -v

CloudFormation: each breakage edits a copy of a template (as data), writes it to a temp dir,
and runs the guard rules (infra/guard/mediagate.guard) on that file; the set of failing rules
must be exactly the one(s) named. Terraform: each breakage edits the text of a copy of
infra/terraform in its own temp dir; one checkov run over all the copies, with our policies
(infra/checkov/), must fail exactly the named check ids in each copy. The unbroken templates
are the controls: every rule of their variant passes.
"""

from __future__ import annotations

import copy
import re
import tempfile
import unittest
from pathlib import Path

import checkov_run
from checkov_breakages import CheckovBreakages
from guard_breakages import GuardBreakages
import guard

INFRA = Path(__file__).resolve().parent.parent
CFN_OAC = INFRA / "cloudformation" / "mediagate.yaml"
CFN_OAI = INFRA / "cloudformation" / "mediagate-oai.yaml"
TF_DIR = INFRA / "terraform"
README = INFRA / "README.md"
OUTPUTS_TO_ENV = INFRA / "outputs-to-env.py"

OAC_ONLY_RULES = {"oac_origins_have_empty_oai", "oac_bucket_grant_exists", "cloudfront_grants_carry_source_arn"}
OAI_ONLY_RULES = {"oai_origins_use_an_oai", "oai_bucket_grant_exists"}
OUR_CHECKOV_IDS = ["CKV_MG_1", "CKV_MG_2", "CKV_MG_3", "CKV_MG_4", "CKV_MG_5", "CKV2_MG_6", "CKV_MG_7", "CKV_MG_8", "CKV_MG_17"]

# --- CloudFormation breakages -----------------------------------------------------------------
# Helpers take the template as data and must find what they edit (KeyError / AssertionError
# otherwise), so a template change cannot turn a breakage into a silent no-op.


def res(t, name):
    return t["Resources"][name]["Properties"]


def dist(t):
    return res(t, "Distribution")["DistributionConfig"]


def bucket_statement(t, sid):
    [st] = [s for s in res(t, "MediaBucketPolicy")["PolicyDocument"]["Statement"] if s.get("Sid") == sid]
    return st


def key_statement(t, sid):
    [st] = [s for s in res(t, "MediaKey")["KeyPolicy"]["Statement"] if s.get("Sid") == sid]
    return st


def add_bucket_statement(t, st):
    res(t, "MediaBucketPolicy")["PolicyDocument"]["Statement"].append(st)


def bpa(t):
    return res(t, "MediaBucket")["PublicAccessBlockConfiguration"]


ALLOW_ANYONE = {"Sid": "Oops", "Effect": "Allow", "Action": "s3:GetObject",
                "Resource": {"Fn::Sub": "${MediaBucket.Arn}/*"}}
DIST_SUB = "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"


def _delete(d, key):
    del d[key]


def _unsigned_behavior(t):
    dist(t)["CacheBehaviors"] = [{"PathPattern": "public/*", "TargetOriginId": "media-bucket",
                                  "ViewerProtocolPolicy": "https-only",
                                  "CachePolicyId": {"Ref": "CachePolicy"},
                                  "ResponseHeadersPolicyId": {"Ref": "ResponseHeadersPolicy"}}]


def _second_signed_then_unsigned(t):
    signed = {"PathPattern": "a/*", "TargetOriginId": "media-bucket", "ViewerProtocolPolicy": "https-only",
              "CachePolicyId": {"Ref": "CachePolicy"}, "TrustedKeyGroups": [{"Ref": "KeyGroup"}],
              "ResponseHeadersPolicyId": {"Ref": "ResponseHeadersPolicy"}}
    unsigned = dict(signed, PathPattern="b/*")
    del unsigned["TrustedKeyGroups"]
    dist(t)["CacheBehaviors"] = [signed, unsigned]


def _source_arn_like(t):
    st = bucket_statement(t, "ThisDistributionReadsObjects")
    st["Condition"] = {"StringLike": {"AWS:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*"}}}


def _source_account_only(t):
    st = bucket_statement(t, "ThisDistributionReadsObjects")
    st["Condition"] = {"StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}}


def _source_arn_literal(t):
    st = bucket_statement(t, "ThisDistributionReadsObjects")
    st["Condition"]["StringEquals"]["AWS:SourceArn"] = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"


def _source_arn_wildcard_sub(t):
    st = bucket_statement(t, "ThisDistributionReadsObjects")
    st["Condition"]["StringEquals"]["AWS:SourceArn"] = {"Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*"}


def _drop_cloudfront_grant(t):
    stmts = res(t, "MediaBucketPolicy")["PolicyDocument"]["Statement"]
    before = len(stmts)
    stmts[:] = [s for s in stmts if s.get("Sid") != "ThisDistributionReadsObjects"]
    assert len(stmts) == before - 1


def _oai_template_grants_service_principal(t):
    st = bucket_statement(t, "ThisOriginAccessIdentityReadsObjects")
    st["Principal"] = {"Service": "cloudfront.amazonaws.com"}


def _also_an_oai(t):
    t["Resources"]["LegacyOai"] = {"Type": "AWS::CloudFront::CloudFrontOriginAccessIdentity",
                                   "Properties": {"CloudFrontOriginAccessIdentityConfig": {"Comment": "x"}}}


def _neither_variant(t):
    del t["Resources"]["OriginAccessControl"]
    del dist(t)["Origins"][0]["OriginAccessControlId"]


def rhp(t):
    return res(t, "ResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]


def custom_header(t, name):
    [item] = [i for i in rhp(t)["CustomHeadersConfig"]["Items"] if i["Header"] == name]
    return item


def _drop_custom_header(t, name):
    items = rhp(t)["CustomHeadersConfig"]["Items"]
    before = len(items)
    items[:] = [i for i in items if i["Header"] != name]
    assert len(items) == before - 1


def _signed_behavior_without_response_headers(t):
    dist(t)["CacheBehaviors"] = [{"PathPattern": "a/*", "TargetOriginId": "media-bucket",
                                  "ViewerProtocolPolicy": "https-only",
                                  "CachePolicyId": {"Ref": "CachePolicy"},
                                  "TrustedKeyGroups": [{"Ref": "KeyGroup"}]}]


def _trust_anyone_role(t):
    t["Resources"]["OopsRole"] = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}}}


def fn(t):
    return res(t, "RevocationFunction")


def default_associations(t):
    return dist(t)["DefaultCacheBehavior"]["FunctionAssociations"]


def _revocation_on_viewer_response(t):
    [assoc] = default_associations(t)
    assoc["EventType"] = "viewer-response"


def _default_behavior_runs_another_function(t):
    other = copy.deepcopy(t["Resources"]["RevocationFunction"])
    other["Properties"]["Name"] = {"Fn::Sub": "${AWS::StackName}-other"}
    t["Resources"]["OtherFunction"] = other
    [assoc] = default_associations(t)
    assoc["FunctionARN"] = {"Fn::GetAtt": ["OtherFunction", "FunctionARN"]}


def _revocation_on_an_extra_behavior_only(t):
    assocs = dist(t)["DefaultCacheBehavior"].pop("FunctionAssociations")
    dist(t)["CacheBehaviors"] = [{"PathPattern": "a/*", "TargetOriginId": "media-bucket", "ViewerProtocolPolicy": "https-only",
                                  "CachePolicyId": {"Ref": "CachePolicy"}, "TrustedKeyGroups": [{"Ref": "KeyGroup"}],
                                  "ResponseHeadersPolicyId": {"Ref": "ResponseHeadersPolicy"}, "FunctionAssociations": assocs}]


def _revocation_store_literal_arn(t):
    [assoc] = fn(t)["FunctionConfig"]["KeyValueStoreAssociations"]
    assoc["KeyValueStoreARN"] = "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"


def _no_revocation_store(t):
    del t["Resources"]["RevocationStore"]
    fn(t)["FunctionConfig"]["KeyValueStoreAssociations"] = [{"KeyValueStoreARN": "arn:aws:cloudfront::123456789012:key-value-store/x"}]
    stmts = res(t, "ServicePolicy")["PolicyDocument"]["Statement"]
    stmts[:] = [s for s in stmts if not (isinstance(s, dict) and s.get("Sid") == "RevocationFloors")]
    del t["Outputs"]["RevocationKeyValueStoreArn"]


CFN_BREAKAGES = {
    # name: (template, edit, failing rules)
    "oac_default_behavior_without_trusted_key_groups": (
        CFN_OAC, lambda t: _delete(dist(t)["DefaultCacheBehavior"], "TrustedKeyGroups"),
        {"every_cache_behavior_has_trusted_key_groups"}),
    "oac_default_behavior_empty_trusted_key_groups": (
        CFN_OAC, lambda t: dist(t)["DefaultCacheBehavior"].__setitem__("TrustedKeyGroups", []),
        {"every_cache_behavior_has_trusted_key_groups"}),
    "oac_extra_behavior_without_trusted_key_groups": (
        CFN_OAC, _unsigned_behavior, {"every_cache_behavior_has_trusted_key_groups"}),
    "oac_second_of_two_behaviors_unsigned": (
        CFN_OAC, _second_signed_then_unsigned, {"every_cache_behavior_has_trusted_key_groups"}),
    "oac_default_behavior_uses_trusted_signers": (
        CFN_OAC, lambda t: dist(t)["DefaultCacheBehavior"].__setitem__("TrustedSigners", ["self"]),
        {"every_cache_behavior_has_trusted_key_groups"}),
    "oai_default_behavior_without_trusted_key_groups": (
        CFN_OAI, lambda t: _delete(dist(t)["DefaultCacheBehavior"], "TrustedKeyGroups"),
        {"every_cache_behavior_has_trusted_key_groups"}),
    "oac_origin_with_non_empty_oai": (
        CFN_OAC, lambda t: dist(t)["Origins"][0]["S3OriginConfig"].__setitem__(
            "OriginAccessIdentity", "origin-access-identity/cloudfront/E2QWRUHAPOMQZL"),
        {"oac_origins_have_empty_oai"}),
    "oac_origin_without_oac_id": (
        CFN_OAC, lambda t: _delete(dist(t)["Origins"][0], "OriginAccessControlId"),
        {"oac_origins_have_empty_oai"}),
    "oai_origin_with_empty_oai": (
        CFN_OAI, lambda t: dist(t)["Origins"][0]["S3OriginConfig"].__setitem__("OriginAccessIdentity", ""),
        {"oai_origins_use_an_oai"}),
    "oai_origin_also_with_oac_id": (
        CFN_OAI, lambda t: dist(t)["Origins"][0].__setitem__("OriginAccessControlId", "E1OACEXAMPLE"),
        {"oai_origins_use_an_oai"}),
    "oac_cloudfront_grant_without_condition": (
        CFN_OAC, lambda t: _delete(bucket_statement(t, "ThisDistributionReadsObjects"), "Condition"),
        {"cloudfront_grants_carry_source_arn"}),
    "oac_cloudfront_grant_source_arn_stringlike_wildcard": (
        CFN_OAC, _source_arn_like, {"cloudfront_grants_carry_source_arn"}),
    "oac_cloudfront_grant_source_account_instead": (
        CFN_OAC, _source_account_only, {"cloudfront_grants_carry_source_arn"}),
    "oac_cloudfront_grant_source_arn_literal_other_distribution": (
        CFN_OAC, _source_arn_literal, {"cloudfront_grants_carry_source_arn"}),
    "oac_cloudfront_grant_source_arn_any_distribution": (
        CFN_OAC, _source_arn_wildcard_sub, {"cloudfront_grants_carry_source_arn"}),
    "oac_kms_cloudfront_grant_without_condition": (
        CFN_OAC, lambda t: _delete(key_statement(t, "ThisDistributionDecryptsObjects"), "Condition"),
        {"cloudfront_grants_carry_source_arn"}),
    "oac_bucket_policy_without_cloudfront_grant": (
        CFN_OAC, _drop_cloudfront_grant, {"oac_bucket_grant_exists"}),
    "oai_bucket_grant_to_service_principal": (
        CFN_OAI, _oai_template_grants_service_principal,
        {"oai_bucket_grant_exists", "cloudfront_grants_carry_source_arn"}),
    "oac_template_also_declares_an_oai": (
        # The OAI rules apply too, and fail: the origin and the grant are OAC's.
        CFN_OAC, _also_an_oai,
        {"exactly_one_origin_access_variant", "oai_origins_use_an_oai", "oai_bucket_grant_exists"}),
    "template_declares_neither_oac_nor_oai": (
        CFN_OAC, _neither_variant, {"exactly_one_origin_access_variant"}),
    "oac_bucket_policy_allows_principal_star": (
        CFN_OAC, lambda t: add_bucket_statement(t, dict(ALLOW_ANYONE, Principal="*")),
        {"nothing_allowed_to_any_principal"}),
    "oac_bucket_policy_allows_aws_star": (
        CFN_OAC, lambda t: add_bucket_statement(t, dict(ALLOW_ANYONE, Principal={"AWS": "*"})),
        {"nothing_allowed_to_any_principal"}),
    "oac_bucket_policy_allows_star_in_aws_list": (
        CFN_OAC, lambda t: add_bucket_statement(t, dict(ALLOW_ANYONE, Principal={
            "AWS": [{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}, "*"]})),
        {"nothing_allowed_to_any_principal"}),
    "oac_bucket_policy_allow_with_not_principal": (
        CFN_OAC, lambda t: add_bucket_statement(t, dict(ALLOW_ANYONE, NotPrincipal={"AWS": "arn:aws:iam::123456789012:root"})),
        {"nothing_allowed_to_any_principal"}),
    "oac_kms_key_policy_allows_anyone": (
        CFN_OAC, lambda t: key_statement(t, "AccountAdministersKeyThroughIam").__setitem__("Principal", {"AWS": "*"}),
        {"nothing_allowed_to_any_principal"}),
    "oac_role_trusts_anyone": (
        CFN_OAC, _trust_anyone_role, {"nothing_allowed_to_any_principal"}),
    "oai_bucket_policy_allows_principal_star": (
        CFN_OAI, lambda t: add_bucket_statement(t, dict(ALLOW_ANYONE, Principal="*")),
        {"nothing_allowed_to_any_principal"}),
    "oac_block_public_acls_off": (
        CFN_OAC, lambda t: bpa(t).__setitem__("BlockPublicAcls", False), {"block_public_access_fully_on"}),
    "oac_block_public_policy_off": (
        CFN_OAC, lambda t: bpa(t).__setitem__("BlockPublicPolicy", False), {"block_public_access_fully_on"}),
    "oac_ignore_public_acls_off": (
        CFN_OAC, lambda t: bpa(t).__setitem__("IgnorePublicAcls", False), {"block_public_access_fully_on"}),
    "oac_restrict_public_buckets_off": (
        CFN_OAC, lambda t: bpa(t).__setitem__("RestrictPublicBuckets", False), {"block_public_access_fully_on"}),
    "oac_restrict_public_buckets_missing": (
        CFN_OAC, lambda t: _delete(bpa(t), "RestrictPublicBuckets"), {"block_public_access_fully_on"}),
    "oac_no_public_access_block": (
        CFN_OAC, lambda t: _delete(res(t, "MediaBucket"), "PublicAccessBlockConfiguration"),
        {"block_public_access_fully_on"}),
    "oai_block_public_policy_off": (
        CFN_OAI, lambda t: bpa(t).__setitem__("BlockPublicPolicy", False), {"block_public_access_fully_on"}),
    "oac_default_behavior_without_response_headers_policy": (
        CFN_OAC, lambda t: _delete(dist(t)["DefaultCacheBehavior"], "ResponseHeadersPolicyId"),
        {"response_headers_are_ours"}),
    "oac_extra_behavior_without_response_headers_policy": (
        CFN_OAC, _signed_behavior_without_response_headers, {"response_headers_are_ours"}),
    "oai_default_behavior_without_response_headers_policy": (
        CFN_OAI, lambda t: _delete(dist(t)["DefaultCacheBehavior"], "ResponseHeadersPolicyId"),
        {"response_headers_are_ours"}),
    "oac_no_cache_control_override": (
        CFN_OAC, lambda t: _drop_custom_header(t, "Cache-Control"), {"response_headers_are_ours"}),
    "oac_stored_cache_control_wins": (
        CFN_OAC, lambda t: custom_header(t, "Cache-Control").__setitem__("Override", False),
        {"response_headers_are_ours"}),
    "oac_public_cache_control": (
        CFN_OAC, lambda t: custom_header(t, "Cache-Control").__setitem__("Value", "public, max-age=31536000"),
        {"response_headers_are_ours"}),
    "oai_no_content_disposition_override": (
        CFN_OAI, lambda t: _drop_custom_header(t, "Content-Disposition"), {"response_headers_are_ours"}),
    "oac_content_disposition_attachment": (
        CFN_OAC, lambda t: custom_header(t, "Content-Disposition").__setitem__("Value", "attachment"),
        {"response_headers_are_ours"}),
    "oac_no_custom_headers": (
        CFN_OAC, lambda t: _delete(rhp(t), "CustomHeadersConfig"), {"response_headers_are_ours"}),
    "oac_nosniff_not_overridden": (
        CFN_OAC, lambda t: rhp(t)["SecurityHeadersConfig"]["ContentTypeOptions"].__setitem__("Override", False),
        {"response_headers_are_ours"}),
    "oac_default_behavior_without_function_associations": (
        CFN_OAC, lambda t: _delete(dist(t)["DefaultCacheBehavior"], "FunctionAssociations"),
        {"revocation_function_on_default_behavior"}),
    "oac_default_behavior_empty_function_associations": (
        CFN_OAC, lambda t: dist(t)["DefaultCacheBehavior"].__setitem__("FunctionAssociations", []),
        {"revocation_function_on_default_behavior"}),
    "oac_revocation_function_on_viewer_response": (
        CFN_OAC, _revocation_on_viewer_response, {"revocation_function_on_default_behavior"}),
    "oac_default_behavior_runs_another_function": (
        CFN_OAC, _default_behavior_runs_another_function, {"revocation_function_on_default_behavior"}),
    "oac_revocation_function_on_an_extra_behavior_only": (
        CFN_OAC, _revocation_on_an_extra_behavior_only, {"revocation_function_on_default_behavior"}),
    "oac_revocation_function_runtime_1_0": (
        CFN_OAC, lambda t: fn(t)["FunctionConfig"].__setitem__("Runtime", "cloudfront-js-1.0"),
        {"revocation_function_on_default_behavior"}),
    "oac_revocation_function_not_published": (
        CFN_OAC, lambda t: fn(t).__setitem__("AutoPublish", False), {"revocation_function_on_default_behavior"}),
    "oac_revocation_function_empty_code": (
        CFN_OAC, lambda t: fn(t).__setitem__("FunctionCode", "\n"), {"revocation_function_on_default_behavior"}),
    "oac_revocation_function_without_store": (
        CFN_OAC, lambda t: _delete(fn(t)["FunctionConfig"], "KeyValueStoreAssociations"),
        {"revocation_function_on_default_behavior"}),
    "oac_revocation_function_with_another_accounts_store": (
        CFN_OAC, _revocation_store_literal_arn, {"revocation_function_on_default_behavior"}),
    "oac_template_without_revocation_store": (
        CFN_OAC, _no_revocation_store, {"revocation_function_on_default_behavior"}),
    "oai_default_behavior_without_function_associations": (
        CFN_OAI, lambda t: _delete(dist(t)["DefaultCacheBehavior"], "FunctionAssociations"),
        {"revocation_function_on_default_behavior"}),
    "oai_revocation_function_runtime_1_0": (
        CFN_OAI, lambda t: fn(t)["FunctionConfig"].__setitem__("Runtime", "cloudfront-js-1.0"),
        {"revocation_function_on_default_behavior"}),
    "oac_no_distribution": (
        CFN_OAC, lambda t: _delete(t["Resources"], "Distribution"), {"template_has_the_delivery_path"}),
}


class CloudFormationGuard(GuardBreakages, unittest.TestCase):
    TEMPLATES = (CFN_OAC, CFN_OAI)
    BREAKAGES = CFN_BREAKAGES

    def test_control_oac_template_passes_every_rule_of_its_variant(self):
        results = guard.check(self.originals[CFN_OAC])
        self.assertEqual({n: r.status for n, r in results.items()},
                         {n: ("SKIP" if n in OAI_ONLY_RULES else "PASS") for n in guard.rule_names()})

    def test_control_oai_template_passes_every_rule_of_its_variant(self):
        results = guard.check(self.originals[CFN_OAI])
        self.assertEqual({n: r.status for n, r in results.items()},
                         {n: ("SKIP" if n in OAC_ONLY_RULES else "PASS") for n in guard.rule_names()})


CloudFormationGuard.add_breakage_tests()


# --- Terraform breakages ----------------------------------------------------------------------
# (file, exact text that must occur once, replacement) edits on a copy of infra/terraform.

BEHAVIOR_TKG = "    trusted_key_groups         = [aws_cloudfront_key_group.signers.id]\n"
OAC_ORIGIN_ID = "      origin_access_control_id = one(aws_cloudfront_origin_access_control.media[*].id)\n"
OAI_ORIGIN_CONFIG = """      s3_origin_config {
        origin_access_identity = one(aws_cloudfront_origin_access_identity.media[*].cloudfront_access_identity_path)
      }
"""
BUCKET_SOURCE_ARN = """    sid       = "ThisDistributionReadsObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.media.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [local.distribution_arn]
    }
"""
KEY_SOURCE_ARN = """    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [local.distribution_arn]
    }
  }
}
"""
ANYONE_STATEMENT = """
  statement {
    sid       = "Oops"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.media.arn}/*"]

    principals {
      type        = "%s"
      identifiers = ["*"]
    }
  }
}
"""
BUCKET_OAC_DOC_END = """      values   = [local.distribution_arn]
    }
  }
}

data "aws_iam_policy_document" "bucket_oai" {"""
BUCKET_POLICY_ATTR = "  policy = coalesce(one(data.aws_iam_policy_document.bucket_oac[*].json), one(data.aws_iam_policy_document.bucket_oai[*].json))\n"
PAB = """resource "aws_s3_bucket_public_access_block" "media" {
  bucket = aws_s3_bucket.media.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
"""


BEHAVIOR_RHP = "    response_headers_policy_id = aws_cloudfront_response_headers_policy.media.id\n"
CACHE_CONTROL_ITEM = """    items {
      header   = "Cache-Control"
      value    = "private, max-age=3600"
      override = true
    }
"""
DISPOSITION_ITEM = CACHE_CONTROL_ITEM.replace('"Cache-Control"', '"Content-Disposition"').replace(
    '"private, max-age=3600"', '"inline"')
NOSNIFF = "    content_type_options {\n      override = true\n    }\n"


FUNCTION_ASSOC = """    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.revocation.arn
    }
"""
FUNCTION_RUNTIME = '  runtime = "cloudfront-js-2.0"\n'
FUNCTION_PUBLISH = "  publish = true\n"
FUNCTION_KVS = "  key_value_store_associations = [aws_cloudfront_key_value_store.revocation.arn]\n"
OTHER_FUNCTION = """resource "aws_cloudfront_function" "other" {
  name    = "${var.name}-other"
  runtime = "cloudfront-js-2.0"
  publish = true
  code    = "async function handler(event) { return event.request; }"

  key_value_store_associations = [aws_cloudfront_key_value_store.revocation.arn]
}

resource "aws_cloudfront_distribution" "media" {
"""


def _inline_policy(statement: str) -> str:
    return ("  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [" + statement + "]\n  })\n")


TF_BREAKAGES = {
    # name: ([(file, old, new), ...], failing check ids)
    "default_behavior_without_trusted_key_groups": ([("cloudfront.tf", BEHAVIOR_TKG, "")], {"CKV_MG_1"}),
    "default_behavior_empty_trusted_key_groups": (
        [("cloudfront.tf", BEHAVIOR_TKG, "    trusted_key_groups         = []\n")], {"CKV_MG_1"}),
    "ordered_behavior_without_trusted_key_groups": ([("cloudfront.tf", "  restrictions {\n", """  ordered_cache_behavior {
    path_pattern               = "public/*"
    target_origin_id           = "media-bucket"
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = aws_cloudfront_cache_policy.media.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.media.id
  }

  restrictions {
""")], {"CKV_MG_1"}),
    "default_behavior_uses_trusted_signers": (
        [("cloudfront.tf", BEHAVIOR_TKG, BEHAVIOR_TKG + "    trusted_signers            = [\"self\"]\n")], {"CKV_MG_1"}),
    "oac_origin_with_non_empty_oai": ([("cloudfront.tf", OAC_ORIGIN_ID, OAC_ORIGIN_ID + """
      s3_origin_config {
        origin_access_identity = "origin-access-identity/cloudfront/E2QWRUHAPOMQZL"
      }
""")], {"CKV_MG_2"}),
    "oai_origin_without_oai": ([("cloudfront.tf", OAI_ORIGIN_CONFIG, "")], {"CKV_MG_2"}),
    "oai_origin_with_empty_oai": ([("cloudfront.tf", OAI_ORIGIN_CONFIG, """      s3_origin_config {
        origin_access_identity = ""
      }
""")], {"CKV_MG_2"}),
    "bucket_cloudfront_grant_without_source_arn": ([("s3.tf", BUCKET_SOURCE_ARN, BUCKET_SOURCE_ARN.split("\n    condition {")[0] + "\n")], {"CKV_MG_3"}),
    "bucket_cloudfront_grant_source_arn_stringlike_wildcard": ([("s3.tf", BUCKET_SOURCE_ARN, BUCKET_SOURCE_ARN.replace(
        'test     = "StringEquals"', 'test     = "StringLike"').replace(
        "values   = [local.distribution_arn]", 'values   = ["arn:aws:cloudfront::123456789012:distribution/*"]'))], {"CKV_MG_3"}),
    "bucket_cloudfront_grant_source_arn_wildcard_value": ([("s3.tf", BUCKET_SOURCE_ARN, BUCKET_SOURCE_ARN.replace(
        "values   = [local.distribution_arn]", 'values   = ["arn:aws:cloudfront::123456789012:distribution/*"]'))], {"CKV_MG_3"}),
    "kms_cloudfront_grant_without_source_arn": ([("kms.tf", KEY_SOURCE_ARN, "  }\n}\n")], {"CKV_MG_3"}),
    "inline_bucket_policy_cloudfront_grant_without_source_arn": ([("s3.tf", BUCKET_POLICY_ATTR, _inline_policy(
        '{ Effect = "Allow", Principal = { Service = "cloudfront.amazonaws.com" }, Action = "s3:GetObject", Resource = "${aws_s3_bucket.media.arn}/*" }'))],
        {"CKV_MG_3"}),
    "bucket_oac_policy_allows_star": ([("s3.tf", BUCKET_OAC_DOC_END, BUCKET_OAC_DOC_END.replace(
        "  }\n}\n\ndata", "  }\n" + (ANYONE_STATEMENT % "*") + "\ndata", 1))], {"CKV_MG_4"}),
    "bucket_oai_policy_allows_aws_star": ([("s3.tf", '      identifiers = [aws_cloudfront_origin_access_identity.media[0].iam_arn]\n',
                                            '      identifiers = [aws_cloudfront_origin_access_identity.media[0].iam_arn, "*"]\n')], {"CKV_MG_4"}),
    "kms_key_policy_allows_anyone": ([("kms.tf", 'identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]',
                                       'identifiers = ["*"]')], {"CKV_MG_4"}),
    "bucket_policy_allow_with_not_principals": ([("s3.tf", BUCKET_OAC_DOC_END, BUCKET_OAC_DOC_END.replace(
        "  }\n}\n\ndata", "  }\n" + (ANYONE_STATEMENT % "AWS").replace("principals {", "not_principals {").replace(
            'identifiers = ["*"]', 'identifiers = ["arn:aws:iam::123456789012:root"]') + "\ndata", 1))], {"CKV_MG_4"}),
    "inline_bucket_policy_allows_star": ([("s3.tf", BUCKET_POLICY_ATTR, _inline_policy(
        '{ Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "${aws_s3_bucket.media.arn}/*" }'))],
        {"CKV_MG_4"}),
    "block_public_acls_off": ([("s3.tf", "  block_public_acls       = true\n", "  block_public_acls       = false\n")], {"CKV_MG_5"}),
    "block_public_policy_off": ([("s3.tf", "  block_public_policy     = true\n", "  block_public_policy     = false\n")], {"CKV_MG_5"}),
    "ignore_public_acls_off": ([("s3.tf", "  ignore_public_acls      = true\n", "  ignore_public_acls      = false\n")], {"CKV_MG_5"}),
    "restrict_public_buckets_off": ([("s3.tf", "  restrict_public_buckets = true\n", "  restrict_public_buckets = false\n")], {"CKV_MG_5"}),
    "restrict_public_buckets_missing": ([("s3.tf", "  restrict_public_buckets = true\n", "")], {"CKV_MG_5"}),
    "default_behavior_without_response_headers_policy": ([("cloudfront.tf", BEHAVIOR_RHP, "")], {"CKV_MG_7"}),
    "ordered_behavior_without_response_headers_policy": ([("cloudfront.tf", "  restrictions {\n", """  ordered_cache_behavior {
    path_pattern           = "a/*"
    target_origin_id       = "media-bucket"
    viewer_protocol_policy = "https-only"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = aws_cloudfront_cache_policy.media.id
    trusted_key_groups     = [aws_cloudfront_key_group.signers.id]
  }

  restrictions {
""")], {"CKV_MG_7"}),
    "no_cache_control_override": ([("cloudfront.tf", CACHE_CONTROL_ITEM, "")], {"CKV_MG_8"}),
    "stored_cache_control_wins": ([("cloudfront.tf", CACHE_CONTROL_ITEM, CACHE_CONTROL_ITEM.replace(
        "override = true", "override = false"))], {"CKV_MG_8"}),
    "public_cache_control": ([("cloudfront.tf", CACHE_CONTROL_ITEM, CACHE_CONTROL_ITEM.replace(
        '"private, max-age=3600"', '"public, max-age=31536000"'))], {"CKV_MG_8"}),
    "no_content_disposition_override": ([("cloudfront.tf", DISPOSITION_ITEM, "")], {"CKV_MG_8"}),
    "nosniff_not_overridden": ([("cloudfront.tf", NOSNIFF, NOSNIFF.replace("override = true", "override = false"))],
                               {"CKV_MG_8"}),
    "default_behavior_without_revocation_function": ([("cloudfront.tf", FUNCTION_ASSOC, "")], {"CKV_MG_17"}),
    "revocation_function_on_viewer_response": ([("cloudfront.tf", FUNCTION_ASSOC, FUNCTION_ASSOC.replace(
        '"viewer-request"', '"viewer-response"'))], {"CKV_MG_17"}),
    "default_behavior_runs_another_function": ([
        ("cloudfront.tf", 'resource "aws_cloudfront_distribution" "media" {\n', OTHER_FUNCTION),
        ("cloudfront.tf", FUNCTION_ASSOC, FUNCTION_ASSOC.replace("aws_cloudfront_function.revocation.arn", "aws_cloudfront_function.other.arn"))],
        {"CKV_MG_17"}),
    "revocation_function_on_an_ordered_behavior_only": ([
        ("cloudfront.tf", FUNCTION_ASSOC, ""),
        ("cloudfront.tf", "  restrictions {\n", """  ordered_cache_behavior {
    path_pattern               = "a/*"
    target_origin_id           = "media-bucket"
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = aws_cloudfront_cache_policy.media.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.media.id
    trusted_key_groups         = [aws_cloudfront_key_group.signers.id]
""" + FUNCTION_ASSOC + """  }

  restrictions {
""")], {"CKV_MG_17"}),
    "revocation_function_runtime_1_0": ([("cloudfront.tf", FUNCTION_RUNTIME, FUNCTION_RUNTIME.replace("2.0", "1.0"))], {"CKV_MG_17"}),
    "revocation_function_not_published": ([("cloudfront.tf", FUNCTION_PUBLISH, "  publish = false\n")], {"CKV_MG_17"}),
    "revocation_function_without_store": ([("cloudfront.tf", FUNCTION_KVS, "")], {"CKV_MG_17"}),
    "revocation_function_with_a_literal_store_arn": ([("cloudfront.tf", FUNCTION_KVS, FUNCTION_KVS.replace(
        "aws_cloudfront_key_value_store.revocation.arn",
        '"arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"'))], {"CKV_MG_17"}),
    "no_public_access_block": ([("s3.tf", PAB, ""),
                                ("s3.tf", "  depends_on = [aws_s3_bucket_public_access_block.media]\n", "")], {"CKV2_MG_6"}),
}


class TerraformCheckov(CheckovBreakages, unittest.TestCase):
    """One checkov run over a control copy and one copy per breakage."""

    SOURCE = TF_DIR
    IDS = OUR_CHECKOV_IDS
    BREAKAGES = TF_BREAKAGES


TerraformCheckov.add_breakage_tests()


class CheckovVerdict(unittest.TestCase):
    """checkov exits 0 on files it cannot parse: our runner must call that a failure."""

    def test_unparseable_files_fail_the_run(self):
        with tempfile.TemporaryDirectory(prefix="mediagate-bad-") as tmp:
            tmp = Path(tmp)
            (tmp / "tf").mkdir()
            (tmp / "tf" / "main.tf").write_text(TF_DIR.joinpath("s3.tf").read_text() + '\nresource "aws_s3_bucket" "x" {\n  bucket =\n')
            (tmp / "cfn").mkdir()
            (tmp / "cfn" / "t.yaml").write_text(CFN_OAC.read_text().replace("Resources:\n", "Resources:\n  Broken: [\n", 1))
            for framework, sub in (("terraform", "tf"), ("cloudformation", "cfn")):
                report = checkov_run.run(framework, tmp / sub)
                self.assertFalse(report.ok, f"{framework}: a parse error passed: {report}")
                self.assertTrue(any("could not parse" in p for p in report.problems), report.problems)


# --- Docs and templates stay in step ----------------------------------------------------------


def _readme_table() -> list[list[str]]:
    text = README.read_text()
    m = re.search(r"<!-- outputs-table:start -->\n(.*?)<!-- outputs-table:end -->", text, re.S)
    assert m, "infra/README.md has no outputs table between its markers"
    rows = []
    for line in m.group(1).strip().splitlines()[2:]:
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def _code(cell: str) -> str | None:
    m = re.match(r"`([^`]+)`", cell)
    return m.group(1) if m else None


def _tf_outputs() -> set[str]:
    return set(re.findall(r'^output "([a-z0-9_]+)"', TF_DIR.joinpath("outputs.tf").read_text(), re.M))


class DocsMatchTemplates(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import importlib.util

        spec = importlib.util.spec_from_file_location("outputs_to_env", OUTPUTS_TO_ENV)
        cls.o2e = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(cls.o2e)
        cls.cfn_outputs = {p: set(guard.load_template(p).get("Outputs", {})) for p in (CFN_OAC, CFN_OAI)}

    def test_readme_table_names_outputs_that_exist_in_every_template(self):
        rows = _readme_table()
        self.assertTrue(rows)
        for row in rows:
            cfn, tf = _code(row[0]), _code(row[1])
            self.assertIn(cfn, self.cfn_outputs[CFN_OAC], f"README row {row}: no such output in mediagate.yaml")
            if "OAC only" not in row[0]:
                self.assertIn(cfn, self.cfn_outputs[CFN_OAI], f"README row {row}: no such output in mediagate-oai.yaml")
            else:
                self.assertNotIn(cfn, self.cfn_outputs[CFN_OAI])
            self.assertIn(tf, _tf_outputs(), f"README row {row}: no such Terraform output")

    def test_every_template_output_is_in_the_readme_table(self):
        rows = _readme_table()
        self.assertEqual({_code(r[0]) for r in rows}, self.cfn_outputs[CFN_OAC] | self.cfn_outputs[CFN_OAI])
        self.assertEqual({_code(r[1]) for r in rows}, _tf_outputs())

    def test_readme_table_equals_outputs_to_env_mapping(self):
        rows = _readme_table()
        table = [(_code(r[0]), _code(r[1]), _code(r[2]), _code(r[3])) for r in rows]
        expected = []
        for cfn, tf, setting in self.o2e.MAPPING:
            env = self.o2e.env_var(setting) if setting and "[]" not in setting else None
            expected.append((cfn, tf, setting, env))
        self.assertEqual(table, expected)

    def test_outputs_to_env_reads_both_formats_alike(self):
        cfn = [{"OutputKey": c, "OutputValue": f"v-{t}"} for c, t, _ in self.o2e.MAPPING]
        tf = {t: {"value": f"v-{t}", "type": "string", "sensitive": False} for _, t, _ in self.o2e.MAPPING}
        a = self.o2e.render(self.o2e.read_outputs(cfn))
        b = self.o2e.render(self.o2e.read_outputs(tf))
        self.assertEqual(a, b)
        self.assertIn("export MEDIAGATE_S3__BUCKET=v-bucket_name\n", a)
        self.assertIn("export MEDIAGATE_SIGNING__KEY_PAIR_ID=v-active_public_key_id\n", a)
        self.assertIn("export MEDIAGATE_INVALIDATION__ENABLED=true\n", a)

    def test_every_mapped_setting_exists_in_mediagate_toml(self):
        # mediagate.toml lists every setting (commented out when it has no default).
        toml = (INFRA.parent / "mediagate.toml").read_text()
        sections = dict(re.findall(r"^\[([a-z0-9_]+)\]\n(.*?)(?=^\[|\Z)", toml, re.M | re.S))
        settings = [st for _c, _t, st in self.o2e.MAPPING if st] + ["invalidation.enabled"]
        for setting in settings:
            section, key = setting.split(".", 1)
            key = key.split("[", 1)[0]
            self.assertIn(section, sections, f"mediagate.toml has no [{section}] (for {setting})")
            self.assertRegex(sections[section], rf"(?m)^#?\s*{re.escape(key)}\s*=",
                             f"mediagate.toml's [{section}] has no {key} (for {setting})")

    def test_readme_jq_snippet_uses_the_same_mapping(self):
        block = re.search(r"```sh\n(aws cloudformation describe-stacks[^`]*?jq -r[^`]*?)```", README.read_text(), re.S)
        self.assertIsNotNone(block, "infra/README.md: the jq snippet is gone")
        jq_map = dict(re.findall(r'(\w+):"([A-Z0-9_]+)"', block.group(1)))
        expected = {cfn: self.o2e.env_var(setting)[len("MEDIAGATE_"):]
                    for cfn, _tf, setting in self.o2e.MAPPING if setting and "[]" not in setting}
        self.assertEqual(jq_map, expected)

    def test_readme_counts_the_breakages(self):
        n_cfn, n_tf = len(CFN_BREAKAGES), len(TF_BREAKAGES)
        self.assertIn(f"breaks the templates {n_cfn + n_tf} ways: {n_cfn} CloudFormation breakages",
                      " ".join(README.read_text().split()))
        self.assertIn(f"and {n_tf} Terraform breakages", " ".join(README.read_text().split()))

    def test_terraform_and_cloudformation_output_names_correspond(self):
        def snake(name):
            return re.sub(r"(?<!^)(?=[A-Z])", "_", name.replace("CloudFront", "Cloudfront")).lower()

        self.assertEqual({snake(n) for n in self.cfn_outputs[CFN_OAC]}, _tf_outputs())


class OaiTemplateTracksOacTemplate(unittest.TestCase):
    """mediagate-oai.yaml differs from mediagate.yaml only where the variant requires."""

    def test_differences_are_the_intended_ones(self):
        oac, oai = guard.load_template(CFN_OAC), guard.load_template(CFN_OAI)
        only_oac = {"MediaKey", "MediaKeyAlias", "OriginAccessControl"}
        only_oai = {"OriginAccessIdentity"}
        self.assertEqual(set(oac["Resources"]) - set(oai["Resources"]), only_oac)
        self.assertEqual(set(oai["Resources"]) - set(oac["Resources"]), only_oai)
        self.assertEqual(set(oac["Parameters"]) - set(oai["Parameters"]), {"EncryptionMode"})
        self.assertEqual(set(oai["Parameters"]) - set(oac["Parameters"]), set())
        self.assertEqual(set(oac["Outputs"]) - set(oai["Outputs"]), {"KmsKeyArn"})
        for section in ("Rules",):
            self.assertEqual(oac[section], oai[section])
        differing = {name for name in set(oac["Resources"]) & set(oai["Resources"])
                     if oac["Resources"][name] != oai["Resources"][name]}
        self.assertEqual(differing, {"MediaBucket", "MediaBucketPolicy", "Distribution", "ServicePolicy"})
        # Within those, only the variant's parts differ.
        a, b = copy.deepcopy(oac), copy.deepcopy(oai)
        for t in (a, b):
            res(t, "MediaBucket")["BucketEncryption"] = None
            bucket_statement_list = res(t, "MediaBucketPolicy")["PolicyDocument"]["Statement"]
            del bucket_statement_list[1]
            del dist(t)["Origins"]
            stmts = res(t, "ServicePolicy")["PolicyDocument"]["Statement"]
            stmts[:] = [s for s in stmts if "Fn::If" not in s]
        for name in ("MediaBucket", "MediaBucketPolicy", "Distribution", "ServicePolicy"):
            self.assertEqual(a["Resources"][name], b["Resources"][name], name)


if __name__ == "__main__":
    unittest.main()
