//! The token attack set, over HTTP: every bad token is a 401 with a reason, never a silent
//! downgrade to anonymous.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mediagate::auth::issue_hs256;
use serde_json::{Value, json};

use super::helpers::{SECRET, TestApp, code};

fn forge(header: Value, claims: Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

fn hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let unsigned = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = openssl::pkey::PKey::hmac(secret).expect("hmac key");
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).expect("signer");
    let mac = signer
        .sign_oneshot_to_vec(unsigned.as_bytes())
        .expect("mac");
    format!("{unsigned}.{}", URL_SAFE_NO_PAD.encode(mac))
}

#[tokio::test]
async fn every_bad_token_is_a_401_with_a_reason() {
    let app = TestApp::spawn().await;
    let now = app.clock_now().0;
    let claims = |extra: Value| {
        let mut c = json!({"sub": "mallory", "iss": "mediagate-dev", "aud": "mediagate", "exp": now + 600, "iat": now});
        for (k, v) in extra.as_object().expect("object") {
            c[k] = v.clone();
        }
        c
    };
    let hs = json!({"alg": "HS256", "typ": "JWT"});
    let rsa = openssl::rsa::Rsa::generate(2048).expect("rsa");
    let rsa_public_pem = rsa.public_key_to_pem().expect("pem");
    let rs256 = {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(&rsa.private_key_to_pem().expect("pem"))
            .expect("key");
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some("k1".into());
        jsonwebtoken::encode(&header, &claims(json!({})), &key).expect("rs256")
    };
    let attacks: Vec<(&str, String)> = vec![
        (
            "alg none",
            forge(json!({"alg": "none", "typ": "JWT"}), claims(json!({})), b""),
        ),
        ("RS256 where HS256 is configured", rs256),
        (
            "HS/RS confusion (HMAC keyed with an RSA public key)",
            hs256(&hs, &claims(json!({})), &rsa_public_pem),
        ),
        (
            "another secret",
            hs256(&hs, &claims(json!({})), b"not-the-secret"),
        ),
        (
            "expired",
            hs256(&hs, &claims(json!({"exp": now - 3600})), SECRET.as_bytes()),
        ),
        (
            "not yet valid",
            hs256(&hs, &claims(json!({"nbf": now + 3600})), SECRET.as_bytes()),
        ),
        (
            "wrong audience",
            hs256(
                &hs,
                &claims(json!({"aud": "someone-else"})),
                SECRET.as_bytes(),
            ),
        ),
        (
            "wrong issuer",
            hs256(
                &hs,
                &claims(json!({"iss": "https://evil.example"})),
                SECRET.as_bytes(),
            ),
        ),
        (
            "no sub",
            hs256(
                &hs,
                &json!({"iss": "mediagate-dev", "aud": "mediagate", "exp": now + 600}),
                SECRET.as_bytes(),
            ),
        ),
        ("garbage", "not.a.token".to_owned()),
        ("empty", String::new()),
    ];
    for (name, token) in attacks {
        let res = app
            .client
            .post(format!("{}/graphql", app.base))
            .header("authorization", format!("Bearer {token}"))
            .json(&json!({"query": "{ viewer { id } }"}))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 401, "{name}");
        let www = res
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        assert!(
            www.as_deref()
                .is_some_and(|w| w.starts_with("Bearer error=\"invalid_token\"")),
            "{name}: {www:?}"
        );
        let body: Value = res.json().await.expect("json");
        assert_eq!(code(&body), "UNAUTHENTICATED", "{name}");
        assert!(
            body.get("data").is_none(),
            "{name}: answered as anonymous: {body}"
        );
        let reason = body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(reason.len() > 10, "{name}: vague reason {reason:?}");
        assert!(
            token.is_empty() || !reason.contains(&token),
            "{name}: the token was echoed"
        );
    }
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({"query": "{ viewer { id } }"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);

    // And the control: a good token works.
    let good = issue_hs256(
        SECRET.as_bytes(),
        "alice",
        None,
        "mediagate-dev",
        "mediagate",
        60,
        now,
    )
    .expect("token");
    let (status, body) = app.gql(Some(&good), "{ viewer { id } }", json!({})).await;
    assert_eq!(
        (status, &body["data"]["viewer"]["id"]),
        (200, &json!("alice"))
    );
}

/// A token valid for longer than `auth.max_token_lifetime_secs` (default 24 h) is refused, with
/// the reason; one within it (plus the leeway) is accepted.
#[tokio::test]
async fn a_token_that_lives_too_long_is_refused() {
    let app = TestApp::spawn().await;
    let now = app.clock_now().0;
    let hs = json!({"alg": "HS256", "typ": "JWT"});
    let token = |exp: u64| {
        hs256(
            &hs,
            &json!({"sub": "alice", "iss": "mediagate-dev", "aud": "mediagate", "exp": exp, "iat": now}),
            SECRET.as_bytes(),
        )
    };
    for exp in [10_000_000_000_000_000_000, now + 86_400 + 61] {
        let (status, body) = app
            .gql(Some(&token(exp)), "{ viewer { id } }", json!({}))
            .await;
        assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert_eq!(
            message,
            format!(
                "token expires in {} s; at most 86400 s are accepted (auth.max_token_lifetime_secs): ask the issuer for a shorter-lived token",
                exp - now
            )
        );
    }
    let (status, body) = app
        .gql(
            Some(&token(now + 86_400 + 60)),
            "{ viewer { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (status, &body["data"]["viewer"]["id"]),
        (200, &json!("alice")),
        "{body}"
    );
}
