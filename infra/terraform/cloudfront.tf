# Signing keys: two slots, A and B. Rotation fills the empty slot, switches mediagate to it, and
# empties the old slot once the last links it signed have expired (infra/README.md).

resource "aws_cloudfront_public_key" "a" {
  count = local.has_key_a ? 1 : 0

  name_prefix = "${var.name}-slot-a-"
  comment     = "mediagate signing key, slot A"
  encoded_key = var.public_key_pem_a

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudfront_public_key" "b" {
  count = local.has_key_b ? 1 : 0

  name_prefix = "${var.name}-slot-b-"
  comment     = "mediagate signing key, slot B"
  encoded_key = var.public_key_pem_b

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudfront_key_group" "signers" {
  name    = "${var.name}-signers"
  comment = "Keys whose signatures this distribution accepts (mediagate's)"
  items   = concat(aws_cloudfront_public_key.a[*].id, aws_cloudfront_public_key.b[*].id)

  lifecycle {
    precondition {
      condition     = local.has_key_a || local.has_key_b
      error_message = "Set public_key_pem_a or public_key_pem_b (the public half of a `mediagate keygen` key)."
    }
    precondition {
      condition     = var.active_key_slot == "A" ? local.has_key_a : local.has_key_b
      error_message = "active_key_slot names a slot whose public_key_pem_* is empty."
    }
  }
}

resource "aws_cloudfront_origin_access_control" "media" {
  count = local.oac ? 1 : 0

  name                              = "${var.name}-media"
  description                       = "CloudFront signs its requests to the media bucket (SigV4)"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_origin_access_identity" "media" {
  count = local.oai ? 1 : 0

  comment = "mediagate ${var.name}: reads the media bucket"
}

# The cache key is the path alone: no query string, cookie or header. The signing parameters
# (Expires, Signature, Key-Pair-Id, Policy, Hash-Algorithm; or the CloudFront-* cookies) are
# checked by CloudFront on every request before the cache is consulted, so leaving them out of the
# key is safe, and each object is cached once however many links point at it.
resource "aws_cloudfront_cache_policy" "media" {
  name        = "${var.name}-media"
  comment     = "Path-only cache key; signing parameters never fragment the cache"
  default_ttl = 86400
  max_ttl     = 31536000
  min_ttl     = 0

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_gzip   = true
    enable_accept_encoding_brotli = true

    query_strings_config {
      query_string_behavior = "none"
    }
    cookies_config {
      cookie_behavior = "none"
    }
    headers_config {
      header_behavior = "none"
    }
  }
}

resource "aws_cloudfront_response_headers_policy" "media" {
  name    = "${var.name}-media"
  comment = "Our caching and disposition whatever an uploader stored, security headers, and CORS for the app's origins"

  # A presigned PUT signs Content-Type, Content-Length and the SHA-256, but S3 also stores
  # standard headers that no signature covers (Cache-Control, Content-Disposition, Expires, ...)
  # and serves them back. Viewers get ours instead: a private cache no longer than a link lives
  # (signing.ttl_secs, 3600 by default; the local edge caps it the same way), and inline display.
  # CloudFront's own caching is the cache policy's, not this header's.
  custom_headers_config {
    items {
      header   = "Cache-Control"
      value    = "private, max-age=3600"
      override = true
    }
    items {
      header   = "Content-Disposition"
      value    = "inline"
      override = true
    }
  }

  remove_headers_config {
    items {
      header = "Expires"
    }
  }

  security_headers_config {
    # HSTS for two years. includeSubDomains and preload only reach the media host's own
    # subdomains (preload lists take registrable domains), so they cost nothing here.
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
  }

  cors_config {
    access_control_allow_credentials = true
    access_control_max_age_sec       = 3000
    origin_override                  = true

    access_control_allow_headers {
      items = ["Range"]
    }
    access_control_allow_methods {
      items = ["GET", "HEAD"]
    }
    access_control_allow_origins {
      items = var.app_origins
    }
    access_control_expose_headers {
      items = ["ETag", "Content-Length", "Content-Range"]
    }
  }
}

# Revocation before expiry. mediagate writes floors into this KeyValueStore ({owner}/ for an
# account, {owner}/{image}/ for one image, each -> epoch seconds), and the function, run at every
# edge location before the cache, refuses a link whose version is below one. It only ever
# refuses: what it lets through goes on, unchanged, to CloudFront's signature check. Source and
# tests: infra/functions/ (the CloudFormation templates inline a copy of the same file).
resource "aws_cloudfront_key_value_store" "revocation" {
  name    = "${var.name}-revocation"
  comment = "mediagate revocation floors: {owner}/ and {owner}/{image}/ -> epoch seconds"
}

resource "aws_cloudfront_function" "revocation" {
  name    = "${var.name}-revocation"
  comment = "Refuses links whose version is below a revocation floor (deny-only)"
  runtime = "cloudfront-js-2.0"
  publish = true
  code    = file("${path.module}/../functions/revocation.js")

  key_value_store_associations = [aws_cloudfront_key_value_store.revocation.arn]
}

resource "aws_cloudfront_distribution" "media" {
  # Access is decided by mediagate's signatures, checked by CloudFront on every request; a WAF
  # adds cost and rules this module cannot guess. Set web_acl_id yourself if you need one.
  #checkov:skip=CKV_AWS_68:WAF is optional; every request already needs a valid signature
  #checkov:skip=CKV2_AWS_47:no WAF attached (see CKV_AWS_68), so no WAF rule set to check
  # Without an alternate domain the default *.cloudfront.net certificate is used and CloudFront
  # fixes its minimum protocol at TLSv1; with alternate_domain + acm_certificate_arn the minimum
  # is TLSv1.2_2021 (viewer_certificate below).
  #checkov:skip=CKV_AWS_174:TLSv1.2_2021 is set whenever an alternate domain and certificate are given
  # There is no index page: every object needs a signed URL of its own.
  #checkov:skip=CKV_AWS_305:no default root object; every request names a signed object
  # One origin, the bucket; a failover origin would be a second bucket with replication, out of
  # scope here.
  #checkov:skip=CKV_AWS_310:single S3 origin; no failover origin group
  # Who may see a photo is decided per user by mediagate, not per country.
  #checkov:skip=CKV_AWS_374:no geo restriction; access is per user, by signature

  comment         = "mediagate media (${var.bucket_name})"
  enabled         = true
  http_version    = "http2and3"
  is_ipv6_enabled = true
  price_class     = var.price_class
  aliases         = local.has_alt_domain ? [var.alternate_domain] : []
  tags            = var.tags

  # One origin, the bucket, written twice: only the block of the chosen variant exists. Both are
  # chosen by local.oac / local.oai alone (no resource reference in for_each), so checkov, which
  # cannot resolve resource references, still sees exactly one origin per variant.
  # OAC: an origin_access_control_id and no s3_origin_config (that is, an empty OAI).
  dynamic "origin" {
    for_each = local.oac ? ["media-bucket"] : []
    content {
      origin_id                = origin.value
      domain_name              = aws_s3_bucket.media.bucket_regional_domain_name
      origin_access_control_id = one(aws_cloudfront_origin_access_control.media[*].id)
    }
  }

  # OAI (legacy): the OAI's path in s3_origin_config, no origin_access_control_id.
  dynamic "origin" {
    for_each = local.oai ? ["media-bucket"] : []
    content {
      origin_id   = origin.value
      domain_name = aws_s3_bucket.media.bucket_regional_domain_name

      s3_origin_config {
        origin_access_identity = one(aws_cloudfront_origin_access_identity.media[*].cloudfront_access_identity_path)
      }
    }
  }

  default_cache_behavior {
    target_origin_id           = "media-bucket"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = aws_cloudfront_cache_policy.media.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.media.id
    trusted_key_groups         = [aws_cloudfront_key_group.signers.id]

    # Viewer request: before the cache, so a cached object is refused too.
    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.revocation.arn
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = !local.has_alt_domain
    acm_certificate_arn            = local.has_alt_domain ? var.acm_certificate_arn : null
    ssl_support_method             = local.has_alt_domain ? "sni-only" : null
    minimum_protocol_version       = local.has_alt_domain ? "TLSv1.2_2021" : "TLSv1"
  }

  dynamic "logging_config" {
    for_each = local.has_cf_logs ? [var.cloudfront_log_bucket] : []
    content {
      bucket          = "${logging_config.value}.s3.amazonaws.com"
      include_cookies = false
      prefix          = "cloudfront/${var.name}/"
    }
  }

  lifecycle {
    precondition {
      condition     = !local.has_alt_domain || var.acm_certificate_arn != ""
      error_message = "alternate_domain needs acm_certificate_arn (an ACM certificate in us-east-1)."
    }
    precondition {
      condition     = var.cookie_domain == "" || local.has_alt_domain
      error_message = "cookie_domain needs alternate_domain: browsers only send cookies for example.com to a distribution served under example.com."
    }
  }
}
