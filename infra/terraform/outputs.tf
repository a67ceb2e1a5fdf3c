# Output names map one-to-one onto mediagate's settings: infra/README.md has the table, and
# infra/outputs-to-env.py turns `terraform output -json` into MEDIAGATE_* variables. The
# CloudFormation outputs carry the same names in CamelCase (bucket_name = BucketName, ...).

output "bucket_name" {
  description = "s3.bucket (MEDIAGATE_S3__BUCKET)"
  value       = aws_s3_bucket.media.id
}

output "bucket_region" {
  description = "s3.region (MEDIAGATE_S3__REGION)"
  value       = aws_s3_bucket.media.region
}

output "cloudfront_domain" {
  description = "cloudfront.domain (MEDIAGATE_CLOUDFRONT__DOMAIN): the alternate domain when set"
  value       = local.has_alt_domain ? var.alternate_domain : aws_cloudfront_distribution.media.domain_name
}

output "distribution_domain_name" {
  description = "No setting: the *.cloudfront.net name to point alternate_domain's DNS record at"
  value       = aws_cloudfront_distribution.media.domain_name
}

output "distribution_id" {
  description = "invalidation.distribution_id (MEDIAGATE_INVALIDATION__DISTRIBUTION_ID)"
  value       = aws_cloudfront_distribution.media.id
}

output "active_public_key_id" {
  description = "signing.key_pair_id (MEDIAGATE_SIGNING__KEY_PAIR_ID): the key in active_key_slot"
  value       = var.active_key_slot == "A" ? one(aws_cloudfront_public_key.a[*].id) : one(aws_cloudfront_public_key.b[*].id)
}

output "standby_public_key_id" {
  description = "signing.extra_keys[].key_pair_id: the other slot's key, during a rotation (null otherwise)"
  value       = var.active_key_slot == "A" ? one(aws_cloudfront_public_key.b[*].id) : one(aws_cloudfront_public_key.a[*].id)
}

output "cookie_domain" {
  description = "cookies.domain (MEDIAGATE_COOKIES__DOMAIN); null unless cookie_domain and alternate_domain are set"
  value       = local.has_cookie ? var.cookie_domain : null
}

output "revocation_key_value_store_arn" {
  description = "revocation.key_value_store_arn (MEDIAGATE_REVOCATION__KEY_VALUE_STORE_ARN): the floors the edge function reads"
  value       = aws_cloudfront_key_value_store.revocation.arn
}

output "service_policy_arn" {
  description = "No setting: attach this managed policy to the role the service runs as"
  value       = aws_iam_policy.service.arn
}

output "kms_key_arn" {
  description = "No setting: the bucket's KMS key, with encryption = \"SSE-KMS\" (the service policy already grants its use)"
  value       = one(aws_kms_key.media[*].arn)
}
