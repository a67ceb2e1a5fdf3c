//! `/healthz` (the process answers), `/readyz` (store reachable, keys loaded) and `/metrics`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

/// Registers `/healthz` and `/readyz` (on every listener: load balancers probe them).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

/// Registers `/metrics`: on the admin listener, or on the main one in dev mode only.
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.ping().await;
    let key = state.links.active_key_id();
    match store {
        Ok(()) => HttpResponse::Ok().json(json!({"ready": true, "store": "ok", "active_key": key})),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: store unreachable");
            HttpResponse::ServiceUnavailable()
                .json(json!({"ready": false, "store": "unreachable", "active_key": key}))
        }
    }
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
