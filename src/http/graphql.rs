//! `/graphql` (POST, and GET for queries only), `/graphiql`, and `POST /cookies`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use juniper::http::{GraphQLRequest, GraphQLResponse};
use serde::Deserialize;

use super::viewer::authenticate;
use crate::error::Error;
use crate::graphql::Context;
use crate::graphql::prepared::Refused;
use crate::state::AppState;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(post))
        .route("/graphql", web::get().to(get))
        .route("/graphiql", web::get().to(graphiql))
        .route("/cookies", web::post().to(cookies));
}

/// JSON bodies: bounded, and a malformed one is answered in GraphQL's error shape.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _| {
            let message = match &err {
                actix_web::error::JsonPayloadError::Overflow { limit }
                | actix_web::error::JsonPayloadError::OverflowKnownLength { limit, .. } => {
                    format!("request body is larger than {limit} bytes")
                }
                actix_web::error::JsonPayloadError::ContentType => {
                    "send Content-Type: application/json".to_owned()
                }
                other => format!("request body is not a GraphQL request: {other}"),
            };
            let status = if message.starts_with("request body is larger") {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            let body = Error::bad_input(message).to_json();
            actix_web::error::InternalError::from_response(
                err,
                HttpResponse::build(status).json(body),
            )
            .into()
        })
}

pub(super) fn error_response(error: &Error) -> HttpResponse {
    error.log();
    let mut res = HttpResponse::build(error.code().status());
    if error.code() == crate::error::Code::Unauthenticated {
        // RFC 6750: say why, without echoing the token.
        let reason = error.message().replace(['"', '\\'], "'");
        if let Ok(v) = HeaderValue::from_str(&format!(
            "Bearer error=\"invalid_token\", error_description=\"{reason}\""
        )) {
            res.insert_header((header::WWW_AUTHENTICATE, v));
        }
    }
    res.json(error.to_json())
}

async fn execute(
    state: web::Data<AppState>,
    req: HttpRequest,
    request: GraphQLRequest,
    via_get: bool,
) -> HttpResponse {
    let prepared = state
        .documents
        .prepare(&request.query, request.operation_name.as_deref());
    match &prepared {
        Ok(p) if via_get && p.is_mutation() => {
            return error_response(&Error::bad_input("mutations must be sent with POST"));
        }
        Err(Refused::Limits(e)) => return error_response(e),
        _ => {}
    }
    let viewer = match authenticate(&state, &req).await {
        Ok(v) => v,
        Err(e) => return error_response(&e),
    };
    let outcome = match prepared {
        Ok(prepared) => {
            let now = state.clock.now();
            let context = Context::new(state.into_inner(), viewer, now);
            prepared.execute(&request.variables(), &context).await
        }
        Err(Refused::Invalid(e)) => Err(e),
        Err(Refused::Limits(e)) => return error_response(&e),
    };
    let response = GraphQLResponse::from_result(outcome);
    let status = if response.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    // sonic-rs escapes strings with SIMD: a gallery's 50 signed URLs are 20 KB of text, which
    // serde_json scans byte by byte.
    match sonic_rs::to_vec(&response) {
        Ok(body) => HttpResponse::build(status)
            .content_type(header::ContentType::json())
            .body(body),
        Err(e) => error_response(&Error::internal(anyhow::anyhow!(
            "encoding the response: {e}"
        ))),
    }
}

async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<GraphQLRequest>,
) -> HttpResponse {
    execute(state, req, body.into_inner(), false).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: String,
    operation_name: Option<String>,
    variables: Option<String>,
}

async fn get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let params = match web::Query::<GetParams>::from_query(req.query_string()) {
        Ok(p) => p.into_inner(),
        Err(e) => {
            return error_response(&Error::bad_input(format!(
                "GET /graphql needs ?query=…: {e}"
            )));
        }
    };
    let variables = match params
        .variables
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
    {
        Ok(v) => v,
        Err(e) => {
            return error_response(&Error::bad_input(format!(
                "variables is not a JSON object: {e}"
            )));
        }
    };
    let request = GraphQLRequest::new(params.query, params.operation_name, variables);
    execute(state, req, request, true).await
}

async fn graphiql(state: web::Data<AppState>) -> HttpResponse {
    if !state.config.graphiql() {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(juniper::http::graphiql::graphiql_source("/graphql", None))
}

/// Sets the viewer's signed cookies (the same grant as the `signedCookies` query).
async fn cookies(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let viewer = match authenticate(&state, &req).await {
        Ok(v) => v,
        Err(e) => return error_response(&e),
    };
    let Some(user) = viewer.user_id() else {
        return error_response(&Error::unauthenticated(
            "sign in first: send Authorization: Bearer <token>",
        ));
    };
    let now = state.clock.now();
    let cookies = match state.links.owner_cookies(user, now) {
        Ok(c) => c,
        Err(e) => return error_response(&e),
    };
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    for value in cookies.set_cookie_headers(now) {
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.append_header((header::SET_COOKIE, v));
        }
    }
    res.json(serde_json::json!({
        "expiresAt": cookies.expires.seconds(),
        "path": cookies.attributes.path(),
        "cookies": cookies.cookies.iter().map(|c| c.name).collect::<Vec<_>>(),
    }))
}
