//! Request id, one log line per request and the latency histogram. Only the method, the route
//! pattern and the status are recorded: never query strings (signed URLs carry signatures) or
//! headers (tokens).

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _, web};
use tracing::Instrument as _;

use crate::state::AppState;

const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, in its extensions for handlers (the audit trail records it). Shared, so
/// handing it on costs no copy on requests that never record anything.
#[derive(Debug, Clone)]
pub struct RequestId(pub Arc<str>);

/// What `/graphql` adds to the request's log line, in its response's extensions (only while
/// `info` is on): the operation's name and type, and its variables redacted by `graphql::redact`.
#[derive(Debug, Clone)]
pub struct OperationLog {
    /// The operation name the request gave.
    pub name: Option<String>,
    /// `query` or `mutation`.
    pub kind: &'static str,
    /// The redacted variables, as JSON.
    pub variables: String,
}

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&HEADER)?.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| value.to_owned())
}

/// The middleware.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id: Arc<str> = incoming_id(&req)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
        .into();
    // Method and StatusCode clones allocate nothing for the standard ones.
    let method = req.method().clone();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    req.extensions_mut().insert(RequestId(Arc::clone(&id)));
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = match &result {
        Ok(res) => res.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    if let Some(state) = state {
        state
            .metrics
            .http_requests
            .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
            .observe(elapsed.as_secs_f64());
    }
    // The summary line carries its fields at the top level, where log pipelines look first;
    // a GraphQL request's adds its operation (absent fields are left out).
    let extensions = result.as_ref().ok().map(|r| r.response().extensions());
    let op = extensions.as_ref().and_then(|e| e.get::<OperationLog>());
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        status = status.as_u16(),
        latency_us = elapsed.as_micros() as u64,
        operation = op.map(|o| o.name.as_deref().unwrap_or("")),
        operation_type = op.map(|o| o.kind),
        variables = op.map(|o| o.variables.as_str()),
        "request"
    );
    drop(extensions);
    let mut res = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    Ok(res)
}
