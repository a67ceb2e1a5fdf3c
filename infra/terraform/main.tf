# mediagate media delivery: a private S3 bucket read through CloudFront (Origin Access Control,
# or a legacy Origin Access Identity with origin_access = "oai"), a key group that trusts
# mediagate's signing keys on every cache behavior, and the IAM policy the service needs.
# The Terraform twin of infra/cloudformation/mediagate.yaml and mediagate-oai.yaml; deploy guide
# in infra/README.md.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  oac     = var.origin_access == "oac"
  oai     = var.origin_access == "oai"
  use_kms = var.encryption == "SSE-KMS"

  has_key_a       = var.public_key_pem_a != ""
  has_key_b       = var.public_key_pem_b != ""
  has_alt_domain  = var.alternate_domain != ""
  has_cookie      = var.cookie_domain != "" && local.has_alt_domain
  has_access_logs = var.access_log_bucket != ""
  has_cf_logs     = var.cloudfront_log_bucket != ""

  distribution_arn = "arn:${data.aws_partition.current.partition}:cloudfront::${data.aws_caller_identity.current.account_id}:distribution/${aws_cloudfront_distribution.media.id}"
}
