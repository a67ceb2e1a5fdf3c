# The container definition is a literal jsonencode on purpose: checkov (and so CKV_MG_9 to
# CKV_MG_14) can read it only when no concat, conditional or for expression is inside. The two
# auth modes differ in one secret, so each has its own task definition (count selects one).
#
# The task: one container, non-root (65532, the image's distroless nonroot user), read-only root
# filesystem, every capability dropped, writable only at /var/lib/mediagate and /tmp (task-local
# Fargate storage the image declares as VOLUMEs owned by 65532), secrets injected by ECS from
# Secrets Manager at task start.

resource "aws_ecs_task_definition" "hs256" {
  count = local.hs256 ? 1 : 0

  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  tags                     = var.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "data"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([
    {
      name                   = "mediagate"
      image                  = var.image_uri
      essential              = true
      user                   = "65532:65532"
      readonlyRootFilesystem = true
      workingDirectory       = "/var/lib/mediagate"
      linuxParameters        = { capabilities = { drop = ["ALL"] } }
      mountPoints = [
        { sourceVolume = "data", containerPath = "/var/lib/mediagate" },
        { sourceVolume = "tmp", containerPath = "/tmp" },
      ]
      # Only the main listener is mapped and registered with the load balancer. The admin
      # listener (9090) is reachable only through aws_vpc_security_group_ingress_rule.admin.
      portMappings = [{ name = "http", containerPort = 8080, protocol = "tcp" }]
      healthCheck = {
        command     = ["CMD", "/usr/local/bin/mediagate", "healthcheck"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 30
      }
      # Longer than mediagate's own grace period (server.shutdown_timeout_secs, 30 s).
      stopTimeout = 40
      environment = [
        { name = "MEDIAGATE_DEV", value = "false" },
        { name = "MEDIAGATE_SERVER__LISTEN", value = "0.0.0.0:8080" },
        { name = "MEDIAGATE_SERVER__ADMIN_LISTEN", value = "0.0.0.0:9090" },
        { name = "MEDIAGATE_S3__BUCKET", value = var.bucket_name },
        { name = "MEDIAGATE_S3__REGION", value = var.bucket_region },
        { name = "MEDIAGATE_CLOUDFRONT__DOMAIN", value = var.cloudfront_domain },
        { name = "MEDIAGATE_INVALIDATION__ENABLED", value = "true" },
        { name = "MEDIAGATE_INVALIDATION__DISTRIBUTION_ID", value = var.distribution_id },
        { name = "MEDIAGATE_REVOCATION__KEY_VALUE_STORE_ARN", value = var.revocation_key_value_store_arn },
        { name = "MEDIAGATE_LOG__FORMAT", value = "json" },
        { name = "MEDIAGATE_AUTH__MODE", value = "hs256" },
        { name = "MEDIAGATE_AUTH__ISSUER", value = var.auth_issuer },
        { name = "MEDIAGATE_AUTH__AUDIENCE", value = var.auth_audience },
      ]
      # Injected by ECS at task start; a new secret value reaches the replicas with the next
      # deployment (aws ecs update-service --force-new-deployment), see infra/README.md.
      secrets = [
        { name = "MEDIAGATE_SIGNING__KEY_RING", valueFrom = var.key_ring_secret_arn },
        { name = "MEDIAGATE_DATABASE__URL", valueFrom = local.database_url_secret_arn },
        { name = "MEDIAGATE_AUTH__HS256_SECRET", valueFrom = var.hs256_secret_arn },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.service.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "mediagate"
        }
      }
    }
  ])

  lifecycle {
    precondition {
      condition     = !local.hs256 || var.hs256_secret_arn != ""
      error_message = "auth_mode = \"hs256\" needs hs256_secret_arn (the HS256 key never goes in a plain variable)."
    }
    precondition {
      condition     = local.create_db || (var.database_url_secret_arn != "" && var.database_security_group_id != "")
      error_message = "database = \"external\" needs database_url_secret_arn and database_security_group_id."
    }
  }
}

resource "aws_ecs_task_definition" "oidc" {
  count = local.hs256 ? 0 : 1

  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  tags                     = var.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "data"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([
    {
      name                   = "mediagate"
      image                  = var.image_uri
      essential              = true
      user                   = "65532:65532"
      readonlyRootFilesystem = true
      workingDirectory       = "/var/lib/mediagate"
      linuxParameters        = { capabilities = { drop = ["ALL"] } }
      mountPoints = [
        { sourceVolume = "data", containerPath = "/var/lib/mediagate" },
        { sourceVolume = "tmp", containerPath = "/tmp" },
      ]
      # Only the main listener is mapped and registered with the load balancer. The admin
      # listener (9090) is reachable only through aws_vpc_security_group_ingress_rule.admin.
      portMappings = [{ name = "http", containerPort = 8080, protocol = "tcp" }]
      healthCheck = {
        command     = ["CMD", "/usr/local/bin/mediagate", "healthcheck"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 30
      }
      # Longer than mediagate's own grace period (server.shutdown_timeout_secs, 30 s).
      stopTimeout = 40
      environment = [
        { name = "MEDIAGATE_DEV", value = "false" },
        { name = "MEDIAGATE_SERVER__LISTEN", value = "0.0.0.0:8080" },
        { name = "MEDIAGATE_SERVER__ADMIN_LISTEN", value = "0.0.0.0:9090" },
        { name = "MEDIAGATE_S3__BUCKET", value = var.bucket_name },
        { name = "MEDIAGATE_S3__REGION", value = var.bucket_region },
        { name = "MEDIAGATE_CLOUDFRONT__DOMAIN", value = var.cloudfront_domain },
        { name = "MEDIAGATE_INVALIDATION__ENABLED", value = "true" },
        { name = "MEDIAGATE_INVALIDATION__DISTRIBUTION_ID", value = var.distribution_id },
        { name = "MEDIAGATE_REVOCATION__KEY_VALUE_STORE_ARN", value = var.revocation_key_value_store_arn },
        { name = "MEDIAGATE_LOG__FORMAT", value = "json" },
        { name = "MEDIAGATE_AUTH__MODE", value = "oidc" },
        { name = "MEDIAGATE_AUTH__ISSUER", value = var.auth_issuer },
        { name = "MEDIAGATE_AUTH__AUDIENCE", value = var.auth_audience },
      ]
      secrets = [
        { name = "MEDIAGATE_SIGNING__KEY_RING", valueFrom = var.key_ring_secret_arn },
        { name = "MEDIAGATE_DATABASE__URL", valueFrom = local.database_url_secret_arn },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.service.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "mediagate"
        }
      }
    }
  ])

  lifecycle {
    precondition {
      condition     = local.create_db || (var.database_url_secret_arn != "" && var.database_security_group_id != "")
      error_message = "database = \"external\" needs database_url_secret_arn and database_security_group_id."
    }
  }
}

locals {
  task_definition_arn = local.hs256 ? aws_ecs_task_definition.hs256[0].arn : aws_ecs_task_definition.oidc[0].arn
}
