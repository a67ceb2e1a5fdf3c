//! OIDC mode over HTTP, against the local issuer stand-in (`oidc_standin`).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mediagate::cloudfront::Epoch;
use serde_json::{Value, json};

use crate::api::helpers::TestApp;
use crate::oidc_standin::{AUDIENCE, LocalIssuer, NOW, b64, keys};

/// The same attack set through the API in OIDC mode: 200 for the issuer's tokens, 401 for the
/// rest, 503 when the issuer cannot be reached.
#[tokio::test]
async fn oidc_local_issuer_through_the_api() {
    let issuer = LocalIssuer::start();
    let url = issuer.url.clone();
    let app = TestApp::spawn_with(|c| {
        c.auth.mode = "oidc".into();
        c.auth.issuer = Some(url);
        c.auth.audience = Some(AUDIENCE.into());
        c.auth.jwks_min_refresh_interval_secs = 3600;
    })
    .await;
    app.clock.set(Epoch(NOW));
    let ask = |token: String| {
        let app = &app;
        async move {
            let res = app
                .client
                .post(format!("{}/graphql", app.base))
                .bearer_auth(token)
                .json(&json!({"query": "{ viewer { id username } }"}))
                .send()
                .await
                .expect("request");
            (
                res.status().as_u16(),
                res.json::<Value>().await.expect("json"),
            )
        }
    };
    let claims = issuer.claims();
    for key in [&keys().rsa, &keys().ec] {
        let (status, body) = ask(key.sign(&claims)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["data"]["viewer"],
            json!({"id": "user-1", "username": "alice"})
        );
    }
    let mut confusion = Header::new(Algorithm::HS256);
    confusion.kid = Some(keys().rsa.kid.to_owned());
    let confused = jsonwebtoken::encode(
        &confusion,
        &claims,
        &EncodingKey::from_secret(&keys().rsa.public_pems[0]),
    )
    .expect("sign");
    let attacks = [
        (
            "unknown kid",
            keys()
                .rsa
                .sign_as(Algorithm::RS256, Some("kid-nobody-has"), &claims),
        ),
        (
            "attacker's key under a known kid",
            keys().rsa_attacker.sign(&claims),
        ),
        ("HS/RS confusion", confused),
        (
            "expired",
            keys()
                .rsa
                .sign(&issuer.claims_with(json!({"exp": NOW - 3600}))),
        ),
        (
            "wrong audience",
            keys()
                .rsa
                .sign(&issuer.claims_with(json!({"aud": "other-app"}))),
        ),
        (
            "wrong issuer",
            keys()
                .rsa
                .sign(&issuer.claims_with(json!({"iss": "https://evil.example"}))),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none"}"#),
                b64(claims.to_string().as_bytes())
            ),
        ),
    ];
    for (name, token) in attacks {
        let (status, body) = ask(token).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            json!("UNAUTHENTICATED"),
            "{name}"
        );
    }
    assert!(issuer.jwks_fetches() >= 1);
    let dead = issuer.url.clone();
    issuer.stop().await;
    // An app whose issuer cannot be reached answers 503 UPSTREAM, never 401 or anonymous.
    let app = TestApp::spawn_with(|c| {
        c.auth.mode = "oidc".into();
        c.auth.issuer = Some(dead);
        c.auth.audience = Some(AUDIENCE.into());
        c.auth.http_timeout_secs = 2;
    })
    .await;
    app.clock.set(Epoch(NOW));
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(keys().rsa.sign(&claims))
        .json(&json!({"query": "{ viewer { id } }"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        json!("UPSTREAM"),
        "{body}"
    );
}
