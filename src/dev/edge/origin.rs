//! The edge's origin: an object's bytes and headers from S3, streamed (CloudFront's origin
//! fetch). Only the local edge reads objects; the service itself never touches their bytes.

use crate::access::ObjectKey;
use crate::error::Error;
use crate::s3::{ObjectStore, call_failed};

/// An object on its way out: headers and a byte stream (never buffered whole).
#[derive(Debug)]
pub struct ObjectBody {
    /// Bytes in `body` (the range's length for a range request).
    pub content_length: i64,
    /// Stored Content-Type.
    pub content_type: Option<String>,
    /// `bytes a-b/total` for a range request.
    pub content_range: Option<String>,
    /// The ETag, quoted as S3 sends it.
    pub etag: Option<String>,
    /// Last-Modified, as an HTTP date. (Stored Cache-Control and the like are left out on
    /// purpose: an uploader can set them, so the edge sets its own.)
    pub last_modified: Option<String>,
    /// The bytes.
    pub body: aws_sdk_s3::primitives::ByteStream,
}

/// Why a GET failed.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    /// The Range cannot be satisfied.
    #[error("the requested range cannot be satisfied")]
    InvalidRange,
    /// S3 failed.
    #[error("{0}")]
    Upstream(Error),
}

/// The object's bytes as a stream, with the headers a CDN passes on; `range` is an HTTP
/// `Range` header value the caller has normalised. `Ok(None)` when there is no such object.
pub async fn get(
    objects: &ObjectStore,
    key: &ObjectKey,
    range: Option<&str>,
) -> Result<Option<ObjectBody>, GetError> {
    use aws_sdk_s3::error::ProvideErrorMetadata as _;
    use aws_sdk_s3::primitives::DateTimeFormat;
    let (client, bucket) = objects.client();
    let result = client
        .get_object()
        .bucket(bucket)
        .key(key.as_str())
        .set_range(range.map(str::to_owned))
        .send()
        .await;
    match result {
        Ok(out) => Ok(Some(ObjectBody {
            content_length: out.content_length().unwrap_or(0),
            content_type: out.content_type().map(str::to_owned),
            content_range: out.content_range().map(str::to_owned),
            etag: out.e_tag().map(str::to_owned),
            last_modified: out
                .last_modified()
                .and_then(|t| t.fmt(DateTimeFormat::HttpDate).ok()),
            body: out.body,
        })),
        Err(e) => match e.as_service_error() {
            Some(s) if s.is_no_such_key() => Ok(None),
            Some(s) if s.code() == Some("InvalidRange") => Err(GetError::InvalidRange),
            _ => Err(GetError::Upstream(call_failed("GET", e).into())),
        },
    }
}
