//! The local CloudFront edge, `GET /edge/{object key}`: what a distribution with a trusted key
//! group does, for development and tests. It decides with the same verifier as `mediagate
//! verify` (signed URL or cookies, canned or custom policy, expiry, not-before, client IP,
//! wildcard resources over the full URL) and then streams the object from the S3 origin with
//! Range support. It never decides who may see what: the signature is the decision, made
//! earlier by `access.rs` when the link was signed.
//!
//! Before anything else the path must be the one spelling of a plain key
//! ([`ObjectKey::from_url_path`]), so a grant over `carol/*` can never be walked to `bob/…` by
//! a `%2e%2e` that the signature check sees raw and the store resolves. The Range header is
//! read here too, and the response headers are the edge's own, never the uploader's (the
//! infra stacks' response headers policy does the same at CloudFront).
//!
//! Runs only when `cloudfront.domain` is unset (embedded defaults), so every refusal also says
//! why in `x-mediagate-edge-reason`; a real CloudFront says only "Access denied".

use std::net::{IpAddr, Ipv4Addr};

use actix_web::body::SizedStream;
use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;

use crate::access::{KeyError, ObjectKey};
use crate::cloudfront::{Rejection, Request};
use crate::state::AppState;

mod origin;
mod range;
mod revoked;

use origin::GetError;

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

/// Header values must be visible ASCII; a reason may quote a URL.
fn visible_ascii(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
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
    forbidden(code, message, &rejection.to_string())
}

/// 403 AccessDenied for a request the signature admits but something after it refuses.
fn refuse_because(reason: &str) -> HttpResponse {
    forbidden("AccessDenied", "Access denied", reason)
}

fn forbidden(code: &str, message: &str, reason: &str) -> HttpResponse {
    let reason = visible_ascii(reason);
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

/// 400 for a path that is not the one spelling of a plain key, before anything else is asked.
fn bad_path(why: &KeyError) -> HttpResponse {
    let mut res = s3_error(
        StatusCode::BAD_REQUEST,
        "InvalidURI",
        "Couldn't parse the specified URI.",
    );
    if let Ok(v) = header::HeaderValue::from_str(&visible_ascii(&why.to_string())) {
        res.headers_mut()
            .insert(header::HeaderName::from_static(REASON_HEADER), v);
    }
    res
}

/// `inline`, named after the key's last segment: an ASCII `filename` any browser reads, and
/// the UTF-8 `filename*` (RFC 6266) when the name is not ASCII.
fn disposition(key: &ObjectKey) -> ContentDisposition {
    let name = key.file_name();
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut parameters = vec![DispositionParam::Filename(ascii.clone())];
    if ascii != name {
        parameters.push(DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: name.as_bytes().to_vec(),
        }));
    }
    ContentDisposition {
        disposition: DispositionType::Inline,
        parameters,
    }
}

fn unsatisfiable() -> HttpResponse {
    s3_error(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "InvalidRange",
        "The requested range is not satisfiable",
    )
}

async fn edge(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    // One key per URL: the path must be the canonical spelling of a plain key, so the URL the
    // signature is checked on and the object S3 is asked for can never differ.
    let raw = req.path().strip_prefix(PREFIX).unwrap_or_default();
    let key = match ObjectKey::from_url_path(raw) {
        Ok(key) => key,
        Err(why) => return bad_path(&why),
    };
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
    // A valid signature on a revoked version is still refused, as the revocation function does.
    let version = revoked::version(&grant, req.query_string());
    if let Err(refusal) = revoked::check(&*state.store, &key, version).await {
        return refusal;
    }
    let asked = range::parse(
        req.headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok()),
    );
    let range = match asked {
        range::Asked::Whole => None,
        range::Asked::Range(r) => Some(r.header_value()),
        range::Asked::Unsatisfiable => return unsatisfiable(),
    };
    let object = match origin::get(&state.objects, &key, range.as_deref()).await {
        Ok(Some(object)) => object,
        Ok(None) => {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            );
        }
        Err(GetError::InvalidRange) => return unsatisfiable(),
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
    // How the bytes are served is ours, whatever headers the uploader managed to store with
    // them (a presigned PUT takes unsigned Cache-Control, Content-Disposition, Expires, …).
    // A signed response is for this viewer: browsers may keep it, shared caches may not, and
    // never past the grant (an unsigned URL opened by cookies must be asked again after them).
    let left = grant.expires.seconds().saturating_sub(now.seconds());
    res.insert_header((
        header::CACHE_CONTROL,
        format!("private, max-age={}", left.min(3600)),
    ));
    res.insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    res.insert_header((header::CONTENT_DISPOSITION, disposition(&key)));
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
