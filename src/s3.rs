//! The write path's S3 side: presigned PUT and DELETE for clients, HEAD and DELETE for the
//! service itself, through aws-sdk-s3. The service never touches an object's bytes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::provider::{ProvideCredentials as _, SharedCredentialsProvider};
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::ChecksumMode;

use crate::cloudfront::Epoch;
use crate::config::{ConfigError, S3Config, read_secret_file};
use crate::error::{Code, ErrorCode};

/// SigV4 refuses presigned URLs that live longer than this.
pub const SIGV4_MAX_EXPIRY_SECS: u64 = 7 * 24 * 3600;

/// A request the client makes itself: method, URL and the headers it must send unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    /// `PUT` or `DELETE`.
    pub method: &'static str,
    /// The presigned URL.
    pub url: String,
    /// Headers the signature covers (besides Host), to be sent exactly so.
    pub headers: Vec<(String, String)>,
    /// When the URL stops working.
    pub expires_at: Epoch,
}

/// What a HEAD told us about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    /// Its length in bytes.
    pub size: i64,
    /// Its Content-Type, as stored.
    pub content_type: Option<String>,
    /// Its SHA-256 checksum (standard base64), when one was stored with it.
    pub sha256_base64: Option<String>,
}

/// Where the S3 settings point, resolved (the local server fills in endpoint and credentials).
#[derive(Debug, Clone)]
pub struct S3Target {
    /// The bucket.
    pub bucket: String,
    /// Its region.
    pub region: String,
    /// An S3-compatible endpoint, or `None` for AWS.
    pub endpoint: Option<String>,
    /// Path-style addressing.
    pub force_path_style: bool,
    /// A static key pair, or `None` for the AWS credential chain.
    pub static_key: Option<(String, String)>,
}

impl S3Target {
    /// The target `config` names; `None` when no bucket is configured (the local server's case).
    /// A secret file that cannot be read is the operator's to fix, at start: a `ConfigError`
    /// naming the file, never a client-facing code.
    pub fn from_config(config: &S3Config) -> Result<Option<S3Target>, ConfigError> {
        let Some(bucket) = &config.bucket else {
            return Ok(None);
        };
        let static_key = match (&config.access_key_id, &config.secret_access_key_file) {
            (Some(id), Some(file)) => {
                let secret = read_secret_file(file)?;
                Some((id.clone(), secret))
            }
            _ => None,
        };
        Ok(Some(S3Target {
            bucket: bucket.clone(),
            region: config.region.clone(),
            endpoint: config.endpoint.clone(),
            force_path_style: config.force_path_style,
            static_key,
        }))
    }
}

/// One bucket, reached through aws-sdk-s3.
#[derive(Clone)]
pub struct ObjectStore {
    client: aws_sdk_s3::Client,
    bucket: String,
    credentials: SharedCredentialsProvider,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore")
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

/// What the S3 client fails with. Each is an upstream failure at the boundary (the caller cannot
/// fix it), except a presigning configuration the service itself got wrong.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// An SDK call failed: the network, or S3's answer.
    #[error("S3 {call} failed: {message}")]
    Call {
        /// Which call.
        call: &'static str,
        /// The SDK's error with its context, in one line.
        message: String,
        /// The SDK's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The AWS configuration has no credentials provider at all.
    #[error("no AWS credentials provider: set s3.access_key_id or the AWS environment")]
    NoCredentialsProvider,
    /// The credentials that would sign have expired.
    #[error("the S3 credentials have expired; cannot presign")]
    CredentialsExpired,
    /// A presigning configuration the SDK refused.
    #[error("presigning configuration: {0}")]
    Presigning(#[from] aws_sdk_s3::presigning::PresigningConfigError),
}

impl ErrorCode for S3Error {
    fn error_code(&self) -> Code {
        match self {
            S3Error::Presigning(_) => Code::Internal,
            S3Error::Call { .. } | S3Error::NoCredentialsProvider | S3Error::CredentialsExpired => {
                Code::Upstream
            }
        }
    }
}

/// An SDK failure of `call`.
pub(crate) fn call_failed(
    call: &'static str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> S3Error {
    S3Error::Call {
        call,
        message: DisplayErrorContext(&e).to_string(),
        source: Box::new(e),
    }
}

fn system_time(t: Epoch) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(t.seconds())
}

impl ObjectStore {
    /// A client for `target`. Loads credentials lazily: nothing is fetched until first use.
    pub async fn connect(target: &S3Target) -> Result<ObjectStore, S3Error> {
        let key = target.static_key.as_ref().map(|(id, secret)| {
            aws_credential_types::Credentials::new(id, secret, None, None, "mediagate-config")
        });
        Self::connect_with(target, key).await
    }

    /// As [`ObjectStore::connect`], with these credentials instead of `target`'s key or the AWS
    /// chain (tests give temporary ones that expire).
    pub async fn connect_with(
        target: &S3Target,
        credentials: Option<aws_credential_types::Credentials>,
    ) -> Result<ObjectStore, S3Error> {
        let shared = crate::aws::sdk_config(&target.region, credentials).await;
        let credentials = shared
            .credentials_provider()
            .ok_or(S3Error::NoCredentialsProvider)?;
        let mut config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(target.force_path_style)
            // Otherwise the SDK signs a CRC32 of an empty body into every presigned PUT, which
            // no client upload could match; we sign only the SHA-256 the client declared.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &target.endpoint {
            config = config.endpoint_url(endpoint);
        }
        Ok(ObjectStore {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            bucket: target.bucket.clone(),
            credentials,
        })
    }

    /// How long a URL signed at `now` may live: `ttl`, but never past SigV4's 7 days nor the
    /// expiry of the credentials that sign it (a URL outliving them would fail anyway).
    async fn lifetime(&self, now: Epoch, ttl: u64) -> Result<u64, S3Error> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| call_failed("credentials", e))?;
        let mut secs = ttl.min(SIGV4_MAX_EXPIRY_SECS);
        if let Some(expiry) = credentials.expiry() {
            let left = expiry
                .duration_since(system_time(now))
                .map_or(0, |d| d.as_secs());
            secs = secs.min(left);
        }
        if secs == 0 {
            return Err(S3Error::CredentialsExpired);
        }
        Ok(secs)
    }

    fn presigning(now: Epoch, secs: u64) -> Result<PresigningConfig, S3Error> {
        PresigningConfig::builder()
            .start_time(system_time(now))
            .expires_in(Duration::from_secs(secs))
            .build()
            .map_err(S3Error::from)
    }

    fn request(
        method: &'static str,
        presigned: &aws_sdk_s3::presigning::PresignedRequest,
        expires_at: Epoch,
    ) -> PresignedRequest {
        PresignedRequest {
            method,
            url: presigned.uri().to_owned(),
            headers: presigned
                .headers()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            expires_at,
        }
    }

    /// A presigned PUT of exactly `size` bytes of `content_type` whose SHA-256 is `sha256` to
    /// `key`: S3 refuses any other bytes, so the URL cannot replace an object once confirmed.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: i64,
        sha256: &[u8; 32],
        now: Epoch,
        ttl: u64,
    ) -> Result<PresignedRequest, S3Error> {
        let secs = self.lifetime(now, ttl).await?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(size)
            .checksum_sha256(standard_base64(sha256))
            .presigned(Self::presigning(now, secs)?)
            .await
            .map_err(|e| call_failed("presign PUT", e))?;
        Ok(Self::request("PUT", &presigned, Epoch(now.0 + secs)))
    }

    /// A presigned DELETE of `key`.
    pub async fn presign_delete(
        &self,
        key: &str,
        now: Epoch,
        ttl: u64,
    ) -> Result<PresignedRequest, S3Error> {
        let secs = self.lifetime(now, ttl).await?;
        let presigned = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(Self::presigning(now, secs)?)
            .await
            .map_err(|e| call_failed("presign DELETE", e))?;
        Ok(Self::request("DELETE", &presigned, Epoch(now.0 + secs)))
    }

    /// The object's size, type and checksum; `None` when it does not exist.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectHead>, S3Error> {
        let result = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Some(ObjectHead {
                size: out.content_length().unwrap_or(0),
                content_type: out.content_type().map(str::to_owned),
                sha256_base64: out.checksum_sha256().map(str::to_owned),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(call_failed("HEAD", e)),
        }
    }

    /// The SDK client and the bucket, for dev mode's local edge (which reads objects back).
    pub(crate) fn client(&self) -> (&aws_sdk_s3::Client, &str) {
        (&self.client, &self.bucket)
    }

    /// Deletes the object; deleting one that is not there succeeds (as in S3).
    pub async fn delete(&self, key: &str) -> Result<(), S3Error> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| call_failed("DELETE", e))?;
        Ok(())
    }
}

/// Standard (not CloudFront's) base64, as S3's checksum headers use.
pub fn standard_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
