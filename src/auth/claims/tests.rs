//! The claim checks, through the whole of `verify` with HS256 tokens (the checks are the same for
//! every mode).

use serde_json::{Value, json};

use crate::auth::test_support::{ISSUER, NOW, SECRET, authenticator, claims, sign, verify};
use crate::auth::{AuthError, AuthSettings, Authenticator};

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
