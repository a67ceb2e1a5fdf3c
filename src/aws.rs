//! The settings every AWS client here starts from (S3, CloudFront), as crates.io's
//! `src/cloudfront.rs` does it: a pinned behaviour version, explicit timeouts and retries, TLS
//! through rustls with ring (aws-lc would add a slow C build), the region, and static credentials
//! or else the standard AWS credential chain (env, profile, web identity, ECS, IMDS).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::config::Region;

/// Pinned rather than `latest()`, so an SDK upgrade cannot change retry or timeout defaults
/// behind our back; moving it is a reviewed change. (2026-01-12: retries on by default, a 3.1 s
/// connect timeout; both are set explicitly below anyway.)
fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_01_12()
}

/// How long a connection may take to open. A dependency that cannot be reached in this long is
/// down for our purposes: the request answers `UPSTREAM` instead of waiting.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One attempt, from sending to the last byte of the answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole operation, retries included: bounded so no request hangs on AWS.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts in all (the first and two retries), with the SDK's standard jittered backoff.
pub const MAX_ATTEMPTS: u32 = 3;

/// The shared SDK settings for `region`.
pub async fn sdk_config(
    region: &str,
    credentials: Option<aws_credential_types::Credentials>,
) -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls;
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(behavior_version())
        .http_client(http)
        .region(Region::new(region.to_owned()))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if let Some(credentials) = credentials {
        loader = loader.credentials_provider(credentials);
    }
    loader.load().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn clients_get_the_pinned_timeouts_and_retries() {
        let credentials = aws_credential_types::Credentials::for_tests();
        let config = sdk_config("eu-west-1", Some(credentials)).await;
        let timeouts = config.timeout_config().expect("timeouts set");
        assert_eq!(timeouts.connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(timeouts.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
        assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
        let retries = config.retry_config().expect("retries set");
        assert_eq!(retries.max_attempts(), MAX_ATTEMPTS);
        assert_eq!(config.behavior_version(), Some(behavior_version()));
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
    }
}
