//! OIDC mode over HTTP, against the local issuer stand-in (`oidc_standin`): the attack set, the
//! issuer down, identities across issuers, and keys the issuer removed.

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mediagate::cloudfront::Epoch;
use mediagate::config::{AuthKind, Config, Secret};
use serde_json::{Value, json};

use crate::api::helpers::{TestApp, code};
use crate::oidc_standin::{AUDIENCE, LocalIssuer, NOW, b64, keys};

/// The same attack set through the API in OIDC mode: 200 for the issuer's tokens, 401 for the
/// rest, 503 when the issuer cannot be reached.
#[tokio::test]
async fn oidc_local_issuer_through_the_api() {
    let issuer = LocalIssuer::start();
    let url = issuer.url.clone();
    let app = TestApp::spawn_with(|c| {
        c.auth.mode = AuthKind::Oidc;
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
            json!({"id": derived_id(&issuer.url, "user-1"), "username": "alice"})
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
        c.auth.mode = AuthKind::Oidc;
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

/// The id a token from an outside issuer gets: "u" and the first 24 hex digits of
/// sha256("{issuer}|{sub}"), the issuer spelled without a trailing slash.
pub(crate) fn derived_id(issuer: &str, sub: &str) -> String {
    let digest = openssl::sha::sha256(format!("{issuer}|{sub}").as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("u{hex}")
}

/// An app in OIDC mode for `issuer`, its clock at [`NOW`].
async fn oidc_app(issuer: &str, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let issuer = issuer.to_owned();
    let app = TestApp::spawn_with(|c| {
        c.auth.mode = AuthKind::Oidc;
        c.auth.issuer = Some(issuer);
        c.auth.audience = Some(AUDIENCE.into());
        adjust(c);
    })
    .await;
    app.clock.set(Epoch(NOW));
    app
}

async fn viewer(app: &TestApp, token: &str) -> (u16, Value) {
    app.gql(Some(token), "{ viewer { id username } }", json!({}))
        .await
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

/// Waits (bounded) until `done` holds: for work the service does in the background.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// With the issuer down, the 503 says "identity provider unavailable" and nothing of the
/// service's insides: not the discovery or JWKS URL, not the OS error.
#[tokio::test]
async fn oidc_issuer_down_answers_without_internals() {
    let port = {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}/realms/gone");
    let app = oidc_app(&url, |_| {}).await;
    let token = keys()
        .rsa
        .sign(&json!({"iss": url, "sub": "u", "aud": AUDIENCE, "exp": NOW + 60}));
    let (status, body) = viewer(&app, &token).await;
    assert_eq!((status, code(&body)), (503, "UPSTREAM"), "{body}");
    assert_eq!(message(&body), "identity provider unavailable", "{body}");
    let text = body.to_string();
    for inside in [
        port.to_string().as_str(),
        "127.0.0.1",
        "GET",
        "refused",
        "well-known",
    ] {
        assert!(!text.contains(inside), "{inside:?} in {text}");
    }
}

/// One database seen by the service in HS256 mode, then by two OIDC issuers: the same `sub`
/// from each is a different user, nobody is locked out, and one issuer spelled two ways (a
/// trailing slash, an upper-case scheme) is one issuer.
#[tokio::test]
async fn oidc_identities_never_collide_across_issuers_or_spellings() {
    let db = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}", db.path().join("shared.db").display());
    let shared = |c: &mut Config| c.database.url = Secret::new(database.clone());

    let hs = TestApp::spawn_with(shared).await;
    assert_eq!(hs.user("user-1").await, "user-1");

    let a = LocalIssuer::start_at("/realms/a", vec![keys().rsa.jwk.clone()]);
    let app_a = oidc_app(&a.url, shared).await;
    let expected_a = derived_id(&a.url, "user-1");
    let upper_scheme = a.url.replacen("http://", "HTTP://", 1);
    for iss in [a.url.clone(), format!("{}/", a.url), upper_scheme] {
        let token = keys().rsa.sign(&a.claims_with(json!({ "iss": iss })));
        let (status, body) = viewer(&app_a, &token).await;
        assert_eq!(status, 200, "iss {iss}: {body}");
        assert_eq!(body["data"]["viewer"]["id"], json!(expected_a), "iss {iss}");
    }

    let b = LocalIssuer::start_at("/realms/b", vec![keys().rsa.jwk.clone()]);
    let app_b = oidc_app(&b.url, shared).await;
    let (status, body) = viewer(&app_b, &keys().rsa.sign(&b.claims())).await;
    assert_eq!(status, 200, "{body}");
    let id_b = body["data"]["viewer"]["id"].as_str().unwrap_or_default();
    assert_eq!(id_b, derived_id(&b.url, "user-1"));
    assert_ne!(id_b, expected_a);
    assert_eq!(
        hs.user("user-1").await,
        "user-1",
        "the HS256 user is untouched"
    );
    a.stop().await;
    b.stop().await;
}

/// A key the issuer took out of its JWKS stops working once the cached set reaches
/// `auth.jwks_max_age_secs` (default 600 s), even though no unknown `kid` asked for a refresh.
#[tokio::test]
async fn oidc_a_key_the_issuer_removed_stops_working_after_the_max_age() {
    let issuer = LocalIssuer::start();
    // No unknown-kid refresh can happen within the test: only the max age drops the key.
    let app = oidc_app(&issuer.url, |c| {
        c.auth.jwks_min_refresh_interval_secs = 3600
    })
    .await;
    let claims = issuer.claims_with(json!({"exp": NOW + 3600}));
    let removed = keys().rsa.sign(&claims);
    let kept = keys().ec.sign(&claims);
    assert_eq!(viewer(&app, &removed).await.0, 200);
    assert_eq!(issuer.jwks_fetches(), 1);

    issuer.serve_keys(vec![keys().ec.jwk.clone()]);
    app.clock.advance(100);
    assert_eq!(
        viewer(&app, &removed).await.0,
        200,
        "young cache: still trusted"
    );

    app.clock.advance(501);
    let (status, body) = viewer(&app, &removed).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "{body}");
    assert!(
        message(&body).contains("is not in the issuer's JWKS"),
        "{body}"
    );
    assert_eq!(viewer(&app, &kept).await.0, 200);
    assert_eq!(issuer.jwks_fetches(), 2);
    issuer.stop().await;
}

/// Before the max age runs out, a request refreshes the set in the background: it is answered
/// from the cached set at once, and the refreshed set applies from then on.
#[tokio::test]
async fn oidc_keys_are_refreshed_in_the_background_before_the_max_age() {
    let issuer = LocalIssuer::start();
    let app = oidc_app(&issuer.url, |c| {
        c.auth.jwks_min_refresh_interval_secs = 3600
    })
    .await;
    let removed = keys()
        .rsa
        .sign(&issuer.claims_with(json!({"exp": NOW + 3600})));
    assert_eq!(viewer(&app, &removed).await.0, 200);
    issuer.serve_keys(vec![keys().ec.jwk.clone()]);

    app.clock.advance(500);
    assert_eq!(
        viewer(&app, &removed).await.0,
        200,
        "answered from the cache"
    );
    eventually("a background JWKS refresh", || issuer.jwks_fetches() == 2).await;
    // The issuer counts the fetch when it answers; the service installs the new set a moment
    // later (a busy machine made that moment visible), so the refusal is awaited, not assumed.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (status, body) = loop {
        let (status, body) = viewer(&app, &removed).await;
        if status != 200 || Instant::now() > deadline {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status, 401, "{body}");
    assert_eq!(issuer.jwks_fetches(), 2, "one background refresh, no more");
    issuer.stop().await;
}

/// A refresh that fails keeps the cached keys until the max age; after it, tokens are refused
/// with 503 (fail closed) until the issuer answers again.
#[tokio::test]
async fn oidc_a_failed_refresh_keeps_the_keys_until_the_max_age_then_fails_closed() {
    let issuer = LocalIssuer::start();
    let app = oidc_app(&issuer.url, |c| {
        c.auth.jwks_min_refresh_interval_secs = 3600
    })
    .await;
    let token = keys()
        .rsa
        .sign(&issuer.claims_with(json!({"exp": NOW + 3600})));
    assert_eq!(viewer(&app, &token).await.0, 200);

    issuer.fail_jwks_with(500);
    app.clock.advance(500);
    assert_eq!(viewer(&app, &token).await.0, 200);
    eventually("a background JWKS refresh", || issuer.jwks_fetches() == 2).await;
    assert_eq!(viewer(&app, &token).await.0, 200, "the old set is kept");

    app.clock.advance(101);
    let (status, body) = viewer(&app, &token).await;
    assert_eq!((status, code(&body)), (503, "UPSTREAM"), "{body}");
    assert_eq!(message(&body), "identity provider unavailable");

    issuer.fail_jwks_with(200);
    app.clock.advance(6);
    assert_eq!(viewer(&app, &token).await.0, 200, "recovered");
    issuer.stop().await;
}

/// `mediagate serve` with its issuer down logs the cause (the URL it could not reach, and why)
/// while the client hears only "identity provider unavailable".
#[tokio::test]
async fn oidc_issuer_down_is_logged_with_its_cause() {
    use std::process::Command;

    let port = {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}/realms/gone");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("mediagate.toml"),
        format!("[auth]\nmode = \"oidc\"\nissuer = \"{url}\"\naudience = \"{AUDIENCE}\"\n"),
    )
    .expect("config");
    let mut cmd = Command::new(crate::api::served::BIN);
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG");
    let served = crate::api::served::Served::spawn(cmd);
    let addr = &served.addr;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let token = keys()
        .rsa
        .sign(&json!({"iss": url, "sub": "u", "aud": AUDIENCE, "exp": now + 60}));
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(&token)
        .json(&json!({"query": "{ viewer { id } }"}))
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        (status, message(&body)),
        (503, "identity provider unavailable")
    );

    let needle = format!("127.0.0.1:{port}/realms/gone/.well-known/openid-configuration");
    served
        .wait_for_line("identity provider unavailable", |l| l.contains(&needle))
        .await;
    assert!(!served.logs().contains(&token), "the token was logged");
}

/// A child process that is stopped when the test ends, however it ends.
pub(crate) struct KillOnDrop(pub(crate) std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
