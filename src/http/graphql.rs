//! `/graphql` (POST, and GET for queries only), `/graphiql`, and `POST /cookies`.
//!
//! GraphQL over HTTP as its spec has it: the answer is `application/graphql-response+json` when
//! the client prefers it and `application/json` otherwise, and the status follows the media
//! type (`graphql::response`). The guards run before anything else: a refused document costs a
//! cache lookup, never a token check or a resolver.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, Header as _, HeaderValue};
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, web};
use juniper::Variables;
use serde::Deserialize;

use super::middleware::{OperationLog, RequestId};
use super::viewer::authenticate;
use crate::error::Error;
use crate::graphql::prepared::PreparedDocuments;
use crate::graphql::response::{self, MediaType, RequestError};
use crate::graphql::{Context, redact};
use crate::state::AppState;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/graphql")
            .route(web::post().to(post))
            .route(web::get().to(get))
            .default_service(web::to(method_not_allowed)),
    )
    .route("/graphiql", web::get().to(graphiql))
    .route("/cookies", web::post().to(cookies));
}

/// A GraphQL-over-HTTP request. Parameters of the wrong type make it malformed (400); `null`
/// is the same as absent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphqlRequest {
    query: String,
    operation_name: Option<String>,
    variables: Option<Variables>,
    /// Reserved for extensions: must be a map when present; none is used.
    #[serde(rename = "extensions")]
    _extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The media type to answer `req` with; `None` when the client accepts neither of ours.
fn media_type(req: &HttpRequest) -> Option<MediaType> {
    // An Accept header that does not parse is treated as absent.
    let accept = header::Accept::parse(req).unwrap_or(header::Accept(Vec::new()));
    MediaType::negotiate(&accept)
}

/// JSON bodies: bounded, and a malformed one is answered in GraphQL's error shape.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, req| {
            let (status, message) = match &err {
                actix_web::error::JsonPayloadError::Overflow { limit }
                | actix_web::error::JsonPayloadError::OverflowKnownLength { limit, .. } => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body is larger than {limit} bytes"),
                ),
                actix_web::error::JsonPayloadError::ContentType => (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "send Content-Type: application/json".to_owned(),
                ),
                other => (
                    StatusCode::BAD_REQUEST,
                    format!("request body is not a GraphQL request: {other}"),
                ),
            };
            let media = media_type(req).unwrap_or(MediaType::Json);
            let body = Error::bad_input(message).to_json().to_string();
            let response = HttpResponse::build(status)
                .content_type(media.content_type())
                .body(body);
            actix_web::error::InternalError::from_response(err, response).into()
        })
}

/// An error that is the whole answer, with its own status (401, 503, …), as JSON.
pub(crate) fn error_response(error: &Error) -> HttpResponse {
    error_response_as(error, MediaType::Json)
}

fn error_response_as(error: &Error, media: MediaType) -> HttpResponse {
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
    res.content_type(media.content_type())
        .body(error.to_json().to_string())
}

fn request_error(error: &RequestError, media: MediaType) -> HttpResponse {
    HttpResponse::build(media.request_error_status(error.code()))
        .content_type(media.content_type())
        .body(error.body().to_vec())
}

fn not_acceptable() -> HttpResponse {
    HttpResponse::NotAcceptable()
        .content_type(MediaType::Json.content_type())
        .body(
            Error::bad_input("send Accept: application/graphql-response+json or application/json")
                .to_json()
                .to_string(),
        )
}

async fn execute(
    state: web::Data<AppState>,
    documents: web::Data<PreparedDocuments>,
    req: HttpRequest,
    request: GraphqlRequest,
    via_get: bool,
) -> HttpResponse {
    let Some(media) = media_type(&req) else {
        return not_acceptable();
    };
    // An empty operation name is the same as none (the spec says so for GET; POST alike).
    let operation_name = request.operation_name.as_deref().filter(|n| !n.is_empty());
    let prepared = match documents.prepare(&request.query, operation_name) {
        Ok(p) => p,
        Err(e) => return request_error(&e, media),
    };
    if via_get && prepared.is_mutation() {
        // GET is safe: a link in an e-mail must not change anything.
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .content_type(media.content_type())
            .body(
                Error::bad_input("mutations must be sent with POST")
                    .to_json()
                    .to_string(),
            );
    }
    let variables = request.variables.unwrap_or_default();
    if let Err(e) = prepared.check_cost(&variables) {
        return request_error(&e, media);
    }
    let viewer = match authenticate(&state, &req).await {
        Ok(v) => v,
        Err(e) => return error_response_as(&e, media),
    };
    let limit = state.config.graphql.max_response_bytes;
    let now = state.clock.now();
    // Only for the request's log line: nothing is built when `info` is off.
    let operation = tracing::enabled!(tracing::Level::INFO).then(|| OperationLog {
        name: operation_name.map(str::to_owned),
        kind: if prepared.is_mutation() {
            "mutation"
        } else {
            "query"
        },
        variables: redact::variables(&variables).to_string(),
    });
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| std::sync::Arc::clone(&id.0));
    let client = req.peer_addr().map(|a| a.ip());
    let context = Context::new(state.into_inner(), viewer, now, request_id, client);
    let (data, errors) = match prepared.execute(&variables, &context).await {
        Ok(executed) => executed,
        // Executing refuses only the variables (coercion) or the operation type.
        Err(e) => {
            let code = match &e {
                juniper::GraphQLError::ValidationError(_) => crate::error::Code::BadUserInput,
                other => response::preparation_code(other),
            };
            return request_error(&RequestError::from_juniper(&e, code), media);
        }
    };
    let body = match response::executed(&data, &errors, limit) {
        Ok(body) => body,
        Err(response::TooLarge) => too_large(limit, prepared.is_mutation()),
    };
    let mut res = HttpResponse::Ok()
        .content_type(media.content_type())
        .body(body);
    if let Some(operation) = operation {
        res.extensions_mut().insert(operation);
    }
    res
}

/// The body that replaces an answer over `graphql.max_response_bytes`: `data` is null, as for
/// any execution that could not produce its result, so the status stays 200.
fn too_large(limit: usize, mutation: bool) -> Vec<u8> {
    let applied = if mutation {
        " The mutation itself was applied; ask for fewer fields of its result."
    } else {
        ""
    };
    let message = format!(
        "the response would be larger than {limit} bytes (graphql.max_response_bytes); ask for \
         fewer fields or smaller pages.{applied}"
    );
    let code = crate::error::Code::BadUserInput.as_str();
    serde_json::json!({"data": null, "errors": [{"message": message, "extensions": {"code": code}}]})
        .to_string()
        .into_bytes()
}

async fn post(
    state: web::Data<AppState>,
    documents: web::Data<PreparedDocuments>,
    req: HttpRequest,
    body: web::Json<GraphqlRequest>,
) -> HttpResponse {
    execute(state, documents, req, body.into_inner(), false).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: String,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

async fn get(
    state: web::Data<AppState>,
    documents: web::Data<PreparedDocuments>,
    req: HttpRequest,
) -> HttpResponse {
    let media = media_type(&req).unwrap_or(MediaType::Json);
    let malformed = |message: String| {
        HttpResponse::BadRequest()
            .content_type(media.content_type())
            .body(Error::bad_input(message).to_json().to_string())
    };
    let params = match web::Query::<GetParams>::from_query(req.query_string()) {
        Ok(p) => p.into_inner(),
        Err(e) => return malformed(format!("GET /graphql needs ?query=…: {e}")),
    };
    let variables = match params
        .variables
        .as_deref()
        .map(serde_json::from_str::<Option<Variables>>)
        .transpose()
    {
        Ok(v) => v.flatten(),
        Err(e) => return malformed(format!("variables is not a JSON object: {e}")),
    };
    let extensions = params
        .extensions
        .as_deref()
        .map(serde_json::from_str::<Option<serde_json::Map<String, serde_json::Value>>>)
        .transpose();
    let extensions = match extensions {
        Ok(x) => x.flatten(),
        Err(e) => return malformed(format!("extensions is not a JSON object: {e}")),
    };
    let request = GraphqlRequest {
        query: params.query,
        operation_name: params.operation_name,
        variables,
        _extensions: extensions,
    };
    execute(state, documents, req, request, true).await
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let message = format!(
        "{} /graphql is not served; use POST (or GET for queries)",
        req.method()
    );
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .content_type(MediaType::Json.content_type())
        .body(Error::bad_input(message).to_json().to_string())
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
    let cookies = match state.owner_cookies(user, now).await {
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
