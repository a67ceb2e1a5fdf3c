//! The local CloudFront edge, `GET /edge/{object key}`: what a distribution with a trusted key
//! group does, for development and tests. It decides with the same verifier as `mediagate
//! verify` (signed URL or cookies, canned or custom policy, expiry, not-before, client IP,
//! wildcard resources over the full URL) and then streams the object from the S3 origin with its
//! headers and Range support. It never decides who may see what: the signature is the decision,
//! made earlier by `access.rs` when the link was signed.
//!
//! Runs only when `cloudfront.domain` is unset (embedded defaults), so every refusal also says
//! why in `x-mediagate-edge-reason`; a real CloudFront says only "Access denied".

use std::net::{IpAddr, Ipv4Addr};

use actix_web::body::SizedStream;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;

use crate::cloudfront::{Rejection, Request};
use crate::s3::GetError;
use crate::state::AppState;

/// The path prefix the edge serves under.
pub const PREFIX: &str = "/edge/";

/// The response header that explains a refusal.
pub const REASON_HEADER: &str = "x-mediagate-edge-reason";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/edge/{key:.+}", web::get().to(edge))
        .route("/edge/{key:.+}", web::head().to(edge));
}

/// `name=value` pairs of the Cookie header(s).
fn cookies(req: &HttpRequest) -> Vec<(&str, &str)> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .collect()
}

fn client_ip(req: &HttpRequest) -> Option<Ipv4Addr> {
    match req.peer_addr()?.ip() {
        IpAddr::V4(ip) => Some(ip),
        IpAddr::V6(ip) => ip.to_ipv4_mapped(),
    }
}

/// CloudFront's answer to a refused request: an XML error body, 403.
fn refuse(rejection: &Rejection) -> HttpResponse {
    let (code, message) = match rejection {
        Rejection::Unsigned => (
            "MissingKey",
            "Missing Key-Pair-Id query parameter or cookie value",
        ),
        _ => ("AccessDenied", "Access denied"),
    };
    // Header values must be visible ASCII; the reason may quote a URL.
    let reason: String = rejection
        .to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    HttpResponse::Forbidden()
        .content_type("text/xml")
        .insert_header((REASON_HEADER, reason))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        ))
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).content_type("text/xml").body(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ))
}

async fn edge(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let now = state.clock.now();
    // The URL exactly as the viewer sent it, as CloudFront checks it.
    let url = {
        let info = req.connection_info();
        format!("{}://{}{}", info.scheme(), info.host(), req.uri())
    };
    let jar = cookies(&req);
    let decision = state.links.verify(&Request {
        url: &url,
        cookies: &jar,
        client_ip: client_ip(&req),
        now,
    });
    let grant = match decision {
        Ok(grant) => grant,
        Err(rejection) => return refuse(&rejection),
    };
    let raw = req.path().strip_prefix(PREFIX).unwrap_or_default();
    let Ok(key) = percent_encoding::percent_decode_str(raw).decode_utf8() else {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidURI",
            "the key is not UTF-8",
        );
    };
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let object = match state.objects.get(&key, range).await {
        Ok(Some(object)) => object,
        Ok(None) => {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            );
        }
        Err(GetError::InvalidRange) => {
            return s3_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range is not satisfiable",
            );
        }
        Err(GetError::Upstream(e)) => {
            e.log();
            return s3_error(
                StatusCode::BAD_GATEWAY,
                "OriginError",
                "the S3 origin failed",
            );
        }
    };
    let mut res = HttpResponse::build(if object.content_range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    });
    res.insert_header((header::ACCEPT_RANGES, "bytes"));
    if let Some(v) = &object.content_type {
        res.insert_header((header::CONTENT_TYPE, v.as_str()));
    }
    if let Some(v) = &object.content_range {
        res.insert_header((header::CONTENT_RANGE, v.as_str()));
    }
    if let Some(v) = &object.etag {
        res.insert_header((header::ETAG, v.as_str()));
    }
    if let Some(v) = &object.last_modified {
        res.insert_header((header::LAST_MODIFIED, v.as_str()));
    }
    // A signed response is for this viewer: browsers may keep it, shared caches may not, and
    // never past the grant (an unsigned URL opened by cookies must be asked again after them).
    let left = grant.expires.seconds().saturating_sub(now.seconds());
    res.insert_header((
        header::CACHE_CONTROL,
        object
            .cache_control
            .clone()
            .unwrap_or_else(|| format!("private, max-age={}", left.min(3600))),
    ));
    let length = u64::try_from(object.content_length).unwrap_or(0);
    if req.method() == actix_web::http::Method::HEAD {
        // actix sends no body for HEAD but takes Content-Length from the body's declared size.
        let nothing = stream::empty::<Result<web::Bytes, std::io::Error>>();
        return res.body(SizedStream::new(length, Box::pin(nothing)));
    }
    // Chunk by chunk from S3 to the viewer; the object is never held whole in memory.
    let chunks = stream::unfold(object.body, |mut body| async move {
        match body.next().await {
            Some(Ok(bytes)) => Some((Ok(bytes), body)),
            Some(Err(e)) => Some((Err(std::io::Error::other(e)), body)),
            None => None,
        }
    });
    res.body(SizedStream::new(length, Box::pin(chunks)))
}
