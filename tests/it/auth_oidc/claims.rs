//! Claims: time, issuer and audience, Cognito's access tokens and the client-id option, and only
//! access tokens accepted.

use jsonwebtoken::Algorithm;
use mediagate::auth::{AuthError, Authenticator};
use serde_json::{Value, json};

use crate::auth_oidc_api::derived_id;
use crate::oidc_standin::{HOUR, LocalIssuer, NOW, keys};

use super::{authenticator, config, verify};

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
