# Both roles trust ECS tasks of this account only (aws:SourceAccount: no confused deputy). The
# execution role is what ECS uses to start a task: pull the image, write the log stream, read
# exactly the injected secrets. The task role is what mediagate itself runs as.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name_prefix        = "${var.name}-exec-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name   = "start-mediagate-task"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "WriteThisLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.service.arn}:*"]
  }

  statement {
    sid       = "ReadTheInjectedSecrets"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.key_ring_secret_arn, local.database_url_secret_arn]
  }

  dynamic "statement" {
    for_each = local.hs256 ? [var.hs256_secret_arn] : []
    content {
      sid       = "ReadTheHs256Secret"
      effect    = "Allow"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.has_sec_kms ? [var.secrets_kms_key_arn] : []
    content {
      sid       = "DecryptTheSecretsThroughSecretsManager"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.has_ecr ? [var.ecr_repository_arn] : []
    content {
      sid       = "PullFromThisRepository"
      effect    = "Allow"
      actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
      resources = [statement.value]
    }
  }

  # GetAuthorizationToken has no resource type: AWS accepts only "*" for it.
  dynamic "statement" {
    for_each = local.has_ecr ? ["login"] : []
    content {
      sid       = "EcrLogin"
      effect    = "Allow"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }
}

# The rights of the delivery root's service policy, written out here so this module (and its
# checks) can see them whole: presign PUT and DELETE, HEAD before READY, the reaper's DELETE,
# invalidations of the one distribution, and the revocation floors in its KeyValueStore.
# mediagate writes keys at the bucket's root ({owner}/{image}/{file}), so the object prefix is
# "bucket/*". s3:ListBucket on the bucket
# itself makes HEAD of an object not yet uploaded answer 404, not 403: completeUpload then says
# "nothing has been uploaded yet" instead of failing upstream.
resource "aws_iam_role" "task" {
  name_prefix        = "${var.name}-task-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "task" {
  name   = "mediagate-service"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "MediaObjects"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}/*"]
  }

  statement {
    sid       = "HeadAnswers404"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"]
  }

  statement {
    sid       = "InvalidateThisDistribution"
    effect    = "Allow"
    actions   = ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"]
    resources = ["arn:${data.aws_partition.current.partition}:cloudfront::${data.aws_caller_identity.current.account_id}:distribution/${var.distribution_id}"]
  }

  # The revocation sender writes floors (DescribeKeyValueStore for the ETag, UpdateKeys, PutKey,
  # DeleteKey) and may read them back (GetKey, ListKeys), on the delivery root's store only.
  statement {
    sid    = "RevocationFloors"
    effect = "Allow"
    actions = [
      "cloudfront-keyvaluestore:DescribeKeyValueStore",
      "cloudfront-keyvaluestore:GetKey",
      "cloudfront-keyvaluestore:ListKeys",
      "cloudfront-keyvaluestore:UpdateKeys",
      "cloudfront-keyvaluestore:PutKey",
      "cloudfront-keyvaluestore:DeleteKey",
    ]
    resources = [var.revocation_key_value_store_arn]
  }

  dynamic "statement" {
    for_each = local.has_media_kms ? [var.media_kms_key_arn] : []
    content {
      sid       = "MediaKeyForUploadsAndHead"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }
}
