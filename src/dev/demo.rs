//! The demo gallery (`web/`, embedded in the binary, served at `/demo`) and, in dev mode only,
//! `POST /dev/token`, which mints short-lived tokens for dev users so the page can sign in.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::issue_dev_token;
use crate::state::AppState;
use crate::store::UserId;

const INDEX: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const STYLE: &str = include_str!("../../web/style.css");

/// Dev tokens live an hour: enough for a session with the demo, short enough to be harmless.
const DEV_TOKEN_TTL_SECS: u64 = 3600;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/demo",
        web::get().to(|| page(INDEX, "text/html; charset=utf-8")),
    )
    .route(
        "/demo/",
        web::get().to(|| page(INDEX, "text/html; charset=utf-8")),
    )
    .route(
        "/demo/app.js",
        web::get().to(|| page(APP_JS, "text/javascript; charset=utf-8")),
    )
    .route(
        "/demo/style.css",
        web::get().to(|| page(STYLE, "text/css; charset=utf-8")),
    )
    .route("/dev/token", web::post().to(dev_token));
}

async fn page(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

#[derive(Debug, Deserialize)]
struct DevTokenRequest {
    sub: String,
}

async fn dev_token(state: web::Data<AppState>, body: web::Json<DevTokenRequest>) -> HttpResponse {
    // Only with the generated dev secret: a configured secret never signs for strangers.
    let Some(secret) = &state.dev_secret else {
        return HttpResponse::NotFound().json(serde_json::json!({
            "error": "dev tokens are only available when mediagate runs on its embedded defaults"
        }));
    };
    let Some(user) = UserId::parse(&body.sub) else {
        return HttpResponse::BadRequest().json(serde_json::json!({
            "error": "sub must be 1 to 64 of A-Z, a-z, 0-9, - and _"
        }));
    };
    let auth = &state.config.auth;
    let issued = issue_dev_token(
        secret,
        auth.issuer.as_deref(),
        auth.audience.as_deref(),
        user.as_str(),
        None,
        DEV_TOKEN_TTL_SECS,
        state.clock.now().seconds(),
    );
    match issued {
        Ok(token) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({"token": token, "userId": user.as_str()})),
        Err(e) => crate::http::graphql::error_response(&crate::error::Error::internal(e)),
    }
}
