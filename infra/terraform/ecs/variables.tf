# Inputs mirror the parameters of infra/cloudformation/mediagate-ecs.yaml (and, for the reference
# database, mediagate-ecs-database.yaml) in snake_case. The "delivery" ones are the outputs of the
# root module one folder up (terraform -chdir=infra/terraform output). terraform.tfvars.example
# shows a filled-in set.

variable "name" {
  description = "Prefix for every name (cluster, service, roles, log group); the CloudFormation stack name plays this part there."
  type        = string
  default     = "mediagate"

  validation {
    condition     = can(regex("^[a-z0-9-]{1,24}$", var.name))
    error_message = "name: 1-24 lowercase letters, digits and hyphens (load balancer and target group names are short)."
  }
}

# --- image and size ---------------------------------------------------------------------------
variable "image_uri" {
  description = "The mediagate image, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/mediagate:1.4.0 (a digest pins it best)."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of the private ECR repository image_uri is in (the execution role may pull from it alone); \"\" = not in private ECR."
  type        = string
  default     = ""
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64 (the image's platform)."
  type        = string
  default     = "X86_64"
}

variable "cpu" {
  type    = number
  default = 512
}

variable "memory" {
  description = "MiB; a valid Fargate combination with cpu."
  type        = number
  default     = 1024
}

variable "desired_count" {
  description = "Replicas at rest, and the autoscaling minimum."
  type        = number
  default     = 3
}

variable "max_count" {
  type    = number
  default = 12
}

variable "cpu_target_percent" {
  type    = number
  default = 60
}

variable "requests_per_target" {
  description = "ALB requests per replica per minute that autoscaling aims for."
  type        = number
  default     = 1000
}

# --- from the delivery root (infra/terraform outputs) ----------------------------------------
variable "bucket_name" {
  description = "Output bucket_name of infra/terraform."
  type        = string
}

variable "bucket_region" {
  description = "Output bucket_region of infra/terraform."
  type        = string
}

variable "cloudfront_domain" {
  description = "Output cloudfront_domain of infra/terraform."
  type        = string
}

variable "distribution_id" {
  description = "Output distribution_id of infra/terraform."
  type        = string
}

variable "revocation_key_value_store_arn" {
  description = "Output revocation_key_value_store_arn of infra/terraform: the KeyValueStore the service writes revocation floors into."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:cloudfront::[0-9]{12}:key-value-store/[A-Za-z0-9-]+$", var.revocation_key_value_store_arn))
    error_message = "revocation_key_value_store_arn: the ARN of a CloudFront KeyValueStore (output revocation_key_value_store_arn)."
  }
}

variable "media_kms_key_arn" {
  description = "Output kms_key_arn of infra/terraform with encryption = \"SSE-KMS\"; \"\" otherwise."
  type        = string
  default     = ""
}

# --- secrets and auth -------------------------------------------------------------------------
variable "key_ring_secret_arn" {
  description = "Secrets Manager secret holding the signing key ring JSON, full ARN."
  type        = string
}

variable "auth_mode" {
  description = "\"hs256\" (shared secret, hs256_secret_arn) or \"oidc\" (issuer discovery and JWKS)."
  type        = string
  default     = "hs256"

  validation {
    condition     = contains(["hs256", "oidc"], var.auth_mode)
    error_message = "auth_mode must be \"hs256\" or \"oidc\"."
  }
}

variable "hs256_secret_arn" {
  description = "With auth_mode = \"hs256\", the secret holding the HS256 key, full ARN."
  type        = string
  default     = ""
}

variable "auth_issuer" {
  description = "Expected token issuer (iss); with oidc the issuer URL."
  type        = string
}

variable "auth_audience" {
  description = "Expected token audience (aud)."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "Customer managed KMS key the injected secrets are encrypted with; \"\" = aws/secretsmanager."
  type        = string
  default     = ""
}

# --- PostgreSQL -------------------------------------------------------------------------------
variable "database" {
  description = "\"external\" (database_url_secret_arn and database_security_group_id), or a reference database this module creates: \"rds\" (RDS PostgreSQL) or \"aurora-serverless-v2\"."
  type        = string
  default     = "external"

  validation {
    condition     = contains(["external", "rds", "aurora-serverless-v2"], var.database)
    error_message = "database must be \"external\", \"rds\" or \"aurora-serverless-v2\"."
  }
}

variable "database_url_secret_arn" {
  description = "database = \"external\": the secret holding the postgres:// URL (with password)."
  type        = string
  default     = ""
}

variable "database_security_group_id" {
  description = "database = \"external\": the database's security group; this module lets the tasks (only) in on 5432."
  type        = string
  default     = ""
}

variable "db_engine_version" {
  description = "Reference database: PostgreSQL version, e.g. \"16.4\"; null = the engine's default."
  type        = string
  default     = null
}

variable "db_instance_class" {
  description = "Reference database, rds only."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage_gib" {
  type    = number
  default = 20
}

variable "db_min_capacity_acu" {
  type    = number
  default = 0.5
}

variable "db_max_capacity_acu" {
  type    = number
  default = 4
}

variable "db_multi_az" {
  description = "rds: a standby in another AZ; aurora: a second (reader) instance."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  type    = number
  default = 7
}

variable "db_kms_key_arn" {
  description = "Reference database: customer managed key for storage, Performance Insights and its secrets; null = AWS managed keys."
  type        = string
  default     = null
}

# --- network ----------------------------------------------------------------------------------
variable "vpc_id" {
  type = string
}

variable "public_subnet_ids" {
  description = "Subnets for the internet-facing load balancer (two or more AZs)."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets for the tasks (and the reference database); a NAT gateway or VPC endpoints for ECR, S3, Secrets Manager, Logs and CloudFront."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate (this region) for the HTTPS listener."
  type        = string
}

variable "admin_source_security_group_id" {
  description = "Optional security group (e.g. Prometheus) allowed to reach the admin port 9090 (/metrics); \"\" = nobody."
  type        = string
  default     = ""
}

variable "alb_log_bucket" {
  description = "Optional existing bucket for the load balancer's access logs; \"\" = off."
  type        = string
  default     = ""
}

variable "alb_deletion_protection" {
  type    = bool
  default = true
}

# --- logs -------------------------------------------------------------------------------------
variable "log_retention_days" {
  type    = number
  default = 365
}

variable "logs_kms_key_arn" {
  description = "Optional KMS key for the log group (its policy must allow logs.<region>.amazonaws.com); null = CloudWatch's own encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
