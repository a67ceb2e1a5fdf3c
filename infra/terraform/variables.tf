# Inputs mirror the CloudFormation parameters of infra/cloudformation/mediagate.yaml
# (snake_case here, CamelCase there). terraform.tfvars.example shows a filled-in set.

variable "name" {
  description = "Prefix for the names of the CloudFront objects (cache policy, key group, ...); the CloudFormation stack name plays this part there."
  type        = string
  default     = "mediagate"

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,40}$", var.name))
    error_message = "name: 1-40 letters, digits and hyphens."
  }
}

variable "origin_access" {
  description = "How CloudFront reads the bucket: \"oac\" (Origin Access Control, the default) or \"oai\" (legacy Origin Access Identity)."
  type        = string
  default     = "oac"

  validation {
    condition     = contains(["oac", "oai"], var.origin_access)
    error_message = "origin_access must be \"oac\" or \"oai\"."
  }
}

variable "bucket_name" {
  description = "Name of the media bucket to create (globally unique, lowercase)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name: 3-63 lowercase letters, digits and hyphens (no dots, so TLS to S3 works)."
  }
}

variable "app_origins" {
  description = "Origins of the web app that uploads straight to the bucket (CORS), e.g. [\"https://app.example.com\"]."
  type        = list(string)
}

variable "encryption" {
  description = "Default bucket encryption: \"SSE-S3\" or \"SSE-KMS\" (creates a customer managed key; OAC only)."
  type        = string
  default     = "SSE-S3"

  validation {
    condition     = contains(["SSE-S3", "SSE-KMS"], var.encryption)
    error_message = "encryption must be \"SSE-S3\" or \"SSE-KMS\"."
  }
}

variable "versioning" {
  description = "Object versioning. Deleted photos stay recoverable for noncurrent_version_days days when on."
  type        = bool
  default     = true
}

variable "noncurrent_version_days" {
  description = "Days after which overwritten or deleted object versions are removed for good."
  type        = number
  default     = 30
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which an unfinished multipart upload is aborted and its parts deleted."
  type        = number
  default     = 2
}

variable "access_log_bucket" {
  description = "Optional existing bucket that receives S3 server access logs for the media bucket (\"\" = off)."
  type        = string
  default     = ""
}

variable "public_key_pem_a" {
  description = "PEM public key for slot A (the *.pub.pem written by `mediagate keygen`); \"\" = slot unused."
  type        = string
  default     = ""
}

variable "public_key_pem_b" {
  description = "PEM public key for slot B, used while rotating keys; \"\" = slot unused."
  type        = string
  default     = ""
}

variable "active_key_slot" {
  description = "The slot whose key mediagate signs with (output active_public_key_id): \"A\" or \"B\"."
  type        = string
  default     = "A"

  validation {
    condition     = contains(["A", "B"], var.active_key_slot)
    error_message = "active_key_slot must be \"A\" or \"B\"."
  }
}

variable "alternate_domain" {
  description = "Optional alternate domain, e.g. media.example.com. Needed for signed cookies under the app's domain and for TLS 1.2+ only. Requires acm_certificate_arn."
  type        = string
  default     = ""
}

variable "acm_certificate_arn" {
  description = "ACM certificate in us-east-1 covering alternate_domain."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(arn:aws[a-zA-Z-]*:acm:us-east-1:[0-9]{12}:certificate/.+)?$", var.acm_certificate_arn))
    error_message = "acm_certificate_arn: empty, or the ARN of an ACM certificate in us-east-1 (CloudFront only uses those)."
  }
}

variable "cookie_domain" {
  description = "Cookie Domain shared by the app and alternate_domain, e.g. example.com; \"\" = host-only cookies."
  type        = string
  default     = ""
}

variable "price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "cloudfront_log_bucket" {
  description = "Optional existing bucket (ACLs enabled, as CloudFront standard logging requires) for CloudFront access logs; \"\" = off."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
