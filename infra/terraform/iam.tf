# What the mediagate service may do, and nothing else: presign PUT and DELETE, HEAD (GetObject)
# an upload before marking it READY, invalidate this distribution and poll those invalidations,
# keep the revocation floors in the KeyValueStore; and use the bucket's KMS key only when there
# is one. Attach it to the role the service runs as
# (output service_policy_arn).

resource "aws_iam_policy" "service" {
  name_prefix = "${var.name}-service-"
  description = "mediagate service rights on ${var.bucket_name} and its distribution"
  policy      = data.aws_iam_policy_document.service.json
  tags        = var.tags
}

data "aws_iam_policy_document" "service" {
  statement {
    sid       = "MediaObjects"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.media.arn}/*"]
  }

  # Without it S3 answers a HEAD of a key that is not there yet with 403, not 404, and
  # completeUpload would report an upstream error instead of "nothing uploaded yet".
  statement {
    sid       = "HeadAnswers404"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.media.arn]
  }

  statement {
    sid       = "InvalidateThisDistribution"
    effect    = "Allow"
    actions   = ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"] # Get: src/invalidate.rs polls batches
    resources = [aws_cloudfront_distribution.media.arn]
  }

  # The revocation sender writes floors (DescribeKeyValueStore for the ETag, UpdateKeys, PutKey,
  # DeleteKey) and may read them back (GetKey, ListKeys), on this store only.
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
    resources = [aws_cloudfront_key_value_store.revocation.arn]
  }

  dynamic "statement" {
    for_each = aws_kms_key.media
    content {
      sid       = "MediaKeyForUploadsAndHead"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value.arn]
    }
  }
}
