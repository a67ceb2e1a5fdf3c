# The private bucket. Nothing reads it directly: CloudFront reads through OAC (or the OAI), the
# service and browsers use presigned URLs made with the service policy's rights.

resource "aws_s3_bucket" "media" {
  # mediagate confirms uploads itself (completeUpload HEADs the object); nothing listens for events.
  #checkov:skip=CKV2_AWS_62:no consumer for S3 event notifications; completeUpload checks uploads
  # Replication doubles storage cost and needs a second bucket in another region; S3 already
  # keeps objects durable in one region. Add aws_s3_bucket_replication_configuration if you need it.
  #checkov:skip=CKV_AWS_144:cross-region replication is a cost/DR choice left to the deployer
  bucket = var.bucket_name
  tags   = var.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket = aws_s3_bucket.media.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = local.use_kms ? "aws:kms" : "AES256"
      kms_master_key_id = one(aws_kms_key.media[*].arn) # null with SSE-S3
    }
  }
}

resource "aws_s3_bucket_versioning" "media" {
  bucket = aws_s3_bucket.media.id

  versioning_configuration {
    status = var.versioning ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = var.versioning ? "Enabled" : "Disabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.media]
}

resource "aws_s3_bucket_cors_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  # Browsers PUT uploads (and may DELETE) with mediagate's presigned URLs. The signature, not
  # CORS, is what authorises; CORS only lets the app's pages read the answer.
  cors_rule {
    id              = "app-uploads"
    allowed_methods = ["PUT", "DELETE"]
    allowed_origins = var.app_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3000
  }
}

resource "aws_s3_bucket_logging" "media" {
  count = local.has_access_logs ? 1 : 0

  bucket        = aws_s3_bucket.media.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3/${var.bucket_name}/"
}

resource "aws_s3_bucket_policy" "media" {
  bucket = aws_s3_bucket.media.id
  policy = coalesce(one(data.aws_iam_policy_document.bucket_oac[*].json), one(data.aws_iam_policy_document.bucket_oai[*].json))

  # The public access block goes first, so this policy can never land on an unprotected bucket.
  depends_on = [aws_s3_bucket_public_access_block.media]
}

# Two whole policy documents, one per variant (count picks one), rather than one with dynamic
# statements: each is plain data that checkov's policies (infra/checkov/) read as written.
data "aws_iam_policy_document" "bucket_oac" {
  count = local.oac ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "ThisDistributionReadsObjects"
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
  }
}

data "aws_iam_policy_document" "bucket_oai" {
  count = local.oai ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "ThisOriginAccessIdentityReadsObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.media.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = [aws_cloudfront_origin_access_identity.media[0].iam_arn]
    }
  }
}
