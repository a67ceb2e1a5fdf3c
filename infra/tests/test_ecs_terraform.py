"""Proves mediagate's ECS invariants for Terraform: each checkov policy (CKV_MG_9..16, in
infra/checkov/mediagate_ecs_checks.py) fails on a broken copy of infra/terraform/ecs.

Each breakage edits the text of a copy of the module in its own temp dir (with its own
terraform.tfvars.example, so checkov renders the container definitions); one checkov run over all
copies must fail exactly the named check ids in each copy. The unbroken copy is the control.
"""

from __future__ import annotations

import unittest
from pathlib import Path

from checkov_breakages import CheckovBreakages

INFRA = Path(__file__).resolve().parent.parent
ECS_DIR = INFRA / "terraform" / "ecs"
ECS_IDS = ["CKV_MG_9", "CKV_MG_10", "CKV_MG_11", "CKV_MG_12", "CKV_MG_13", "CKV_MG_14", "CKV_MG_15", "CKV_MG_16"]

USER = '      user                   = "65532:65532"\n'
RO = "      readonlyRootFilesystem = true\n"
CAPS = '      linuxParameters        = { capabilities = { drop = ["ALL"] } }\n'
MOUNT_TMP = '        { sourceVolume = "tmp", containerPath = "/tmp" },\n'
HC = '        command     = ["CMD", "/usr/local/bin/mediagate", "healthcheck"]\n'
PORTS = '      portMappings = [{ name = "http", containerPort = 8080, protocol = "tcp" }]\n'
KEY_RING = '        { name = "MEDIAGATE_SIGNING__KEY_RING", valueFrom = var.key_ring_secret_arn },\n'
S3_OBJECTS = '    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}/*"]\n'
S3_ACTIONS = '    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]\n'
CF_RES = ('    resources = ["arn:${data.aws_partition.current.partition}:cloudfront::${data.aws_caller_identity.current.account_id}'
          ':distribution/${var.distribution_id}"]\n')
KVS_RES = "    resources = [var.revocation_key_value_store_arn]\n"
KVS_ACTION = '      "cloudfront-keyvaluestore:DeleteKey",\n'
SECRETS_RES = "    resources = [var.key_ring_secret_arn, local.database_url_secret_arn]\n"
TG_PATH = '    path                = "/readyz"\n'
TG_PORT = "  port                 = 8080\n"
ADMIN_SRC = "  referenced_security_group_id = var.admin_source_security_group_id\n"
ALB_EGRESS = """  from_port                    = 8080
  to_port                      = 8080
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_security_group" "tasks" {"""
PUBLIC_IP = "    assign_public_ip = false\n"
LB_PORT = "    container_port   = 8080\n"

# name: ([(file, text that must occur once in it, replacement)], failing ids). "once" is checked
# per file; task.tf has two task definitions (hs256, oidc), so edits there name the first one's
# text by an occurrence count of 2 where both must break (see _replace).
TF_BREAKAGES = {
    "runs_as_root": ([("task.tf", USER, '      user                   = "0:0"\n')], {"CKV_MG_9"}),
    "no_user": ([("task.tf", USER, "")], {"CKV_MG_9"}),
    "privileged": ([("task.tf", CAPS, CAPS + "      privileged             = true\n")], {"CKV_MG_9"}),
    "keeps_capabilities": ([("task.tf", CAPS, "")], {"CKV_MG_9"}),
    "root_filesystem_writable": ([("task.tf", RO, "      readonlyRootFilesystem = false\n")], {"CKV_MG_10"}),
    "writable_mount_elsewhere": ([("task.tf", MOUNT_TMP, MOUNT_TMP + '        { sourceVolume = "tmp", containerPath = "/etc" },\n')],
                                 {"CKV_MG_10"}),
    "task_role_s3_star_action": ([("iam.tf", S3_ACTIONS, '    actions   = ["s3:*"]\n')], {"CKV_MG_11"}),
    "task_role_s3_star_resource": ([("iam.tf", S3_OBJECTS, '    resources = ["*"]\n')], {"CKV_MG_11"}),
    "task_role_s3_any_bucket": ([("iam.tf", S3_OBJECTS, '    resources = ["arn:aws:s3:::*"]\n')], {"CKV_MG_11"}),
    "task_role_s3_other_bucket": ([("iam.tf", S3_OBJECTS, '    resources = ["arn:aws:s3:::someone-else/*"]\n')], {"CKV_MG_11"}),
    "task_role_cloudfront_any_distribution": ([("iam.tf", CF_RES, CF_RES.replace("${var.distribution_id}", "*"))], {"CKV_MG_11"}),
    "task_role_kvs_star_resource": ([("iam.tf", KVS_RES, '    resources = ["*"]\n')], {"CKV_MG_11"}),
    "task_role_kvs_any_store": ([("iam.tf", KVS_RES, '    resources = ["arn:aws:cloudfront::123456789012:key-value-store/*"]\n')],
                                {"CKV_MG_11"}),
    "task_role_kvs_star_action": ([("iam.tf", KVS_ACTION, KVS_ACTION + '      "cloudfront-keyvaluestore:*",\n')], {"CKV_MG_11"}),
    "task_role_kvs_shares_a_statement": ([("iam.tf", KVS_ACTION, KVS_ACTION + '      "s3:GetObject",\n')], {"CKV_MG_11"}),
    "execution_role_reads_every_secret": ([("iam.tf", SECRETS_RES, '    resources = ["*"]\n')], {"CKV_MG_11"}),
    "managed_policy_attached": ([("iam.tf", 'resource "aws_iam_role_policy" "task" {', 'resource "aws_iam_role_policy_attachment" "admin" {\n'
                                  '  role       = aws_iam_role.task.name\n  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"\n}\n\n'
                                  'resource "aws_iam_role_policy" "task" {')], {"CKV_MG_11"}),
    "target_group_checks_healthz": ([("network.tf", TG_PATH, '    path                = "/healthz"\n')], {"CKV_MG_12"}),
    "container_health_check_elsewhere": ([("task.tf", HC, HC.replace('"healthcheck"]', '"healthcheck", "--url", "http://127.0.0.1:9090/healthz"]'))],
                                         {"CKV_MG_12"}),
    "target_group_on_admin_port": ([("network.tf", TG_PORT, "  port                 = 9090\n")], {"CKV_MG_12", "CKV_MG_13"}),
    "admin_port_from_alb": ([("network.tf", ADMIN_SRC, "  referenced_security_group_id = aws_security_group.alb.id\n")], {"CKV_MG_13"}),
    "alb_egress_to_every_port": ([("network.tf", ALB_EGRESS, ALB_EGRESS.replace("from_port                    = 8080",
                                                                                 "from_port                    = 0").replace(
        "to_port                      = 8080", "to_port                      = 65535"))], {"CKV_MG_13"}),
    "container_maps_admin_port": ([("task.tf", PORTS, PORTS.replace("}]", '}, { name = "admin", containerPort = 9090, protocol = "tcp" }]'))],
                                  {"CKV_MG_13"}),
    "tasks_get_public_ip": ([("service.tf", PUBLIC_IP, "    assign_public_ip = true\n")], {"CKV_MG_13"}),
    "key_ring_in_plain_environment": ([("task.tf", KEY_RING, ""), ("task.tf", '{ name = "MEDIAGATE_LOG__FORMAT", value = "json" },',
                                                                   '{ name = "MEDIAGATE_LOG__FORMAT", value = "json" },\n'
                                                                   '        { name = "MEDIAGATE_SIGNING__KEY_RING", value = "{}" },')],
                                      {"CKV_MG_14"}),
    "database_url_in_environment": ([("task.tf", '{ name = "MEDIAGATE_LOG__FORMAT", value = "json" },',
                                      '{ name = "MEDIAGATE_LOG__FORMAT", value = "json" },\n'
                                      '        { name = "MEDIAGATE_DB", value = "postgres://u:hunter2@db:5432/m" },')], {"CKV_MG_14"}),
    "deploy_stops_half_the_replicas": ([("service.tf", "  deployment_minimum_healthy_percent = 100\n",
                                         "  deployment_minimum_healthy_percent = 50\n")], {"CKV_MG_15"}),
    "deploy_without_rollback": ([("service.tf", "    rollback = true\n", "    rollback = false\n")], {"CKV_MG_15"}),
    "database_public": ([("database.tf", "  publicly_accessible             = false\n  multi_az",
                          "  publicly_accessible             = true\n  multi_az")], {"CKV_MG_16"}),
    "database_unencrypted": ([("database.tf", '  storage_type                    = "gp3"\n  storage_encrypted               = true\n',
                               '  storage_type                    = "gp3"\n  storage_encrypted               = false\n')], {"CKV_MG_16"}),
    "database_literal_password": ([("database.tf", "  password                        = random_password.db[0].result\n",
                                    '  password                        = "hunter2hunter2"\n')], {"CKV_MG_16"}),
}


def _replace(path: Path, old: str, new: str) -> None:
    """Replaces text that occurs once, or in task.tf once per task definition (twice): the two
    auth variants carry the same container, and a breakage must reach the checked one."""
    text = path.read_text()
    n = text.count(old)
    if n not in ((1, 2) if path.name == "task.tf" else (1,)):
        raise AssertionError(f"{path.name}: expected the text to edit once (task.tf: once or twice), found {n}: {old!r}")
    path.write_text(text.replace(old, new))


class EcsTerraformCheckov(CheckovBreakages, unittest.TestCase):
    SOURCE = ECS_DIR
    IDS = ECS_IDS
    BREAKAGES = TF_BREAKAGES

    # Its own terraform.tfvars.example per copy, so that checkov renders the container definitions.
    @classmethod
    def var_files(cls, copy: Path) -> list[Path]:
        return [copy / "terraform.tfvars.example"]

    edit = staticmethod(_replace)


EcsTerraformCheckov.add_breakage_tests()


if __name__ == "__main__":
    unittest.main()
