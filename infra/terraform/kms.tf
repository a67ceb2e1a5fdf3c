# Encryption key, only with encryption = "SSE-KMS" (and OAC: an OAI cannot decrypt KMS objects).
# Its policy delegates to IAM in this account (so the service policy can grant the service its
# rights) and lets only this distribution's CloudFront decrypt.

resource "aws_kms_key" "media" {
  count = local.use_kms ? 1 : 0

  description         = "mediagate media bucket ${var.bucket_name}"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.media_key.json
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = local.oac
      error_message = "encryption = \"SSE-KMS\" needs origin_access = \"oac\": an Origin Access Identity cannot decrypt KMS-encrypted objects."
    }
  }
}

resource "aws_kms_alias" "media" {
  count = local.use_kms ? 1 : 0

  name          = "alias/${var.name}-media"
  target_key_id = aws_kms_key.media[0].key_id
}

data "aws_iam_policy_document" "media_key" {
  # A key policy's Resource "*" means "this key", and the account-root statement is AWS's default
  # key policy: it hands the key's administration to IAM in this account, where the service
  # policy grants only kms:GenerateDataKey and kms:Decrypt. Without it the key is unmanageable.
  #checkov:skip=CKV_AWS_109:key policy: Resource "*" is this key; root delegates to IAM (AWS default)
  #checkov:skip=CKV_AWS_111:key policy: Resource "*" is this key; root delegates to IAM (AWS default)
  #checkov:skip=CKV_AWS_356:key policy: Resource "*" is this key; root delegates to IAM (AWS default)
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "ThisDistributionDecryptsObjects"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [local.distribution_arn]
    }
  }
}
