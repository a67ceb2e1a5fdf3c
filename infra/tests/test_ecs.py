"""Proves mediagate's ECS invariants: each rule fails on a broken copy of an ECS template.

Run by scripts/check-infra (python -m unittest in infra/tests), beside test_invariants.py, and
built the same way: CloudFormation breakages edit a copy of mediagate-ecs.yaml or
mediagate-ecs-database.yaml (as data) and run infra/guard/mediagate-ecs.guard on it; the set of
failing rules must be exactly the one(s) named. Terraform breakages (test_ecs_terraform.py) do
the same through checkov and our policies. The unbroken templates are the controls.
"""

from __future__ import annotations

import unittest
from pathlib import Path

import guard
from guard_breakages import GuardBreakages

INFRA = Path(__file__).resolve().parent.parent
CFN_ECS = INFRA / "cloudformation" / "mediagate-ecs.yaml"
CFN_DB = INFRA / "cloudformation" / "mediagate-ecs-database.yaml"
RULES = guard.ECS_RULES_FILE
# What the guard rule looks for: PEM armour. Assembled, and followed by no key material, so the
# repository holds nothing a secret scanner takes for a private key.
PEM_ARMOUR = "-----BEGIN " + "PRIVATE KEY-----\n..."

DB_ONLY_RULES = {"ecs_database_encrypted_and_private"}

# --- helpers: each must find what it edits (KeyError / AssertionError otherwise) -------------


def res(t, name):
    return t["Resources"][name]["Properties"]


def container(t):
    [c] = res(t, "TaskDefinition")["ContainerDefinitions"]
    return c


def statement(t, role, sid):
    found = []
    for st in res(t, role)["Policies"][0]["PolicyDocument"]["Statement"]:
        if "Fn::If" in st:
            st = st["Fn::If"][1]
        if st.get("Sid") == sid:
            found.append(st)
    [st] = found
    return st


def _delete(d, key):
    del d[key]


def _add_mount(t):
    t["Resources"]["TaskDefinition"]["Properties"]["Volumes"].append({"Name": "etc"})
    container(t)["MountPoints"].append({"SourceVolume": "etc", "ContainerPath": "/etc/mediagate"})


def _key_ring_in_plain_environment(t):
    c = container(t)
    c["Secrets"] = [s for s in c["Secrets"] if s.get("Name") != "MEDIAGATE_SIGNING__KEY_RING"]
    c["Environment"].append({"Name": "MEDIAGATE_SIGNING__KEY_RING", "Value": '{"active":"K2ABCDEFGHIJKL","keys":[]}'})


def _env(t, name, value):
    container(t)["Environment"].append({"Name": name, "Value": value})


def _secret_env_behind_condition(t):
    container(t)["Environment"].append({"Fn::If": ["IsHs256", {"Name": "MEDIAGATE_AUTH__HS256_SECRET", "Value": "hunter2"},
                                                   {"Ref": "AWS::NoValue"}]})


def _drop_secret(t, name):
    c = container(t)
    before = len(c["Secrets"])
    c["Secrets"] = [s for s in c["Secrets"] if s.get("Name") != name]
    assert len(c["Secrets"]) == before - 1


def _ingress(t, name, **props):
    t["Resources"][name] = {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        "GroupId": {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}, "IpProtocol": "tcp", **props}}


def _inline_db_ingress(t):
    res(t, "DatabaseSecurityGroup")["SecurityGroupIngress"] = [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "0.0.0.0/0"}]


def _set(getter, key, value):
    return lambda t: getter(t).__setitem__(key, value)


STAR_S3 = {"Fn::Sub": "arn:${AWS::Partition}:s3:::*"}

CFN_BREAKAGES = {
    # name: (template, edit, failing rules)
    "container_runs_as_root": (CFN_ECS, _set(container, "User", "0:0"), {"ecs_task_runs_as_non_root"}),
    "container_root_group": (CFN_ECS, _set(container, "User", "65532:0"), {"ecs_task_runs_as_non_root"}),
    "container_without_user": (CFN_ECS, lambda t: _delete(container(t), "User"), {"ecs_task_runs_as_non_root"}),
    "container_user_by_name": (CFN_ECS, _set(container, "User", "root"), {"ecs_task_runs_as_non_root"}),
    "container_privileged": (CFN_ECS, _set(container, "Privileged", True), {"ecs_task_runs_as_non_root"}),
    "container_keeps_capabilities": (CFN_ECS, lambda t: _delete(container(t), "LinuxParameters"),
                                     {"ecs_task_runs_as_non_root"}),
    "container_adds_capability": (CFN_ECS, lambda t: container(t)["LinuxParameters"]["Capabilities"].__setitem__(
        "Add", ["SYS_PTRACE"]), {"ecs_task_runs_as_non_root"}),
    "root_filesystem_writable": (CFN_ECS, _set(container, "ReadonlyRootFilesystem", False),
                                 {"ecs_read_only_root_filesystem"}),
    "root_filesystem_unset": (CFN_ECS, lambda t: _delete(container(t), "ReadonlyRootFilesystem"),
                              {"ecs_read_only_root_filesystem"}),
    "writable_mount_outside_data_and_tmp": (CFN_ECS, _add_mount, {"ecs_read_only_root_filesystem"}),
    "task_role_s3_star_action": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "MediaObjects"), "Action", ["s3:*"]),
                                 {"ecs_roles_least_privilege"}),
    "task_role_s3_star_resource": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "MediaObjects"), "Resource", "*"),
                                   {"ecs_roles_least_privilege"}),
    "task_role_s3_any_bucket": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "MediaObjects"), "Resource", STAR_S3),
                                {"ecs_roles_least_privilege"}),
    "task_role_s3_other_bucket": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "MediaObjects"), "Resource",
                                                {"Fn::Sub": "arn:${AWS::Partition}:s3:::someone-else/*"}),
                                  {"ecs_roles_least_privilege"}),
    "task_role_s3_objects_on_bucket_arn": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "MediaObjects"), "Resource",
                                                         {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}"}),
                                           {"ecs_roles_least_privilege"}),
    "task_role_s3_extra_action": (CFN_ECS, lambda t: statement(t, "TaskRole", "MediaObjects")["Action"].append("s3:PutObjectAcl"),
                                  {"ecs_roles_least_privilege"}),
    "task_role_list_bucket_any_bucket": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "HeadAnswers404"), "Resource", STAR_S3),
                                         {"ecs_roles_least_privilege"}),
    "task_role_cloudfront_any_distribution": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "InvalidateThisDistribution"), "Resource", {
        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*"}), {"ecs_roles_least_privilege"}),
    "task_role_cloudfront_star_resource": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "InvalidateThisDistribution"), "Resource", "*"),
                                           {"ecs_roles_least_privilege"}),
    "task_role_cloudfront_extra_action": (CFN_ECS, lambda t: statement(t, "TaskRole", "InvalidateThisDistribution")["Action"].append(
        "cloudfront:UpdateDistribution"), {"ecs_roles_least_privilege"}),
    "task_role_kvs_star_resource": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "RevocationFloors"), "Resource", "*"),
                                    {"ecs_roles_least_privilege"}),
    "task_role_kvs_any_store": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "RevocationFloors"), "Resource", {
        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:key-value-store/*"}), {"ecs_roles_least_privilege"}),
    "task_role_kvs_literal_other_store": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "RevocationFloors"), "Resource",
                                                        "arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE22222"),
                                          {"ecs_roles_least_privilege"}),
    "task_role_kvs_star_action": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "RevocationFloors"), "Action",
                                                ["cloudfront-keyvaluestore:*"]), {"ecs_roles_least_privilege"}),
    "task_role_kvs_shares_a_statement": (CFN_ECS, lambda t: statement(t, "TaskRole", "RevocationFloors")["Action"].append(
        "s3:GetObject"), {"ecs_roles_least_privilege"}),
    "task_role_kms_star_behind_condition": (CFN_ECS, _set(lambda t: statement(t, "TaskRole", "MediaKeyForUploadsAndHead"), "Action", ["kms:*"]),
                                            {"ecs_roles_least_privilege"}),
    "task_role_not_action": (CFN_ECS, lambda t: statement(t, "TaskRole", "MediaObjects").__setitem__("NotAction", ["iam:*"]),
                             {"ecs_roles_least_privilege"}),
    "task_role_managed_admin_policy": (CFN_ECS, _set(lambda t: res(t, "TaskRole"), "ManagedPolicyArns",
                                                     ["arn:aws:iam::aws:policy/AdministratorAccess"]), {"ecs_roles_least_privilege"}),
    "execution_role_reads_every_secret": (CFN_ECS, _set(lambda t: statement(t, "ExecutionRole", "ReadTheInjectedSecrets"), "Resource", "*"),
                                          {"ecs_roles_least_privilege"}),
    "execution_role_secret_wildcard_in_list": (CFN_ECS, lambda t: statement(t, "ExecutionRole", "ReadTheInjectedSecrets")["Resource"].append(
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:*"), {"ecs_roles_least_privilege"}),
    "task_role_from_outside": (CFN_ECS, _set(lambda t: res(t, "TaskDefinition"), "TaskRoleArn", "arn:aws:iam::123456789012:role/any"),
                               {"ecs_roles_least_privilege"}),
    "target_group_checks_healthz": (CFN_ECS, _set(lambda t: res(t, "TargetGroup"), "HealthCheckPath", "/healthz"),
                                    {"ecs_health_checks_on_readyz"}),
    "target_group_health_check_off": (CFN_ECS, _set(lambda t: res(t, "TargetGroup"), "HealthCheckEnabled", False),
                                      {"ecs_health_checks_on_readyz"}),
    "target_group_health_check_on_admin_port": (CFN_ECS, _set(lambda t: res(t, "TargetGroup"), "HealthCheckPort", "9090"),
                                                {"ecs_health_checks_on_readyz"}),
    "container_without_health_check": (CFN_ECS, lambda t: _delete(container(t), "HealthCheck"), {"ecs_health_checks_on_readyz"}),
    "container_health_check_elsewhere": (CFN_ECS, lambda t: container(t)["HealthCheck"]["Command"].extend(
        ["--url", "http://127.0.0.1:9090/healthz"]), {"ecs_health_checks_on_readyz"}),
    "container_health_check_shell": (CFN_ECS, _set(lambda t: container(t)["HealthCheck"], "Command",
                                                   ["CMD-SHELL", "curl -f http://localhost:8080/readyz"]), {"ecs_health_checks_on_readyz"}),
    "target_group_on_admin_port": (CFN_ECS, _set(lambda t: res(t, "TargetGroup"), "Port", 9090),
                                   {"ecs_health_checks_on_readyz", "ecs_admin_port_not_exposed_to_alb"}),
    "admin_port_from_alb": (CFN_ECS, _set(lambda t: res(t, "AdminIngress"), "SourceSecurityGroupId",
                                          {"Fn::GetAtt": ["AlbSecurityGroup", "GroupId"]}), {"ecs_admin_port_not_exposed_to_alb"}),
    "admin_port_from_internet": (CFN_ECS, lambda t: _ingress(t, "Oops", FromPort=9090, ToPort=9090, CidrIp="0.0.0.0/0"),
                                 {"ecs_admin_port_not_exposed_to_alb"}),
    "admin_port_inline_from_internet": (CFN_ECS, _set(lambda t: res(t, "TaskSecurityGroup"), "SecurityGroupIngress", [
        {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9100, "CidrIp": "10.0.0.0/8"}]), {"ecs_admin_port_not_exposed_to_alb"}),
    "alb_reaches_every_task_port": (CFN_ECS, lambda t: res(t, "TasksFromAlb").update(FromPort=0, ToPort=65535),
                                    {"ecs_admin_port_not_exposed_to_alb"}),
    "alb_rule_every_protocol": (CFN_ECS, lambda t: res(t, "TasksFromAlb").update(IpProtocol="-1", FromPort=-1, ToPort=-1),
                                {"ecs_admin_port_not_exposed_to_alb"}),
    "alb_egress_to_admin_port": (CFN_ECS, lambda t: res(t, "AlbToTasks").update(FromPort=9090, ToPort=9090),
                                 {"ecs_admin_port_not_exposed_to_alb"}),
    "service_registers_admin_port": (CFN_ECS, _set(lambda t: res(t, "Service")["LoadBalancers"][0], "ContainerPort", 9090),
                                     {"ecs_admin_port_not_exposed_to_alb"}),
    "container_maps_admin_port": (CFN_ECS, lambda t: container(t)["PortMappings"].append({"ContainerPort": 9090, "Protocol": "tcp"}),
                                  {"ecs_admin_port_not_exposed_to_alb"}),
    "tasks_get_public_ip": (CFN_ECS, _set(lambda t: res(t, "Service")["NetworkConfiguration"]["AwsvpcConfiguration"],
                                          "AssignPublicIp", "ENABLED"), {"ecs_admin_port_not_exposed_to_alb"}),
    "key_ring_in_plain_environment": (CFN_ECS, _key_ring_in_plain_environment, {"ecs_secrets_not_in_plain_environment"}),
    "hs256_secret_in_environment_behind_condition": (CFN_ECS, _secret_env_behind_condition, {"ecs_secrets_not_in_plain_environment"}),
    "database_url_with_password_in_environment": (CFN_ECS, lambda t: _env(t, "MEDIAGATE_DB", "postgres://mediagate:hunter2@db:5432/m"),
                                                  {"ecs_secrets_not_in_plain_environment"}),
    "pem_in_environment": (CFN_ECS, lambda t: _env(t, "MEDIAGATE_X", PEM_ARMOUR),
                           {"ecs_secrets_not_in_plain_environment"}),
    "database_url_not_injected": (CFN_ECS, lambda t: _drop_secret(t, "MEDIAGATE_DATABASE__URL"),
                                  {"ecs_secrets_not_in_plain_environment"}),
    "deploy_stops_half_the_replicas": (CFN_ECS, _set(lambda t: res(t, "Service")["DeploymentConfiguration"], "MinimumHealthyPercent", 50),
                                       {"ecs_rolling_deploy_keeps_serving"}),
    "deploy_cannot_surge": (CFN_ECS, _set(lambda t: res(t, "Service")["DeploymentConfiguration"], "MaximumPercent", 100),
                            {"ecs_rolling_deploy_keeps_serving"}),
    "deploy_without_rollback": (CFN_ECS, _set(lambda t: res(t, "Service")["DeploymentConfiguration"]["DeploymentCircuitBreaker"],
                                              "Rollback", False), {"ecs_rolling_deploy_keeps_serving"}),
    "database_public": (CFN_DB, _set(lambda t: res(t, "Instance"), "PubliclyAccessible", True), {"ecs_database_encrypted_and_private"}),
    "database_unencrypted": (CFN_DB, _set(lambda t: res(t, "Instance"), "StorageEncrypted", False), {"ecs_database_encrypted_and_private"}),
    "database_literal_password": (CFN_DB, _set(lambda t: res(t, "Instance"), "MasterUserPassword", "hunter2hunter2"),
                                  {"ecs_database_encrypted_and_private"}),
    "aurora_cluster_unencrypted": (CFN_DB, _set(lambda t: res(t, "Cluster"), "StorageEncrypted", False),
                                   {"ecs_database_encrypted_and_private"}),
    "aurora_writer_public": (CFN_DB, _set(lambda t: res(t, "ClusterWriter"), "PubliclyAccessible", True),
                             {"ecs_database_encrypted_and_private"}),
    "database_open_to_the_internet": (CFN_DB, _inline_db_ingress, {"ecs_database_encrypted_and_private"}),
}


class EcsCloudFormationGuard(GuardBreakages, unittest.TestCase):
    TEMPLATES = (CFN_ECS, CFN_DB)
    RULES = RULES
    BREAKAGES = CFN_BREAKAGES

    def test_every_template_has_a_rules_file(self):
        templates = {p.name for p in (INFRA / "cloudformation").glob("*.yaml")}
        self.assertEqual(templates, set(guard.RULES_BY_TEMPLATE))
        self.assertEqual(guard.rules_for(CFN_ECS), RULES)
        self.assertEqual(guard.rules_for(CFN_DB), RULES)

    def test_control_ecs_template_passes_every_service_rule(self):
        results = guard.check(self.originals[CFN_ECS], RULES)
        self.assertEqual({n: r.status for n, r in results.items()},
                         {n: ("SKIP" if n in DB_ONLY_RULES else "PASS") for n in guard.rule_names(RULES)})

    def test_control_database_template_passes_the_database_rule(self):
        results = guard.check(self.originals[CFN_DB], RULES)
        self.assertEqual({n: r.status for n, r in results.items()},
                         {n: ("PASS" if n in DB_ONLY_RULES else "SKIP") for n in guard.rule_names(RULES)})


EcsCloudFormationGuard.add_breakage_tests()


class EcsDocsMatchTests(unittest.TestCase):
    def test_readme_counts_the_ecs_breakages(self):
        import test_ecs_terraform

        text = " ".join((INFRA / "README.md").read_text().split())
        self.assertIn(f"breaks the ECS templates in {len(CFN_BREAKAGES)} CloudFormation breakages", text)
        self.assertIn(f"in {len(test_ecs_terraform.TF_BREAKAGES)} Terraform breakages", text)

    def test_readme_links_the_kubernetes_guide(self):
        self.assertIn("## Kubernetes\n\nManifests and their guide are in `kubernetes/`: see [kubernetes/README.md](kubernetes/README.md).",
                      (INFRA / "README.md").read_text())


if __name__ == "__main__":
    unittest.main()
