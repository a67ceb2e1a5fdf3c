//! OIDC verification against the local issuer stand-in (`oidc_standin`): discovery, JWKS
//! fetches and refreshes, algorithms and keys, claims. Over HTTP: `auth_oidc_api`.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mediagate::auth::{
    AuthError, AuthMode, AuthSettings, Authenticator, DEFAULT_JWKS_MAX_AGE, Identity,
};
use serde_json::{Value, json};

use crate::auth_oidc_api::derived_id;
use crate::oidc_standin::{AUDIENCE, HOUR, LocalIssuer, NOW, b64, keys};

fn config(issuer: &str, interval: Duration) -> AuthSettings {
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

fn authenticator(issuer: &str, interval: Duration) -> Authenticator {
    Authenticator::new(config(issuer, interval)).expect("config")
}

async fn verify(auth: &Authenticator, token: &str) -> Result<Identity, AuthError> {
    auth.verify(token, NOW).await
}

#[tokio::test]
async fn oidc_local_issuer_accepts_rs256_and_es256() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, HOUR);
    assert_eq!(issuer.jwks_fetches(), 0, "no fetch before first use");

    for key in [&keys().rsa, &keys().ec] {
        let identity = verify(&auth, &key.sign(&issuer.claims()))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", key.kid));
        assert_eq!(
            identity,
            Identity {
                issuer: issuer.url.clone(),
                subject: "user-1".to_owned(),
                username: "alice".to_owned(),
                expires_at: NOW + 600,
                own_issuer: false,
            }
        );
    }
    assert_eq!(issuer.discovery_fetches(), 1);
    assert_eq!(issuer.jwks_fetches(), 1, "both keys from one fetch");
    issuer.stop().await;
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

#[tokio::test]
async fn oidc_local_issuer_rejects_hs256_and_the_key_confusion_attack() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, HOUR);
    let rsa = &keys().rsa;
    let claims = issuer.claims();
    verify(&auth, &rsa.sign(&claims))
        .await
        .expect("keys loaded");

    // HMAC-signed with the RSA public key (as PEM, in both encodings, and the raw modulus) as the
    // secret, header alg HS256, kid of the RSA key: the classic confusion attack.
    let n = URL_SAFE_NO_PAD
        .decode(rsa.jwk["n"].as_str().expect("n"))
        .expect("n");
    let mut secrets = rsa.public_pems.clone();
    secrets.push(n);
    for secret in secrets {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(rsa.kid.to_owned());
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret))
            .expect("sign");
        let err = verify(&auth, &token).await.expect_err("HS/RS confusion");
        assert_eq!(
            err.to_string(),
            "token signed with alg HS256; only RS256 and ES256 are accepted"
        );
    }

    // alg none, with and without the RSA key's kid.
    let payload = b64(claims.to_string().as_bytes());
    for header in [
        json!({"alg": "none", "typ": "JWT"}),
        json!({"alg": "none", "typ": "JWT", "kid": rsa.kid}),
    ] {
        let token = format!("{}.{payload}.", b64(header.to_string().as_bytes()));
        let err = verify(&auth, &token).await.expect_err("alg none");
        assert_eq!(
            err.to_string(),
            "token signed with alg none; only RS256 and ES256 are accepted"
        );
    }

    // Other RSA algorithms with the right key are not accepted either.
    for alg in [Algorithm::RS384, Algorithm::PS256] {
        assert!(matches!(
            verify(&auth, &rsa.sign_as(alg, Some(rsa.kid), &claims)).await,
            Err(AuthError::AlgorithmNotAccepted { .. })
        ));
    }

    // The alg must match the type of the key the kid names.
    let err = verify(
        &auth,
        &rsa.sign_as(Algorithm::RS256, Some(keys().ec.kid), &claims),
    )
    .await
    .expect_err("RS256 naming the EC key");
    assert_eq!(
        err.to_string(),
        r#"token signed with alg RS256, but key id "ec-1" is an ES256 key"#
    );
    let err = verify(
        &auth,
        &keys().ec.sign_as(Algorithm::ES256, Some(rsa.kid), &claims),
    )
    .await
    .expect_err("ES256 naming the RSA key");
    assert!(
        matches!(err, AuthError::AlgorithmKeyMismatch { .. }),
        "{err:?}"
    );

    // Another RSA key claiming the served kid: the signature does not verify.
    let err = verify(&auth, &keys().rsa_attacker.sign(&claims))
        .await
        .expect_err("attacker's key");
    assert_eq!(
        err.to_string(),
        r#"token signature does not verify with key id "rsa-1""#
    );

    // No kid at all.
    assert_eq!(
        verify(&auth, &rsa.sign_as(Algorithm::RS256, None, &claims)).await,
        Err(AuthError::MissingKeyId)
    );
    assert_eq!(issuer.jwks_fetches(), 1);
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_checks_time_issuer_and_audience() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, HOUR);
    let ec = &keys().ec;
    let check = |changes: Value| {
        let token = ec.sign(&issuer.claims_with(changes));
        let auth = &auth;
        async move { verify(auth, &token).await }
    };

    assert_eq!(
        check(json!({"exp": NOW - 100})).await,
        Err(AuthError::Expired { secs_ago: 100 })
    );
    assert!(
        check(json!({"exp": NOW - 59})).await.is_ok(),
        "within leeway"
    );
    assert_eq!(
        check(json!({"exp": null})).await,
        Err(AuthError::MissingClaim("exp"))
    );
    assert_eq!(
        check(json!({"nbf": NOW + 3600})).await,
        Err(AuthError::NotYetValid { secs: 3600 })
    );
    assert!(
        check(json!({"nbf": NOW + 30})).await.is_ok(),
        "within leeway"
    );

    let err = check(json!({"aud": ["someone-else"]}))
        .await
        .expect_err("aud");
    assert_eq!(
        err.to_string(),
        r#"token audience ["someone-else"] does not include "mediagate""#
    );
    assert!(matches!(
        check(json!({"aud": null})).await,
        Err(AuthError::MissingAudience { .. })
    ));

    let err = check(json!({"iss": "https://evil.example"}))
        .await
        .expect_err("iss");
    assert_eq!(
        err.to_string(),
        format!(
            r#"token issuer "https://evil.example" is not the configured issuer "{}""#,
            issuer.url
        )
    );
    assert_eq!(
        check(json!({"iss": null})).await,
        Err(AuthError::MissingClaim("iss"))
    );
    assert_eq!(
        check(json!({"sub": null})).await,
        Err(AuthError::MissingClaim("sub"))
    );
    assert_eq!(issuer.jwks_fetches(), 1);
    issuer.stop().await;
}

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

#[tokio::test]
async fn oidc_local_issuer_skips_keys_it_cannot_use() {
    let issuer = LocalIssuer::start_at(
        "/realms/mixed",
        vec![
            keys().rsa.jwk.clone(),
            // An encryption key, a P-384 key, an RS512 key, an HMAC key, a key without kid.
            {
                let mut jwk = keys().rsa_next.jwk.clone();
                jwk["use"] = json!("enc");
                jwk["kid"] = json!("enc-key");
                jwk
            },
            keys().ec_p384.jwk.clone(),
            {
                let mut jwk = keys().rsa_next.jwk.clone();
                jwk["alg"] = json!("RS512");
                jwk["kid"] = json!("rs512");
                jwk
            },
            json!({"kty": "oct", "kid": "hmac", "k": b64(b"a shared secret of 32 bytes.....")}),
            json!({"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64(&[7; 32])}),
            {
                let mut jwk = keys().ec.jwk.clone();
                jwk.as_object_mut().expect("object").remove("kid");
                jwk
            },
        ],
    );
    let auth = authenticator(&issuer.url, HOUR);
    let claims = issuer.claims();
    verify(&auth, &keys().rsa.sign(&claims))
        .await
        .expect("the usable key");
    let next = &keys().rsa_next;
    for (kid, token) in [
        (
            "enc-key",
            next.sign_as(Algorithm::RS256, Some("enc-key"), &claims),
        ),
        (
            "rs512",
            next.sign_as(Algorithm::RS256, Some("rs512"), &claims),
        ),
        (
            "ec-384",
            keys().ec.sign_as(Algorithm::ES256, Some("ec-384"), &claims),
        ),
        (
            "hmac",
            next.sign_as(Algorithm::RS256, Some("hmac"), &claims),
        ),
        ("ed", next.sign_as(Algorithm::RS256, Some("ed"), &claims)),
    ] {
        let err = verify(&auth, &token).await.expect_err(kid);
        assert!(
            matches!(&err, AuthError::UnknownKeyId { kid: k, .. } if k == kid),
            "{kid}: {err:?}"
        );
    }
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_cognito_access_tokens_need_the_client_id_option() {
    let issuer = LocalIssuer::start_at("/eu-west-1_AbCdEf123", vec![keys().rsa.jwk.clone()]);
    let client_id = "4e8i0c3b2n1m0v9x8z7a6s5d4f";
    // As Cognito issues them: no typ in the header; token_use says which is which.
    let cognito_token = |claims: Value| {
        keys()
            .rsa
            .sign_typed(Algorithm::RS256, Some("rsa-1"), None, &claims)
    };
    let access_token = cognito_token(json!({
        "iss": issuer.url, "sub": "5f6e7d8c-0000-4000-8000-000000000001",
        "client_id": client_id, "token_use": "access", "scope": "openid",
        "username": "alice", "exp": NOW + 3600, "iat": NOW,
    }));
    let id_token = cognito_token(json!({
        "iss": issuer.url, "sub": "5f6e7d8c-0000-4000-8000-000000000001",
        "aud": client_id, "token_use": "id", "cognito:username": "alice",
        "email": "alice@example.com", "exp": NOW + 3600, "iat": NOW,
    }));
    let mut config = config(&issuer.url, HOUR);
    config.audience = Some(client_id.to_owned());

    let strict = Authenticator::new(config.clone()).expect("config");
    let err = verify(&strict, &access_token)
        .await
        .expect_err("client_id not accepted");
    assert!(matches!(err, AuthError::MissingAudience { .. }), "{err:?}");
    assert!(
        err.to_string().contains("accept_client_id_as_audience"),
        "{err}"
    );
    // The ID token names the client id as its audience, but it is not an access token.
    let err = verify(&strict, &id_token).await.expect_err("ID token");
    assert_eq!(
        err.to_string(),
        r#"token_use is "id", not "access": an access token is required, not an ID token; send the access token the issuer gave with it"#
    );

    config.accept_client_id_as_audience = true;
    let cognito = Authenticator::new(config.clone()).expect("config");
    let identity = verify(&cognito, &access_token)
        .await
        .expect("access token with the option on");
    assert_eq!(identity.username, "alice");
    assert_eq!(
        identity.user_id(),
        derived_id(&issuer.url, "5f6e7d8c-0000-4000-8000-000000000001")
    );
    assert!(matches!(
        verify(&cognito, &id_token).await,
        Err(AuthError::NotAnAccessToken(_))
    ));
    // Not even with the type check off: a token that says it is an ID token is one.
    config.require_access_token_type = false;
    let lenient = Authenticator::new(config).expect("config");
    assert!(matches!(
        verify(&lenient, &id_token).await,
        Err(AuthError::NotAnAccessToken(_))
    ));

    let other_client = cognito_token(json!({
        "iss": issuer.url, "sub": "u", "client_id": "another-app", "token_use": "access",
        "exp": NOW + 60,
    }));
    assert!(matches!(
        verify(&cognito, &other_client).await,
        Err(AuthError::MissingAudience { .. })
    ));
    issuer.stop().await;
}

/// RFC 9068 §4: only tokens marked as access tokens open the API, by default. An ID token of
/// the same issuer, naming the same audience, is refused with the reason.
#[tokio::test]
async fn oidc_local_issuer_accepts_only_access_tokens() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, HOUR);
    let rsa = &keys().rsa;
    let claims = issuer.claims();
    let typed = |typ: Option<&str>, claims: &Value| {
        rsa.sign_typed(Algorithm::RS256, Some(rsa.kid), typ, claims)
    };
    for typ in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/At+Jwt",
    ] {
        verify(&auth, &typed(Some(typ), &claims))
            .await
            .unwrap_or_else(|e| panic!("{typ}: {e}"));
    }
    let err = verify(&auth, &typed(Some("JWT"), &claims))
        .await
        .expect_err("typ JWT");
    assert_eq!(
        err.to_string(),
        r#"token type (header typ) is "JWT", not "at+jwt": an access token (RFC 9068) is required, not an ID token; for an issuer that does not mark its access tokens, an operator can set auth.require_access_token_type = false"#
    );
    let err = verify(&auth, &typed(None, &claims))
        .await
        .expect_err("no typ");
    assert!(
        err.to_string()
            .starts_with("token has no type (header typ), not \"at+jwt\""),
        "{err}"
    );
    for typ in ["id_token+jwt", "at+jwt2", "application/jwt"] {
        assert!(
            matches!(
                verify(&auth, &typed(Some(typ), &claims)).await,
                Err(AuthError::NotAnAccessToken(_))
            ),
            "{typ}"
        );
    }
    // Cognito's mark stands for the header's; a token_use other than "access" is refused.
    let with_use = |token_use: Value| issuer.claims_with(json!({ "token_use": token_use }));
    verify(&auth, &typed(Some("JWT"), &with_use(json!("access"))))
        .await
        .expect("token_use access");
    assert!(matches!(
        verify(&auth, &typed(Some("at+jwt"), &with_use(json!("id")))).await,
        Err(AuthError::NotAnAccessToken(_))
    ));
    assert!(matches!(
        verify(&auth, &typed(Some("at+jwt"), &with_use(json!(7)))).await,
        Err(AuthError::InvalidClaim {
            claim: "token_use",
            ..
        })
    ));

    // The switch, for issuers that mark nothing.
    let mut lenient = config(&issuer.url, HOUR);
    lenient.require_access_token_type = false;
    let lenient = Authenticator::new(lenient).expect("config");
    for typ in [Some("JWT"), None] {
        verify(&lenient, &typed(typ, &claims))
            .await
            .unwrap_or_else(|e| panic!("{typ:?}: {e}"));
    }
    assert!(matches!(
        verify(&lenient, &typed(None, &with_use(json!("id")))).await,
        Err(AuthError::NotAnAccessToken(_))
    ));
    issuer.stop().await;
}
