//! An issuer that is unreachable, goes down and comes back, or fails its JWKS fetch: upstream
//! errors, and cached keys keep working.

use std::net::TcpListener;
use std::time::Duration;

use mediagate::auth::{AuthMode, Authenticator};
use serde_json::json;

use crate::oidc_standin::{AUDIENCE, HOUR, LocalIssuer, NOW, keys};

use super::{authenticator, config, verify};

#[tokio::test]
async fn oidc_local_issuer_unreachable_is_upstream() {
    let port = {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}/realms/gone");
    let auth = authenticator(&url, HOUR);
    let token = keys()
        .rsa
        .sign(&json!({"iss": url, "sub": "u", "aud": AUDIENCE, "exp": NOW + 60}));
    let err = verify(&auth, &token).await.expect_err("nothing listens");
    assert!(err.is_upstream(), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("OIDC issuer unavailable: GET "),
        "{message}"
    );
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(!message.contains(&token), "{message}");
}

#[tokio::test]
async fn oidc_local_issuer_down_then_back_recovers() {
    // The port is bound from the start but nobody answers: connections hang until the timeout.
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let url = format!("http://127.0.0.1:{port}/realms/mediagate");
    let mut config = config(&url, Duration::ZERO);
    if let AuthMode::Oidc { http_timeout, .. } = &mut config.mode {
        *http_timeout = Duration::from_millis(300);
    }
    let auth = Authenticator::new(config).expect("starts while the issuer is down");
    let claims = json!({"iss": url, "sub": "user-1", "aud": AUDIENCE, "exp": NOW + 600});
    let token = keys().rsa.sign(&claims);
    let err = verify(&auth, &token).await.expect_err("issuer down");
    assert!(err.is_upstream(), "{err:?}");

    // The issuer comes up on the same port.
    let issuer = LocalIssuer::serve(listener, "/realms/mediagate", vec![keys().rsa.jwk.clone()]);
    assert_eq!(issuer.url, url);
    verify(&auth, &token).await.expect("recovered");
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_jwks_failures_are_upstream_and_cached_keys_keep_working() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, Duration::ZERO);
    issuer.fail_jwks_with(500);
    let err = verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect_err("JWKS answers 500");
    assert!(err.is_upstream(), "{err:?}");
    assert!(err.to_string().contains("HTTP 500"), "{err}");

    issuer.fail_jwks_with(200);
    verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect("recovered");
    let fetches = issuer.jwks_fetches();

    // With keys loaded, a failing JWKS affects only tokens that need a refresh.
    issuer.fail_jwks_with(503);
    verify(&auth, &keys().ec.sign(&issuer.claims()))
        .await
        .expect("cached key, no fetch");
    assert_eq!(issuer.jwks_fetches(), fetches);
    let err = verify(&auth, &keys().rsa_next.sign(&issuer.claims()))
        .await
        .expect_err("unknown kid while the JWKS fails");
    assert!(err.is_upstream(), "{err:?}");
    issuer.stop().await;
}
