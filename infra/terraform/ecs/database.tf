# The reference PostgreSQL (database = "rds" or "aurora-serverless-v2"): encrypted, private, in
# the private subnets, its security group opened only to the tasks (network.tf), a generated
# password in Secrets Manager and the postgres:// URL mediagate reads as a second secret. With
# database = "external" none of this exists. The password is in the Terraform state, as every
# generated secret is: keep the state encrypted and access-controlled.

resource "aws_security_group" "db" {
  count = local.create_db ? 1 : 0

  name_prefix = "${var.name}-db-"
  description = "mediagate PostgreSQL; ingress only from the mediagate tasks"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_db_subnet_group" "db" {
  count = local.create_db ? 1 : 0

  name_prefix = "${var.name}-"
  description = "mediagate PostgreSQL, private subnets"
  subnet_ids  = var.private_subnet_ids
  tags        = var.tags
}

# Letters and digits only: the password goes into a URL unescaped, and RDS refuses / @ " and
# spaces anyway.
resource "random_password" "db" {
  count = local.create_db ? 1 : 0

  length  = 40
  special = false
}

resource "aws_secretsmanager_secret" "db_master" {
  #checkov:skip=CKV2_AWS_57:no rotation: the URL secret embeds the password, so a rotation must rewrite both (infra/README.md)
  count = local.create_db ? 1 : 0

  name_prefix = "${var.name}-db-master-"
  description = "mediagate PostgreSQL master user"
  kms_key_id  = var.db_kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "db_master" {
  count = local.create_db ? 1 : 0

  secret_id     = aws_secretsmanager_secret.db_master[0].id
  secret_string = jsonencode({ username = "mediagate", password = random_password.db[0].result })
}

resource "aws_db_instance" "db" {
  #checkov:skip=CKV_AWS_118:enhanced monitoring needs a monitoring role; Performance Insights and CloudWatch logs are on
  #checkov:skip=CKV_AWS_161:mediagate authenticates with the password in its URL secret, not IAM tokens
  #checkov:skip=CKV2_AWS_30:statement logging would write user ids and object keys for every query; the postgresql log is exported
  count = local.create_rds ? 1 : 0

  identifier_prefix               = "${var.name}-"
  engine                          = "postgres"
  engine_version                  = var.db_engine_version
  instance_class                  = var.db_instance_class
  allocated_storage               = var.db_allocated_storage_gib
  max_allocated_storage           = 100
  storage_type                    = "gp3"
  storage_encrypted               = true
  kms_key_id                      = var.db_kms_key_arn
  db_name                         = "mediagate"
  username                        = "mediagate"
  password                        = random_password.db[0].result
  db_subnet_group_name            = aws_db_subnet_group.db[0].name
  vpc_security_group_ids          = [aws_security_group.db[0].id]
  publicly_accessible             = false
  multi_az                        = var.db_multi_az
  backup_retention_period         = var.db_backup_retention_days
  copy_tags_to_snapshot           = true
  deletion_protection             = true
  auto_minor_version_upgrade      = true
  performance_insights_enabled    = true
  performance_insights_kms_key_id = var.db_kms_key_arn
  enabled_cloudwatch_logs_exports = ["postgresql"]
  final_snapshot_identifier       = "${var.name}-final"
  tags                            = var.tags
}

resource "aws_rds_cluster" "db" {
  #checkov:skip=CKV_AWS_162:mediagate authenticates with the password in its URL secret, not IAM tokens
  #checkov:skip=CKV2_AWS_8:RDS automated backups (backup_retention_period) and a final snapshot; an AWS Backup plan is the deployer's choice
  #checkov:skip=CKV2_AWS_27:statement logging would write user ids and object keys for every query; the postgresql log is exported
  count = local.create_aurora ? 1 : 0

  cluster_identifier_prefix       = "${var.name}-"
  engine                          = "aurora-postgresql"
  engine_mode                     = "provisioned"
  engine_version                  = var.db_engine_version
  storage_encrypted               = true
  kms_key_id                      = var.db_kms_key_arn
  database_name                   = "mediagate"
  master_username                 = "mediagate"
  master_password                 = random_password.db[0].result
  db_subnet_group_name            = aws_db_subnet_group.db[0].name
  vpc_security_group_ids          = [aws_security_group.db[0].id]
  backup_retention_period         = var.db_backup_retention_days
  copy_tags_to_snapshot           = true
  deletion_protection             = true
  enabled_cloudwatch_logs_exports = ["postgresql"]
  final_snapshot_identifier       = "${var.name}-final"
  tags                            = var.tags

  serverlessv2_scaling_configuration {
    min_capacity = var.db_min_capacity_acu
    max_capacity = var.db_max_capacity_acu
  }
}

resource "aws_rds_cluster_instance" "db" {
  #checkov:skip=CKV_AWS_118:enhanced monitoring needs a monitoring role; Performance Insights and CloudWatch logs are on
  count = local.create_aurora ? (var.db_multi_az ? 2 : 1) : 0

  identifier_prefix               = "${var.name}-${count.index}-"
  cluster_identifier              = aws_rds_cluster.db[0].id
  engine                          = aws_rds_cluster.db[0].engine
  instance_class                  = "db.serverless"
  publicly_accessible             = false
  auto_minor_version_upgrade      = true
  performance_insights_enabled    = true
  performance_insights_kms_key_id = var.db_kms_key_arn
  tags                            = var.tags
}

# What mediagate reads (MEDIAGATE_DATABASE__URL). sslmode=require: RDS serves TLS; verify-full
# would need the RDS CA bundle in the image.
resource "aws_secretsmanager_secret" "db_url" {
  #checkov:skip=CKV2_AWS_57:derived from the master secret; rotated with it (infra/README.md)
  count = local.create_db ? 1 : 0

  name_prefix = "${var.name}-db-url-"
  description = "postgres:// URL mediagate connects with"
  kms_key_id  = var.db_kms_key_arn
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "db_url" {
  count = local.create_db ? 1 : 0

  secret_id = aws_secretsmanager_secret.db_url[0].id
  secret_string = format("postgres://mediagate:%s@%s:%d/mediagate?sslmode=require",
    random_password.db[0].result,
    local.create_rds ? aws_db_instance.db[0].address : aws_rds_cluster.db[0].endpoint,
    local.create_rds ? aws_db_instance.db[0].port : aws_rds_cluster.db[0].port,
  )
}
