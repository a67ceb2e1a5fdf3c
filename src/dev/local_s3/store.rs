//! s3s-fs's file store behind a gate: every key and bucket is checked before s3s-fs maps it to
//! a path, every PUT body is checked against its declared digests before s3s-fs moves the file
//! into place, and every Range is made one that s3s-fs can serve.
//!
//! Why each is needed with s3s-fs 0.14:
//! - it resolves `carol/../bob/x` to `bob/x` (and a bare `..` panics `path-dedot`), so a key
//!   is a path into someone else's objects unless it is a plain one ([`ObjectKey::parse`]);
//! - it renames the uploaded file over the object *before* comparing checksums, so a refused
//!   PUT would still replace a READY image's bytes;
//! - it seeks `-n` bytes from the end for `bytes=-n`, which panics past `i64::MAX` and fails
//!   for `n` longer than the object (S3 answers the whole object).

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::Stream;
use hyper::body::Bytes;
use s3s::checksum::ChecksumHasher;
use s3s::crypto::{Checksum as _, Md5};
use s3s::dto::{
    CreateBucketInput, CreateBucketOutput, DeleteObjectInput, DeleteObjectOutput, GetObjectInput,
    GetObjectOutput, HeadBucketInput, HeadBucketOutput, HeadObjectInput, HeadObjectOutput,
    ListObjectsV2Input, ListObjectsV2Output, PutObjectInput, PutObjectOutput, Range, StreamingBlob,
};
use s3s::{S3, S3Error, S3Request, S3Response, S3Result, TrailingHeaders, s3_error};

use crate::access::{KeyError, ObjectKey};
use crate::s3::standard_base64;

/// s3s-fs with the checks above.
pub(super) struct LocalStore {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("root", &self.root)
            .finish()
    }
}

fn checked_bucket(bucket: &str) -> S3Result<()> {
    if s3s::path::check_bucket_name(bucket) {
        Ok(())
    } else {
        Err(s3_error!(InvalidBucketName))
    }
}

fn refused(why: KeyError) -> S3Error {
    match why {
        KeyError::TooLong => s3_error!(KeyTooLongError, "{why}"),
        _ => s3_error!(InvalidArgument, "object key refused: {why}"),
    }
}

/// The bucket and key of a request, both checked; the path they name under `root`.
fn checked(root: &Path, bucket: &str, key: &str) -> S3Result<PathBuf> {
    checked_bucket(bucket)?;
    let key = ObjectKey::parse(key).map_err(refused)?;
    Ok(root.join(bucket).join(key.as_str()))
}

impl LocalStore {
    pub(super) fn new(fs: s3s_fs::FileSystem, root: PathBuf) -> LocalStore {
        LocalStore { fs, root }
    }
}

#[async_trait::async_trait]
impl S3 for LocalStore {
    async fn put_object(
        &self,
        mut req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let path = checked(&self.root, &req.input.bucket, &req.input.key)?;
        let existed = path.exists();
        let mismatch = Arc::new(Mutex::new(None));
        if let Some(body) = req.input.body.take() {
            let digests = Digests::declared(&req.input, req.trailing_headers.clone());
            req.input.body = Some(StreamingBlob::wrap(Verified {
                inner: body,
                digests: Some(digests),
                mismatch: Arc::clone(&mismatch),
            }));
        }
        let result = self.fs.put_object(req).await;
        if result.is_err() && !existed && path.is_file() {
            // Digests that only a trailer declared are compared by s3s-fs after the rename; S3
            // would have kept nothing.
            if let Err(e) = std::fs::remove_file(&path) {
                tracing::warn!(error = %e, "local S3: could not remove a refused upload");
            }
        }
        match (result, mismatch.lock().ok().and_then(|mut m| m.take())) {
            (Err(_), Some(why)) => Err(s3_error!(BadDigest, "{why}")),
            (result, _) => result,
        }
    }

    async fn get_object(
        &self,
        mut req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let path = checked(&self.root, &req.input.bucket, &req.input.key)?;
        if let Some(Range::Suffix { length }) = req.input.range
            && length > 0
            && let Ok(meta) = tokio::fs::metadata(&path).await
        {
            // The last `length` bytes of a shorter object are all of it, as a range.
            req.input.range = Some(Range::Int {
                first: meta.len().saturating_sub(length),
                last: None,
            });
        }
        self.fs.get_object(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        checked(&self.root, &req.input.bucket, &req.input.key)?;
        self.fs.head_object(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        checked(&self.root, &req.input.bucket, &req.input.key)?;
        self.fs.delete_object(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        checked_bucket(&req.input.bucket)?;
        self.fs.head_bucket(req).await
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        checked_bucket(&req.input.bucket)?;
        self.fs.create_bucket(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        checked_bucket(&req.input.bucket)?;
        // A prefix is a key, or a key's first segments followed by '/'.
        if let Some(prefix) = req.input.prefix.as_deref() {
            let start = prefix.strip_suffix('/').unwrap_or(prefix);
            if !start.is_empty() {
                ObjectKey::parse(start).map_err(refused)?;
            }
        }
        self.fs.list_objects_v2(req).await
    }
}

/// The digests a PUT declared, and the hashers computing them over the body.
struct Digests {
    md5: Option<(String, Md5)>,
    hasher: ChecksumHasher,
    declared: s3s::dto::Checksum,
    trailers: Option<TrailingHeaders>,
}

const TRAILER_NAMES: [&str; 5] = [
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
    "x-amz-checksum-crc64nvme",
];

impl Digests {
    fn declared(input: &PutObjectInput, trailers: Option<TrailingHeaders>) -> Digests {
        let all = trailers.is_some();
        let on = |declared: &Option<String>| all || declared.is_some();
        let hasher = ChecksumHasher {
            crc32: on(&input.checksum_crc32).then(Default::default),
            crc32c: on(&input.checksum_crc32c).then(Default::default),
            sha1: on(&input.checksum_sha1).then(Default::default),
            sha256: on(&input.checksum_sha256).then(Default::default),
            crc64nvme: on(&input.checksum_crc64nvme).then(Default::default),
        };
        Digests {
            md5: input.content_md5.clone().map(|m| (m, Md5::new())),
            hasher,
            declared: s3s::dto::Checksum {
                checksum_crc32: input.checksum_crc32.clone(),
                checksum_crc32c: input.checksum_crc32c.clone(),
                checksum_sha1: input.checksum_sha1.clone(),
                checksum_sha256: input.checksum_sha256.clone(),
                checksum_crc64nvme: input.checksum_crc64nvme.clone(),
                ..Default::default()
            },
            trailers,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        if let Some((_, md5)) = &mut self.md5 {
            md5.update(bytes);
        }
    }

    /// Why the body differs from what was declared, if it does.
    fn mismatch(self) -> Option<String> {
        let mut declared = self.declared;
        if let Some(trailers) = &self.trailers {
            // Set once the body decoder has read the trailer, which ends the body.
            trailers.read(|headers| {
                let slots = [
                    &mut declared.checksum_crc32,
                    &mut declared.checksum_crc32c,
                    &mut declared.checksum_sha1,
                    &mut declared.checksum_sha256,
                    &mut declared.checksum_crc64nvme,
                ];
                for (name, slot) in TRAILER_NAMES.iter().zip(slots) {
                    if let Some(v) = headers.get(*name).and_then(|v| v.to_str().ok()) {
                        *slot = Some(v.to_owned());
                    }
                }
            });
        }
        if let Some((want, md5)) = self.md5
            && standard_base64(&md5.finalize()) != want
        {
            return Some("the Content-MD5 does not match the body".into());
        }
        let got = self.hasher.finalize();
        let pairs = [
            (declared.checksum_crc32, got.checksum_crc32),
            (declared.checksum_crc32c, got.checksum_crc32c),
            (declared.checksum_sha1, got.checksum_sha1),
            (declared.checksum_sha256, got.checksum_sha256),
            (declared.checksum_crc64nvme, got.checksum_crc64nvme),
        ];
        TRAILER_NAMES
            .iter()
            .zip(pairs)
            .find(|(_, (want, got))| want.is_some() && want != got)
            .map(|(name, _)| format!("the {name} does not match the body"))
    }
}

/// A PUT body that fails at its end when its digests do not match, so s3s-fs never moves the
/// file into place.
struct Verified {
    inner: StreamingBlob,
    digests: Option<Digests>,
    mismatch: Arc<Mutex<Option<String>>>,
}

impl Stream for Verified {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(bytes))) => {
                if let Some(d) = &mut this.digests {
                    d.update(&bytes);
                }
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(std::io::Error::other(e)))),
            Poll::Ready(None) => match this.digests.take().and_then(Digests::mismatch) {
                None => Poll::Ready(None),
                Some(why) => {
                    let error = std::io::Error::other(why.clone());
                    if let Ok(mut slot) = this.mismatch.lock() {
                        *slot = Some(why);
                    }
                    Poll::Ready(Some(Err(error)))
                }
            },
        }
    }
}
