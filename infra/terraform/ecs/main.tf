# mediagate on ECS Fargate behind an Application Load Balancer: the Terraform twin of
# infra/cloudformation/mediagate-ecs.yaml (and, with database = "rds" or "aurora-serverless-v2",
# of mediagate-ecs-database.yaml). A root module of its own beside the delivery root one folder
# up: the service is deployed far more often than the bucket and distribution, and keeps its own
# state. It declares no provider block, so it also works as a module
# (`module "ecs" { source = "./ecs" ... }`) fed from the delivery root's resources.
# Deploy guide: infra/README.md. Invariants: CKV_MG_9 to CKV_MG_16 (infra/checkov/).

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  hs256         = var.auth_mode == "hs256"
  has_ecr       = var.ecr_repository_arn != ""
  has_media_kms = var.media_kms_key_arn != ""
  has_sec_kms   = var.secrets_kms_key_arn != ""
  has_admin_src = var.admin_source_security_group_id != ""
  has_alb_logs  = var.alb_log_bucket != ""
  create_rds    = var.database == "rds"
  create_aurora = var.database == "aurora-serverless-v2"
  create_db     = local.create_rds || local.create_aurora

  database_url_secret_arn    = local.create_db ? aws_secretsmanager_secret.db_url[0].arn : var.database_url_secret_arn
  database_security_group_id = local.create_db ? aws_security_group.db[0].id : var.database_security_group_id

}

resource "aws_cloudwatch_log_group" "service" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  tags = var.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}
