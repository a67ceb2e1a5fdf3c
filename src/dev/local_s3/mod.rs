//! The embedded local S3 server: what `mediagate serve` uploads to when no bucket is configured,
//! so the whole flow runs on a laptop with no AWS account. Development only.
//!
//! It is s3s (which checks SigV4 signatures, presigned expiry and signed headers as S3 does) over
//! s3s-fs's file store, plus what s3s-fs 0.14 lacks:
//! - CORS, so the demo page can PUT from the browser (answers preflights, exposes `ETag`);
//! - a gate in front of the file store (`store.rs`): only plain keys, digests checked before a
//!   body replaces anything, ranges it can serve. (0.17 fixes some of this but needs rustc 1.96;
//!   the tests run the flow against a separately installed s3s-fs 0.17 as well.)

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use crate::s3::S3Target;

mod store;
use store::LocalStore;

/// The bucket the local server holds.
pub const LOCAL_BUCKET: &str = "mediagate-dev";

/// A running local S3 server; stops when dropped.
#[derive(Debug)]
pub struct LocalS3 {
    addr: SocketAddr,
    target: S3Target,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LocalS3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl crate::state::Sidecar for LocalS3 {
    fn describe(&self) -> String {
        format!(
            "local S3 (development) at http://{} bucket {LOCAL_BUCKET}",
            self.addr
        )
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Why the local server could not start.
#[derive(Debug, thiserror::Error)]
#[error("local S3 server: {0}")]
pub struct LocalS3Error(String);

impl LocalS3 {
    /// Starts a server on `listen` storing objects under `dir` (created if missing), with a fresh
    /// random key pair that only this process knows.
    pub async fn start(listen: &str, dir: &Path) -> Result<LocalS3, LocalS3Error> {
        let fail = |what: &str, e: &dyn std::fmt::Display| LocalS3Error(format!("{what}: {e}"));
        std::fs::create_dir_all(dir.join(LOCAL_BUCKET))
            .map_err(|e| fail(&format!("cannot create {}", dir.display()), &e))?;
        let root = dir
            .canonicalize()
            .map_err(|e| fail(&format!("cannot resolve {}", dir.display()), &e))?;
        let fs =
            s3s_fs::FileSystem::new(&root).map_err(|e| LocalS3Error(format!("s3s-fs: {e:?}")))?;
        let access_key = format!(
            "MGLOCAL{}",
            &uuid::Uuid::new_v4().simple().to_string()[..13]
        );
        let secret_key = uuid::Uuid::new_v4().simple().to_string();
        let service = {
            let mut builder = s3s::service::S3ServiceBuilder::new(LocalStore::new(fs, root));
            builder.set_auth(s3s::auth::SimpleAuth::from_single(
                access_key.clone(),
                secret_key.clone(),
            ));
            builder.build()
        };
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| fail(&format!("cannot listen on {listen}"), &e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| fail("no local address", &e))?;
        let service = Arc::new(service);
        let task = tokio::spawn(async move {
            let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = Arc::clone(&service);
                let http = http.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let service = Arc::clone(&service);
                        async move { with_cors(&service, req).await }
                    });
                    let _ = http.serve_connection(TokioIo::new(socket), svc).await;
                });
            }
        });
        Ok(LocalS3 {
            addr,
            target: S3Target {
                bucket: LOCAL_BUCKET.into(),
                region: "us-east-1".into(),
                endpoint: Some(format!("http://{addr}")),
                force_path_style: true,
                static_key: Some((access_key, secret_key)),
            },
            task,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How to reach it.
    pub fn target(&self) -> &S3Target {
        &self.target
    }
}

/// Answers a CORS preflight itself; passes everything else to S3 and marks the answer readable
/// by the page. Any origin is fine: every request still needs a valid presigned signature.
async fn with_cors(
    service: &s3s::service::S3Service,
    req: Request<Incoming>,
) -> Result<s3s::HttpResponse, s3s::HttpError> {
    let origin = req.headers().get(header::ORIGIN).cloned();
    if req.method() == Method::OPTIONS
        && let Some(origin) = origin
    {
        let mut resp = s3s::HttpResponse::new(s3s::Body::empty());
        *resp.status_mut() = hyper::StatusCode::NO_CONTENT;
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, HEAD, PUT, DELETE"),
        );
        let asked = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("content-type"));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        return Ok(resp);
    }
    let mut resp = service.call(req.map(s3s::Body::from)).await?;
    if let Some(origin) = origin {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag, x-amz-checksum-sha256"),
        );
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    Ok(resp)
}
