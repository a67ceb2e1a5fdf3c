//! OIDC verification against the local issuer stand-in (`oidc_standin`): discovery, JWKS
//! fetches and refreshes, algorithms and keys, claims. Over HTTP: `auth_oidc_api`.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use mediagate::auth::{
    AuthError, AuthMode, AuthSettings, Authenticator, DEFAULT_JWKS_MAX_AGE, Identity,
};
use serde_json::json;

use crate::oidc_standin::{AUDIENCE, HOUR, LocalIssuer, NOW, keys};

mod claims;
mod keys;
mod outages;

pub(super) fn config(issuer: &str, interval: Duration) -> AuthSettings {
    AuthSettings {
        mode: AuthMode::Oidc {
            issuer: issuer.to_owned(),
            jwks_min_refresh_interval: interval,
            jwks_max_age: DEFAULT_JWKS_MAX_AGE,
            http_timeout: Duration::from_secs(5),
        },
        audience: Some(AUDIENCE.to_owned()),
        ..AuthSettings::oidc(issuer)
    }
}

pub(super) fn authenticator(issuer: &str, interval: Duration) -> Authenticator {
    Authenticator::new(config(issuer, interval)).expect("config")
}

pub(super) async fn verify(auth: &Authenticator, token: &str) -> Result<Identity, AuthError> {
    auth.verify(token, NOW).await
}

#[tokio::test]
async fn oidc_local_issuer_unknown_kid_refreshes_once_then_rejects() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, Duration::ZERO);
    verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect("known kid");
    assert_eq!(issuer.jwks_fetches(), 1);

    let token = keys()
        .rsa
        .sign_as(Algorithm::RS256, Some("k9"), &issuer.claims());
    let err = verify(&auth, &token).await.expect_err("unknown kid");
    assert_eq!(
        err.to_string(),
        r#"token key id "k9" is not in the issuer's JWKS (refreshed 0 s ago)"#
    );
    assert!(!err.is_upstream());
    assert_eq!(issuer.jwks_fetches(), 2, "exactly one refresh");
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_key_rotation_is_accepted_after_one_refresh() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, Duration::ZERO);
    let old_token = keys().rsa.sign(&issuer.claims());
    verify(&auth, &old_token).await.expect("old key");
    assert_eq!(issuer.jwks_fetches(), 1);

    // The issuer rotates: it now serves only the new key.
    issuer.serve_keys(vec![keys().rsa_next.jwk.clone()]);
    verify(&auth, &keys().rsa_next.sign(&issuer.claims()))
        .await
        .expect("new key after one refresh");
    assert_eq!(issuer.jwks_fetches(), 2);
    verify(&auth, &keys().rsa_next.sign(&issuer.claims()))
        .await
        .expect("new key, cached");
    assert_eq!(issuer.jwks_fetches(), 2);

    // The retired key went with the old key set.
    assert!(matches!(
        verify(&auth, &old_token).await,
        Err(AuthError::UnknownKeyId { .. })
    ));
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_local_issuer_rate_limits_refreshes() {
    let issuer = LocalIssuer::start();
    let auth = Arc::new(authenticator(&issuer.url, HOUR));
    verify(&auth, &keys().ec.sign(&issuer.claims()))
        .await
        .expect("first load");
    assert_eq!(issuer.jwks_fetches(), 1);

    // 20 tokens naming unknown kids, concurrently, within one interval: exactly one refetch.
    issuer.slow_down_jwks(Duration::from_millis(200));
    let tokens: Vec<String> = (0..20)
        .map(|i| {
            let kid = format!("unknown-{i}");
            keys()
                .rsa
                .sign_as(Algorithm::RS256, Some(&kid), &issuer.claims())
        })
        .collect();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let auth = Arc::clone(&auth);
            tokio::spawn(async move { auth.verify(&token, NOW).await })
        })
        .collect();
    for task in tasks {
        let result = task.await.expect("join");
        assert!(
            matches!(result, Err(AuthError::UnknownKeyId { .. })),
            "{result:?}"
        );
    }
    assert_eq!(issuer.jwks_fetches(), 2);

    // Later ones in the same interval are refused from the cache, even a rotated-in key.
    issuer.serve_keys(vec![keys().rsa_next.jwk.clone()]);
    assert!(matches!(
        verify(&auth, &keys().rsa_next.sign(&issuer.claims())).await,
        Err(AuthError::UnknownKeyId { .. })
    ));
    assert_eq!(issuer.jwks_fetches(), 2);
    // Known keys keep working without a fetch.
    verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect("cached key");
    assert_eq!(issuer.jwks_fetches(), 2);
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_local_issuer_first_use_by_many_requests_fetches_once() {
    let issuer = LocalIssuer::start();
    let auth = Arc::new(authenticator(&issuer.url, HOUR));
    issuer.slow_down_jwks(Duration::from_millis(200));
    // Signed first (RSA signing is slow in debug builds), so the requests really overlap.
    let tokens: Vec<String> = (0..20)
        .map(|i| {
            let key = if i % 2 == 0 { &keys().rsa } else { &keys().ec };
            key.sign(&issuer.claims())
        })
        .collect();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let auth = Arc::clone(&auth);
            tokio::spawn(async move { auth.verify(&token, NOW).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("valid");
    }
    assert_eq!(issuer.discovery_fetches(), 1);
    assert_eq!(issuer.jwks_fetches(), 1);
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_wrong_issuer_in_discovery_is_rejected() {
    let issuer = LocalIssuer::start();
    issuer.announce_issuer("https://evil.example/realms/mediagate");
    let auth = authenticator(&issuer.url, HOUR);
    let err = verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect_err("discovery names another issuer");
    assert!(matches!(err, AuthError::IssuerMismatch { .. }), "{err:?}");
    assert!(
        err.is_upstream(),
        "a misconfigured issuer is not the token's fault"
    );
    assert!(err.to_string().contains("evil.example"), "{err}");
    assert_eq!(
        issuer.jwks_fetches(),
        0,
        "keys of the wrong issuer are never fetched"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_trailing_slash_is_the_same_issuer() {
    let issuer = LocalIssuer::start();
    // Configured with a slash, announced and used in tokens without one (and vice versa below).
    let auth = authenticator(&format!("{}/", issuer.url), HOUR);
    verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect("trailing slash in config");
    issuer.announce_issuer(&format!("{}/", issuer.url));
    let auth = authenticator(&issuer.url, HOUR);
    let slashed = issuer.claims_with(json!({"iss": format!("{}/", issuer.url)}));
    verify(&auth, &keys().rsa.sign(&slashed))
        .await
        .expect("trailing slash in discovery and token");
    issuer.stop().await;
}
