//! Issuing HS256 tokens for this service's own secret: `mediagate dev-token`, `POST /dev/token`
//! on the demo page, and tests.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Map;

use super::AuthError;
use super::settings::check_hs256_secret;

/// The issuer of dev tokens where `auth.issuer` is unset; also its default.
pub const DEV_ISSUER: &str = "mediagate-dev";
/// The audience of dev tokens where `auth.audience` is unset; also its default.
pub const DEV_AUDIENCE: &str = "mediagate";

/// A dev token, as `mediagate dev-token` and the demo page's `POST /dev/token` hand them out:
/// from the configured `issuer` and `audience` (`auth.issuer`, `auth.audience`), or
/// [`DEV_ISSUER`] and [`DEV_AUDIENCE`] where they are unset; otherwise as [`issue_hs256`].
pub fn issue_dev_token(
    secret: &[u8],
    issuer: Option<&str>,
    audience: Option<&str>,
    subject: &str,
    username: Option<&str>,
    ttl_secs: u64,
    now: u64,
) -> Result<String, AuthError> {
    issue_hs256(
        secret,
        subject,
        username,
        issuer.unwrap_or(DEV_ISSUER),
        audience.unwrap_or(DEV_AUDIENCE),
        ttl_secs,
        now,
    )
}

/// Signs an HS256 token: for [`issue_dev_token`] and tests. `iss` and `aud` are left out when
/// empty; `username` becomes `preferred_username`; `iat` is `now`, `exp` is `now + ttl_secs`.
pub fn issue_hs256(
    secret: &[u8],
    subject: &str,
    username: Option<&str>,
    issuer: &str,
    audience: &str,
    ttl_secs: u64,
    now: u64,
) -> Result<String, AuthError> {
    check_hs256_secret(secret).map_err(AuthError::Issue)?;
    if subject.is_empty() {
        return Err(AuthError::Issue("the subject is empty".to_owned()));
    }
    if ttl_secs == 0 {
        return Err(AuthError::Issue("the lifetime is 0 s".to_owned()));
    }
    let exp = now
        .checked_add(ttl_secs)
        .ok_or_else(|| AuthError::Issue("now + ttl overflows".to_owned()))?;
    let mut claims = Map::new();
    if !issuer.is_empty() {
        claims.insert("iss".to_owned(), issuer.into());
    }
    claims.insert("sub".to_owned(), subject.into());
    if !audience.is_empty() {
        claims.insert("aud".to_owned(), audience.into());
    }
    claims.insert("iat".to_owned(), now.into());
    claims.insert("exp".to_owned(), exp.into());
    if let Some(username) = username {
        claims.insert("preferred_username".to_owned(), username.into());
    }
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| AuthError::Issue(e.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::auth::Identity;
    use crate::auth::test_support::{ISSUER, NOW, SECRET, authenticator, verify};

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

    #[test]
    fn issuing_refuses_what_cannot_work() {
        assert!(issue_hs256(b"short", "alice", None, ISSUER, "", 60, NOW).is_err());
        assert!(issue_hs256(SECRET, "", None, ISSUER, "", 60, NOW).is_err());
        assert!(issue_hs256(SECRET, "alice", None, ISSUER, "", 0, NOW).is_err());
        let token = issue_hs256(SECRET, "alice", None, "", "", 60, NOW).expect("issue");
        let claims: Value =
            jsonwebtoken::dangerous::insecure_decode_claims(&token).expect("claims");
        assert_eq!(claims, json!({"sub": "alice", "iat": NOW, "exp": NOW + 60}));
    }

    #[test]
    fn dev_tokens_name_the_dev_issuer_and_audience_unless_configured() {
        let decoded = |token: &str| -> Value {
            jsonwebtoken::dangerous::insecure_decode_claims(token).expect("claims")
        };
        let token = issue_dev_token(SECRET, None, None, "alice", None, 60, NOW).expect("issue");
        assert_eq!(
            decoded(&token),
            json!({"iss": "mediagate-dev", "sub": "alice", "aud": "mediagate", "iat": NOW, "exp": NOW + 60})
        );
        let token = issue_dev_token(
            SECRET,
            Some(ISSUER),
            Some("api"),
            "alice",
            Some("Alice"),
            60,
            NOW,
        )
        .expect("issue");
        assert_eq!(
            decoded(&token),
            json!({"iss": ISSUER, "sub": "alice", "aud": "api", "iat": NOW, "exp": NOW + 60, "preferred_username": "Alice"})
        );
    }
}
