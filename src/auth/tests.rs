use serde_json::json;

use super::*;

const SECRET: &[u8] = b"a dev secret that is at least 32 bytes long";
const NOW: u64 = 1_800_000_000;
const ISSUER: &str = "https://issuer.example";

fn authenticator(configure: impl FnOnce(&mut AuthSettings)) -> Authenticator {
    let mut config = AuthSettings::hs256(SECRET);
    configure(&mut config);
    Authenticator::new(config).expect("config")
}

fn sign_with(secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

fn sign(claims: Value) -> String {
    sign_with(SECRET, &claims)
}

fn claims(extra: Value) -> Value {
    let mut claims = json!({"iss": ISSUER, "sub": "alice", "aud": "mediagate", "exp": NOW + 600});
    for (name, value) in extra.as_object().expect("object") {
        if value.is_null() {
            claims.as_object_mut().expect("object").remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

async fn verify(auth: &Authenticator, token: &str) -> Result<Identity, AuthError> {
    auth.verify(token, NOW).await
}

fn b64(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(json.to_string())
}

#[tokio::test]
async fn a_dev_token_verifies() {
    let auth = authenticator(|c| {
        c.issuer = Some(ISSUER.to_owned());
        c.audience = Some("mediagate".to_owned());
    });
    let token = issue_hs256(
        SECRET,
        "alice",
        Some("Alice"),
        ISSUER,
        "mediagate",
        600,
        NOW,
    )
    .expect("issue");
    let identity = verify(&auth, &token).await.expect("valid");
    assert_eq!(
        identity,
        Identity {
            issuer: ISSUER.to_owned(),
            subject: "alice".to_owned(),
            username: "Alice".to_owned(),
            expires_at: NOW + 600,
            own_issuer: true,
        }
    );
    assert_eq!(identity.user_subject(), "https://issuer.example|alice");
    assert_eq!(identity.user_id(), "alice");
}

#[tokio::test]
async fn expiry_allows_the_leeway_and_not_a_second_more() {
    let auth = authenticator(|_| {});
    let at = |exp: u64| sign(claims(json!({ "exp": exp })));
    assert!(verify(&auth, &at(NOW - 59)).await.is_ok());
    let err = verify(&auth, &at(NOW - 60)).await.expect_err("expired");
    assert_eq!(err, AuthError::Expired { secs_ago: 60 });
    assert_eq!(err.to_string(), "token expired 60 s ago");
    assert!(!err.is_upstream());

    let strict = authenticator(|c| c.leeway_secs = 0);
    assert!(verify(&strict, &at(NOW + 1)).await.is_ok());
    assert_eq!(
        verify(&strict, &at(NOW)).await,
        Err(AuthError::Expired { secs_ago: 0 })
    );
    let err = verify(&strict, &at(NOW - 42)).await.expect_err("expired");
    assert_eq!(err.to_string(), "token expired 42 s ago");
}

#[tokio::test]
async fn exp_is_required_and_must_be_a_number() {
    let auth = authenticator(|_| {});
    assert_eq!(
        verify(&auth, &sign(claims(json!({"exp": null})))).await,
        Err(AuthError::MissingClaim("exp"))
    );
    let err = verify(&auth, &sign(claims(json!({"exp": "soon"}))))
        .await
        .expect_err("string exp");
    assert!(matches!(err, AuthError::InvalidClaim { claim: "exp", .. }));
    // A fractional NumericDate is floored.
    let ok = verify(
        &auth,
        &sign(claims(json!({"exp": (NOW + 10) as f64 + 0.5}))),
    )
    .await
    .expect("fractional exp");
    assert_eq!(ok.expires_at, NOW + 10);
}

#[tokio::test]
async fn a_token_not_yet_valid_is_refused_beyond_the_leeway() {
    let auth = authenticator(|_| {});
    let at = |nbf: u64| sign(claims(json!({ "nbf": nbf })));
    assert!(verify(&auth, &at(NOW + 60)).await.is_ok());
    let err = verify(&auth, &at(NOW + 61)).await.expect_err("nbf");
    assert_eq!(err, AuthError::NotYetValid { secs: 61 });
    assert_eq!(err.to_string(), "token is not valid for another 61 s (nbf)");
}

#[tokio::test]
async fn the_issuer_is_checked_when_configured() {
    let auth = authenticator(|c| c.issuer = Some("b".to_owned()));
    let err = verify(&auth, &sign(claims(json!({"iss": "a"}))))
        .await
        .expect_err("wrong iss");
    assert_eq!(
        err.to_string(),
        r#"token issuer "a" is not the configured issuer "b""#
    );
    assert_eq!(
        verify(&auth, &sign(claims(json!({"iss": null})))).await,
        Err(AuthError::MissingClaim("iss"))
    );
    // A trailing slash is not a different issuer.
    let slash = authenticator(|c| c.issuer = Some(format!("{ISSUER}/")));
    assert!(verify(&slash, &sign(claims(json!({})))).await.is_ok());
    // Unconfigured: any issuer, or none.
    let any = authenticator(|_| {});
    let identity = verify(&any, &sign(claims(json!({"iss": null}))))
        .await
        .expect("no iss");
    assert_eq!(identity.issuer, "");
}

#[tokio::test]
async fn the_audience_is_checked_when_configured() {
    let auth = authenticator(|c| c.audience = Some("mediagate".to_owned()));
    let err = verify(&auth, &sign(claims(json!({"aud": "x"}))))
        .await
        .expect_err("wrong aud");
    assert_eq!(
        err.to_string(),
        r#"token audience ["x"] does not include "mediagate""#
    );
    assert!(
        verify(&auth, &sign(claims(json!({"aud": ["x", "mediagate"]}))))
            .await
            .is_ok()
    );
    let err = verify(&auth, &sign(claims(json!({"aud": null}))))
        .await
        .expect_err("no aud");
    assert_eq!(
        err.to_string(),
        r#"token has no audience (aud); expected "mediagate""#
    );
    let err = verify(&auth, &sign(claims(json!({"aud": 7}))))
        .await
        .expect_err("numeric aud");
    assert!(matches!(err, AuthError::InvalidClaim { claim: "aud", .. }));
    // Unconfigured: not checked.
    let any = authenticator(|_| {});
    assert!(
        verify(&any, &sign(claims(json!({"aud": "x"}))))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn client_id_stands_for_the_audience_only_when_allowed() {
    let access_token = sign(claims(json!({"aud": null, "client_id": "mediagate"})));
    let off = authenticator(|c| c.audience = Some("mediagate".to_owned()));
    let err = verify(&off, &access_token).await.expect_err("option off");
    assert!(
        err.to_string().contains("set accept_client_id_as_audience"),
        "{err}"
    );
    let on = authenticator(|c| {
        c.audience = Some("mediagate".to_owned());
        c.accept_client_id_as_audience = true;
    });
    assert!(verify(&on, &access_token).await.is_ok());
    let other_client = sign(claims(json!({"aud": null, "client_id": "other"})));
    assert!(matches!(
        verify(&on, &other_client).await,
        Err(AuthError::MissingAudience { .. })
    ));
    // An `aud` that names someone else is not rescued by client_id.
    let id_token = sign(claims(json!({"aud": "other", "client_id": "mediagate"})));
    assert!(matches!(
        verify(&on, &id_token).await,
        Err(AuthError::WrongAudience { .. })
    ));
}

#[tokio::test]
async fn sub_is_required_and_not_empty() {
    let auth = authenticator(|_| {});
    let err = verify(&auth, &sign(claims(json!({"sub": null}))))
        .await
        .expect_err("no sub");
    assert_eq!(err, AuthError::MissingClaim("sub"));
    assert_eq!(err.to_string(), r#"token has no "sub" claim"#);
    assert!(matches!(
        verify(&auth, &sign(claims(json!({"sub": ""})))).await,
        Err(AuthError::InvalidClaim { claim: "sub", .. })
    ));
    assert!(matches!(
        verify(&auth, &sign(claims(json!({"sub": 42})))).await,
        Err(AuthError::InvalidClaim { claim: "sub", .. })
    ));
}

#[tokio::test]
async fn alg_none_is_refused() {
    let auth = authenticator(|_| {});
    let payload = b64(&claims(json!({})));
    for alg in ["none", "None", "NONE"] {
        let header = b64(&json!({"alg": alg, "typ": "JWT"}));
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}.c2ln"),
        ] {
            let err = verify(&auth, &token).await.expect_err("alg none");
            assert_eq!(
                err.to_string(),
                format!("token signed with alg {alg}; only HS256 is accepted")
            );
        }
    }
}

#[tokio::test]
async fn other_hmac_algorithms_are_refused() {
    let auth = authenticator(|_| {});
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims(json!({})),
        &EncodingKey::from_secret(SECRET),
    )
    .expect("sign");
    let err = verify(&auth, &token).await.expect_err("HS512");
    assert_eq!(
        err.to_string(),
        "token signed with alg HS512; only HS256 is accepted"
    );
}

#[tokio::test]
async fn garbage_is_malformed() {
    let auth = authenticator(|_| {});
    let valid = sign(claims(json!({})));
    let (head, _) = valid.split_once('.').expect("dot");
    let header = b64(&json!({"alg": "HS256"}));
    for token in [
        String::new(),
        "garbage".to_owned(),
        "a.b".to_owned(),
        "a.b.c".to_owned(),
        "a.b.c.d".to_owned(),
        format!("{head}.%%%.sig"),
        format!("{header}.{}.sig", URL_SAFE_NO_PAD.encode("not json")),
        format!("{}.e30.sig", b64(&json!({"typ": "JWT"}))),
        format!("{}.e30.sig", b64(&json!({"alg": "HS256", "crit": ["exp"]}))),
        "x".repeat(MAX_TOKEN_BYTES + 1),
    ] {
        let err = verify(&auth, &token).await.expect_err("garbage");
        assert!(
            matches!(err, AuthError::Malformed(_) | AuthError::BadSignature(_)),
            "{token:.40}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("malformed token: ")
                || matches!(err, AuthError::BadSignature(_))
        );
    }
    // A payload that is not JSON, correctly signed, is malformed (not a bad signature).
    let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode("not json"));
    let signature = jsonwebtoken::crypto::sign(
        signing_input.as_bytes(),
        &EncodingKey::from_secret(SECRET),
        Algorithm::HS256,
    )
    .expect("sign");
    let err = verify(&auth, &format!("{signing_input}.{signature}"))
        .await
        .expect_err("not json");
    assert!(matches!(err, AuthError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_refused() {
    let auth = authenticator(|_| {});
    let token = sign_with(
        b"another secret, also at least 32 bytes",
        &claims(json!({})),
    );
    let err = verify(&auth, &token).await.expect_err("other secret");
    assert_eq!(
        err.to_string(),
        "token signature does not verify with the configured HS256 secret"
    );
    // Tampering with the claims breaks the signature too.
    let token = sign(claims(json!({})));
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = b64(&claims(json!({"sub": "mallory"})));
    parts[1] = &forged;
    assert!(matches!(
        verify(&auth, &parts.join(".")).await,
        Err(AuthError::BadSignature(_))
    ));
}

#[test]
fn bearer_headers_are_parsed() {
    assert_eq!(bearer_token("Bearer abc.def.ghi"), Ok("abc.def.ghi"));
    assert_eq!(bearer_token("bearer abc"), Ok("abc"));
    assert_eq!(bearer_token("BEARER   abc  "), Ok("abc"));
    for bad in [
        "",
        "   ",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwdw==",
        "abc.def.ghi",
        "Bearer a b",
        "Bearerabc",
    ] {
        let err = bearer_token(bad).expect_err(bad);
        assert!(
            err.to_string()
                .starts_with("Authorization header must be 'Bearer <token>'"),
            "{bad:?}: {err}"
        );
        assert!(!err.to_string().contains("dXNlcjpwdw"), "{err}");
    }
}

/// An identity from this service's own (HS256) tokens.
fn identity(subject: &str) -> Identity {
    Identity {
        issuer: ISSUER.to_owned(),
        subject: subject.to_owned(),
        username: subject.to_owned(),
        expires_at: NOW,
        own_issuer: true,
    }
}

#[test]
fn user_ids_keep_safe_subjects_and_hash_the_rest() {
    assert_eq!(identity("abc_DEF-123").user_id(), "abc_DEF-123");
    let sixty_four = "a".repeat(64);
    assert_eq!(identity(&sixty_four).user_id(), sixty_four);
    assert_eq!(identity(&"a".repeat(65)).user_id().len(), 25);
    // Values from Python: hashlib.sha256(b"{iss}|{sub}").hexdigest()[:24]
    assert_eq!(identity("auth0|abc").user_id(), "ubc2f20b4f715589416f2e36b");
    assert_eq!(
        identity(&"a".repeat(100)).user_id(),
        "u7c2653b1576f29f9148c25cd"
    );
    assert_eq!(
        identity("auth0|abc").user_subject(),
        "https://issuer.example|auth0|abc"
    );
    let other_issuer = Identity {
        issuer: "https://other.example".to_owned(),
        ..identity("auth0|abc")
    };
    assert_ne!(other_issuer.user_id(), identity("auth0|abc").user_id());
}

#[test]
fn outside_issuers_always_get_derived_ids() {
    let outside = |sub: &str| Identity {
        own_issuer: false,
        ..identity(sub)
    };
    // Values from Python: "u" + hashlib.sha256(b"{iss}|{sub}").hexdigest()[:24]
    assert_eq!(
        outside("abc_DEF-123").user_id(),
        "u476007403bbca2bf5f687946"
    );
    assert_eq!(outside("u0042").user_id(), "u299e980d1a340b1a170634fb");
    // An own sub shaped like a derived id is derived too, so the two forms never meet.
    assert_eq!(
        identity("u0123456789abcdef01234567").user_id(),
        "u8fae7a84aa155161911fdd26"
    );
    // Only that exact shape: upper-case hex, or one digit more or less, stays direct.
    for direct in [
        "u0123456789ABCDEF01234567",
        "u0123456789abcdef0123456",
        "u0123456789abcdef012345678",
        "x0123456789abcdef01234567",
    ] {
        assert_eq!(identity(direct).user_id(), direct);
    }
}

#[test]
fn issuers_have_one_spelling() {
    for (given, normal) in [
        ("https://tenant.auth0.com/", "https://tenant.auth0.com"),
        ("HTTPS://Tenant.Auth0.COM//", "https://tenant.auth0.com"),
        (
            "https://x.example:443/realms/Dev/",
            "https://x.example/realms/Dev",
        ),
        (
            "http://127.0.0.1:8080/realms/dev",
            "http://127.0.0.1:8080/realms/dev",
        ),
        ("mediagate-dev", "mediagate-dev"),
        ("mediagate-dev/", "mediagate-dev"),
        ("Mediagate-Dev", "Mediagate-Dev"),
        ("", ""),
    ] {
        assert_eq!(normalise_issuer(given), normal, "{given:?}");
    }
    assert_eq!(
        subject_key("https://tenant.auth0.com/", "auth0|abc"),
        "https://tenant.auth0.com|auth0|abc"
    );
    assert_eq!(subject_key("mediagate-dev", "u0042"), "mediagate-dev|u0042");
}

#[tokio::test]
async fn one_issuer_spelled_two_ways_is_one_identity() {
    let auth = authenticator(|c| c.issuer = Some("HTTPS://Issuer.Example/".to_owned()));
    let plain = verify(&auth, &sign(claims(json!({}))))
        .await
        .expect("plain");
    let spelled = verify(
        &auth,
        &sign(claims(json!({"iss": "https://issuer.EXAMPLE/"}))),
    )
    .await
    .expect("other spelling");
    assert_eq!(plain.issuer, ISSUER);
    assert_eq!(plain.user_subject(), spelled.user_subject());
    assert_eq!(plain.user_id(), spelled.user_id());
}

#[tokio::test]
async fn tokens_may_live_at_most_the_maximum_lifetime() {
    let auth = authenticator(|c| {
        c.leeway_secs = 60;
        c.max_token_lifetime_secs = 3600;
    });
    let at = |exp: u64| sign(claims(json!({ "exp": exp })));
    assert!(verify(&auth, &at(NOW + 3600 + 60)).await.is_ok());
    let err = verify(&auth, &at(NOW + 3600 + 61))
        .await
        .expect_err("too long");
    assert_eq!(
        err,
        AuthError::LivesTooLong {
            expires_in_secs: 3661,
            max_secs: 3600
        }
    );
    let err = verify(&auth, &at(u64::MAX)).await.expect_err("forever");
    assert!(matches!(err, AuthError::LivesTooLong { .. }), "{err:?}");
    assert!(
        err.to_string().contains("(auth.max_token_lifetime_secs)"),
        "{err}"
    );
    assert!(matches!(
        Authenticator::new(AuthSettings {
            max_token_lifetime_secs: 0,
            ..AuthSettings::hs256(SECRET)
        }),
        Err(AuthError::Config(_))
    ));
}

#[tokio::test]
async fn usernames_fall_back_in_order() {
    let auth = authenticator(|_| {});
    let username = |extra: Value| {
        let token = sign(claims(extra));
        let auth = &auth;
        async move { verify(auth, &token).await.expect("valid").username }
    };
    let all = json!({"preferred_username": "pref", "cognito:username": "cog", "username": "user", "email": "e@x"});
    assert_eq!(username(all.clone()).await, "pref");
    assert_eq!(
        username(json!({"cognito:username": "cog", "username": "user", "email": "e@x"})).await,
        "cog"
    );
    assert_eq!(
        username(json!({"username": "user", "email": "e@x"})).await,
        "user"
    );
    assert_eq!(username(json!({"email": "e@x"})).await, "e@x");
    assert_eq!(username(json!({})).await, "alice");
    assert_eq!(
        username(json!({"preferred_username": "", "email": "e@x"})).await,
        "e@x"
    );
}

#[test]
fn configuration_is_checked_without_network() {
    let short = Authenticator::new(AuthSettings::hs256(b"short".to_vec())).expect_err("short");
    assert!(short.to_string().contains("at least 32"), "{short}");
    for issuer in [
        "not a url",
        "http://issuer.example",
        "https://x.example/?q=1",
    ] {
        assert!(
            matches!(
                Authenticator::new(AuthSettings::oidc(issuer)),
                Err(AuthError::Config(_))
            ),
            "{issuer}"
        );
    }
    for issuer in [
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf",
        "https://tenant.auth0.com/",
        "http://127.0.0.1:8080/realms/dev",
        "http://localhost:9000",
    ] {
        assert!(
            Authenticator::new(AuthSettings::oidc(issuer)).is_ok(),
            "{issuer}"
        );
    }
    let mut mismatched = AuthSettings::oidc("https://a.example");
    mismatched.issuer = Some("https://b.example".to_owned());
    assert!(Authenticator::new(mismatched).is_err());
}

#[test]
fn debug_never_shows_the_secret() {
    let config = AuthSettings::hs256(SECRET);
    let auth = Authenticator::new(config.clone()).expect("config");
    let secret = String::from_utf8_lossy(SECRET).into_owned();
    for text in [
        format!("{config:?}"),
        format!("{auth:?}"),
        format!("{auth:#?}"),
    ] {
        assert!(!text.contains(&secret), "{text}");
        assert!(!text.contains("dev secret"), "{text}");
    }
}

#[test]
fn authenticator_is_shareable_and_verify_is_send() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let auth = Arc::new(authenticator(|_| {}));
    send_sync(&auth);
    send(auth.verify("token", NOW));
    let oidc = Authenticator::new(AuthSettings::oidc("https://issuer.example")).expect("config");
    send_sync(&oidc);
    send(oidc.verify("token", NOW));
}

#[test]
fn issuing_refuses_what_cannot_work() {
    assert!(issue_hs256(b"short", "alice", None, ISSUER, "", 60, NOW).is_err());
    assert!(issue_hs256(SECRET, "", None, ISSUER, "", 60, NOW).is_err());
    assert!(issue_hs256(SECRET, "alice", None, ISSUER, "", 0, NOW).is_err());
    let token = issue_hs256(SECRET, "alice", None, "", "", 60, NOW).expect("issue");
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&token).expect("claims");
    assert_eq!(claims, json!({"sub": "alice", "iat": NOW, "exp": NOW + 60}));
}
