"""mediagate's ECS invariants for its Terraform (infra/terraform/ecs/), as checkov custom policies.

The CloudFormation twin is infra/guard/mediagate-ecs.guard (same invariants, same order). Each
check is proved to fail on a broken copy of the module by infra/tests/test_ecs_terraform.py.

checkov renders a literal `jsonencode([...])` container definition into a list when every
variable it uses has a value (scripts/check-infra passes terraform.tfvars.example), and leaves a
string otherwise; a container definition that cannot be read is a FAILED check, never a pass.
"""

from __future__ import annotations

import json
import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck



# The same readers as mediagate_checks.py's, repeated: importing that module from here would
# register its checks a second time.
def _one(conf: dict, key: str, default: Any = None) -> Any:
    value = conf.get(key, [default])
    if isinstance(value, list):
        return value[0] if value else default
    return value


def _list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        return value[0] if len(value) == 1 and isinstance(value[0], list) else value
    return [value]


def _blocks(conf: dict, key: str) -> list[dict]:
    return [b for b in _list(conf.get(key)) if isinstance(b, dict)]


OK, BAD = CheckResult.PASSED, CheckResult.FAILED
HEALTHCHECK = ["CMD", "/usr/local/bin/mediagate", "healthcheck"]
WRITABLE = {"/var/lib/mediagate", "/tmp"}
ADMIN_PORT = 9090
SECRET_NAME = re.compile(r"(?i)(KEY_RING|SECRET|PASSWORD|PRIVATE_KEY|DATABASE__URL|DATABASE_URL|TOKEN|CREDENTIALS?)$")
URL_WITH_PASSWORD = re.compile(r"^postgres(ql)?://[^/@]*:[^/@]*@")
PARTITION = r"(\$\{data\.aws_partition\.current\.partition\}|aws[a-z-]*)"
S3_OBJECTS = re.compile(rf"^(arn:{PARTITION}:s3:::\$\{{var\.bucket_name\}}|\$\{{aws_s3_bucket\.[a-z_]+\.arn\}})/\*$")
# A bucket ARN written as an interpolation or as a bare reference (terraform fmt's spelling).
S3_BUCKET = re.compile(rf"^(arn:{PARTITION}:s3:::\$\{{var\.bucket_name\}}|\$\{{aws_s3_bucket\.[a-z_]+\.arn\}}|aws_s3_bucket\.[a-z_]+\.arn)$")
DISTRIBUTION = re.compile(
    rf"^(arn:{PARTITION}:cloudfront::\$\{{data\.aws_caller_identity\.current\.account_id\}}:distribution/\$\{{var\.distribution_id\}}"
    r"|aws_cloudfront_distribution\.[a-z_]+\.arn)$")
RESOURCELESS = {"ecr:GetAuthorizationToken"}
# The revocation sender's rights: on the store named by var.revocation_key_value_store_arn (as a
# reference, or the exact ARN checkov renders from the tfvars), or on a store of the module.
KVS_ACTIONS = {"cloudfront-keyvaluestore:DescribeKeyValueStore", "cloudfront-keyvaluestore:GetKey",
               "cloudfront-keyvaluestore:ListKeys", "cloudfront-keyvaluestore:UpdateKeys",
               "cloudfront-keyvaluestore:PutKey", "cloudfront-keyvaluestore:DeleteKey"}
KVS_STORE = re.compile(r"^((\$\{)?(var\.revocation_key_value_store_arn|aws_cloudfront_key_value_store\.[a-z0-9_]+\.arn)\}?"
                       r"|arn:aws[a-z-]*:cloudfront::[0-9]{12}:key-value-store/[A-Za-z0-9-]+)$")


def containers(conf: dict) -> list[dict] | None:
    """The container definitions as data, or None when checkov could not render them."""
    value = _one(conf, "container_definitions")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(c, dict) for c in value):
        return None
    return value


class _ContainerCheck(BaseResourceCheck):
    def __init__(self, name: str, id: str) -> None:
        super().__init__(name=name, id=id, categories=(CheckCategories.GENERAL_SECURITY,),
                         supported_resources=("aws_ecs_task_definition",))

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        cs = containers(conf)
        if cs is None:
            return BAD
        return OK if all(self.judge(c) for c in cs) else BAD

    def judge(self, c: dict) -> bool:
        raise NotImplementedError


class TaskRunsAsNonRoot(_ContainerCheck):
    def __init__(self) -> None:
        super().__init__("mediagate: ECS containers run as a numeric non-root uid:gid, unprivileged, all capabilities dropped", "CKV_MG_9")

    def judge(self, c: dict) -> bool:
        caps = ((c.get("linuxParameters") or {}).get("capabilities") or {})
        return (isinstance(c.get("user"), str) and re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", c["user"]) is not None
                and c.get("privileged") in (None, False)
                and "ALL" in (caps.get("drop") or []) and not caps.get("add"))


class ReadOnlyRootFilesystem(_ContainerCheck):
    def __init__(self) -> None:
        super().__init__("mediagate: ECS containers have a read-only root filesystem, writable only at /var/lib/mediagate and /tmp", "CKV_MG_10")

    def judge(self, c: dict) -> bool:
        mounts = {m.get("containerPath") for m in c.get("mountPoints") or [] if isinstance(m, dict)}
        return c.get("readonlyRootFilesystem") is True and mounts <= WRITABLE


class ContainerHealthCheckOnReadyz(_ContainerCheck):
    def __init__(self) -> None:
        super().__init__("mediagate: health checks on /readyz (the container runs `mediagate healthcheck`)", "CKV_MG_12")

    def judge(self, c: dict) -> bool:
        return (c.get("healthCheck") or {}).get("command") == HEALTHCHECK


class ContainerMapsNoAdminPort(_ContainerCheck):
    def __init__(self) -> None:
        super().__init__("mediagate: the admin port 9090 is not exposed to the load balancer", "CKV_MG_13")

    def judge(self, c: dict) -> bool:
        return all(m.get("containerPort") != ADMIN_PORT for m in c.get("portMappings") or [] if isinstance(m, dict))


class SecretsNotInPlainEnvironment(_ContainerCheck):
    def __init__(self) -> None:
        super().__init__("mediagate: secrets come from Secrets Manager, never a plain environment variable", "CKV_MG_14")

    def judge(self, c: dict) -> bool:
        for var in c.get("environment") or []:
            if not isinstance(var, dict):
                return False
            value = str(var.get("value", ""))
            if SECRET_NAME.search(str(var.get("name", ""))) or "-----BEGIN" in value or URL_WITH_PASSWORD.match(value):
                return False
        names = {s.get("name") for s in c.get("secrets") or [] if isinstance(s, dict)}
        return {"MEDIAGATE_SIGNING__KEY_RING", "MEDIAGATE_DATABASE__URL"} <= names


# --- CKV_MG_11: least privilege -----------------------------------------------------------------


def _statements(conf: dict) -> list[dict]:
    """Every statement of a policy document, dynamic blocks' contents included."""
    out = list(_blocks(conf, "statement"))
    for d in _blocks(conf, "dynamic"):
        for body in _list(d.get("statement")):
            if isinstance(body, dict):
                out += _blocks(body, "content")
    return out


def _flat(value: Any) -> list:
    out = []
    for v in _list(value):
        out += _flat(v) if isinstance(v, list) else [v]
    return out


def _statement_ok(st: dict) -> bool:
    if st.get("not_actions") or st.get("not_resources"):
        return False
    actions = [str(a) for a in _flat(st.get("actions"))]
    resources = [str(r) for r in _flat(st.get("resources"))]
    if not actions or not resources or any("*" in a for a in actions):
        return False
    # "*" only where AWS takes no resource, "group-arn:*" only for a log group's streams, and
    # "bucket/*" only for S3 objects (below).
    for r in resources:
        if "*" in r and not r.endswith("/*") and not set(actions) <= RESOURCELESS:
            if not (r.endswith(":*") and "*" not in r[:-1] and all(a.startswith("logs:") for a in actions)):
                return False
    s3 = [a for a in actions if a.startswith("s3:")]
    if s3:
        if not set(s3) <= {"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket"} or len(s3) != len(actions):
            return False
        pattern = S3_BUCKET if s3 == ["s3:ListBucket"] else S3_OBJECTS
        if "s3:ListBucket" in s3 and len(s3) > 1:
            return False
        if not all(pattern.match(r) for r in resources):
            return False
    elif any(r.endswith("/*") for r in resources):
        return False
    kvs = [a for a in actions if a.startswith("cloudfront-keyvaluestore:")]
    if kvs:
        if not set(kvs) <= KVS_ACTIONS or len(kvs) != len(actions):
            return False
        if not all(KVS_STORE.match(r) for r in resources):
            return False
    cf = [a for a in actions if a.startswith("cloudfront:")]
    if cf:
        if not set(cf) <= {"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"} or len(cf) != len(actions):
            return False
        if not all(DISTRIBUTION.match(r) for r in resources):
            return False
    return True


class IdentityPolicyLeastPrivilege(BaseDataCheck):
    """Identity policies (no principals: resource and trust policies are CKV_MG_3/4's)."""

    def __init__(self) -> None:
        super().__init__(name="mediagate: role policies are least privilege (no wildcards; S3 on the bucket, CloudFront on the distribution, KeyValueStore on the store)",
                         id="CKV_MG_11", categories=(CheckCategories.IAM,), supported_data=("aws_iam_policy_document",))

    def scan_data_conf(self, conf: dict) -> CheckResult:
        statements = _statements(conf)
        if any(_blocks(st, "principals") or _blocks(st, "not_principals") for st in statements):
            return CheckResult.UNKNOWN
        return OK if statements and all(_statement_ok(st) for st in statements) else BAD


class RolesCarryInlinePoliciesOnly(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="mediagate: role policies are least privilege (no managed policies, whose rights are not checked here)",
                         id="CKV_MG_11", categories=(CheckCategories.IAM,),
                         supported_resources=("aws_iam_role", "aws_iam_role_policy_attachment", "aws_ecs_task_definition"))

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        if "policy_arn" in conf:  # aws_iam_role_policy_attachment
            return BAD
        if "container_definitions" in conf:
            role = str(_one(conf, "task_role_arn", ""))
            return OK if re.fullmatch(r"aws_iam_role\.[a-z_]+\.arn", role) else BAD
        return BAD if [p for p in _flat(conf.get("managed_policy_arns")) if p] else OK


# --- CKV_MG_12 / 13: target group, service, security group rules --------------------------------


class TargetGroupHealthCheckOnReadyz(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="mediagate: health checks on /readyz (the target group, on the main port 8080)",
                         id="CKV_MG_12", categories=(CheckCategories.GENERAL_SECURITY,), supported_resources=("aws_lb_target_group",))

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        [hc] = _blocks(conf, "health_check") or [{}]
        return OK if (_one(conf, "port") == 8080 and _one(hc, "path") == "/readyz" and _one(hc, "enabled", True) is True
                      and str(_one(hc, "port", "traffic-port")) in ("traffic-port", "8080")) else BAD


def _covers_admin(conf: dict) -> bool:
    if str(_one(conf, "ip_protocol", _one(conf, "protocol", "tcp"))) in ("-1", "all"):
        return True
    lo, hi = _one(conf, "from_port"), _one(conf, "to_port")
    return isinstance(lo, int) and isinstance(hi, int) and lo <= ADMIN_PORT <= hi


class AdminPortNotExposed(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="mediagate: the admin port 9090 is not exposed to the load balancer", id="CKV_MG_13",
                         categories=(CheckCategories.NETWORKING,),
                         supported_resources=("aws_lb_target_group", "aws_ecs_service", "aws_vpc_security_group_ingress_rule",
                                              "aws_vpc_security_group_egress_rule", "aws_security_group_rule", "aws_security_group"))

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        address = str(conf.get("__address__", ""))
        if address.startswith("aws_lb_target_group."):
            return BAD if _one(conf, "port") == ADMIN_PORT else OK
        if address.startswith("aws_ecs_service."):
            ports = [_one(lb, "container_port") for lb in _blocks(conf, "load_balancer")]
            public = [_one(n, "assign_public_ip") for n in _blocks(conf, "network_configuration")]
            return BAD if ADMIN_PORT in ports or True in public or "true" in public else OK
        if address.startswith("aws_security_group."):
            rules = [(r, "ingress") for r in _blocks(conf, "ingress")] + [(r, "egress") for r in _blocks(conf, "egress")]
        else:
            kind = "egress" if "egress" in address or _one(conf, "type") == "egress" else "ingress"
            rules = [(conf, kind)]
        for rule, kind in rules:
            if not _covers_admin(rule):
                continue
            source = _one(rule, "referenced_security_group_id", _one(rule, "source_security_group_id"))
            if kind == "egress" or source not in ("${var.admin_source_security_group_id}", "var.admin_source_security_group_id", ""):
                return BAD
            if any(_one(rule, k) for k in ("cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_id")):
                return BAD
        return OK


# --- CKV_MG_15 / 16 ------------------------------------------------------------------------------


class RollingDeployKeepsServing(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="mediagate: rolling deploys keep the desired count serving and roll back on failure", id="CKV_MG_15",
                         categories=(CheckCategories.GENERAL_SECURITY,), supported_resources=("aws_ecs_service",))

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        [cb] = _blocks(conf, "deployment_circuit_breaker") or [{}]
        low, high = _one(conf, "deployment_minimum_healthy_percent"), _one(conf, "deployment_maximum_percent")
        return OK if (isinstance(low, int) and low >= 100 and isinstance(high, int) and high > 100
                      and _one(cb, "enable") is True and _one(cb, "rollback") is True) else BAD


class DatabaseEncryptedAndPrivate(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="mediagate: the reference database is encrypted, private, its password generated", id="CKV_MG_16",
                         categories=(CheckCategories.GENERAL_SECURITY,),
                         supported_resources=("aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance"))

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        address = str(conf.get("__address__", ""))
        if not address.startswith("aws_rds_cluster.") and _one(conf, "publicly_accessible") is not False:
            return BAD
        if address.startswith("aws_rds_cluster_instance."):
            return OK
        password = str(_one(conf, "password", _one(conf, "master_password", "")))
        generated = re.fullmatch(r"(\$\{)?random_password\.[a-z_]+(\[0\])?\.result\}?", password) is not None
        return OK if _one(conf, "storage_encrypted") is True and generated else BAD


for _check in (TaskRunsAsNonRoot, ReadOnlyRootFilesystem, IdentityPolicyLeastPrivilege, RolesCarryInlinePoliciesOnly,
               ContainerHealthCheckOnReadyz, TargetGroupHealthCheckOnReadyz, ContainerMapsNoAdminPort, AdminPortNotExposed,
               SecretsNotInPlainEnvironment, RollingDeployKeepsServing, DatabaseEncryptedAndPrivate):
    _check()
