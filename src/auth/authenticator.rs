//! [`Authenticator`]: verifies a bearer token's signature with the mode's key (the HS256 secret,
//! or the OIDC issuer's key its `kid` names), then hands the claims to the claim checks.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, Validation};

use super::claims::{ClaimRules, Claims};
use super::error::{AuthError, shown};
use super::header::{TokenHeader, algorithm_name};
use super::identity::{Identity, normalise_issuer};
use super::jwks::KeyStore;
use super::settings::{AuthMode, AuthSettings, check_hs256_secret};

const HS256_ONLY: &[&str] = &["HS256"];
const OIDC_ALGORITHMS: &[&str] = &["RS256", "ES256"];

/// Verifies bearer tokens. Cheap to share in an `Arc`; its `Debug` never shows the secret.
pub struct Authenticator {
    keys: Keys,
    rules: ClaimRules,
}

enum Keys {
    Hs256(DecodingKey),
    /// Shared with the background refreshes it starts.
    Oidc(Arc<KeyStore>),
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Authenticator");
        match &self.keys {
            Keys::Hs256(_) => s.field("mode", &"HS256 (secret redacted)"),
            Keys::Oidc(oidc) => s.field("mode", &"OIDC").field("oidc", oidc),
        };
        let rules = &self.rules;
        s.field("issuer", &rules.issuer)
            .field("audience", &rules.audience)
            .field("leeway_secs", &rules.leeway_secs)
            .field(
                "accept_client_id_as_audience",
                &rules.accept_client_id_as_audience,
            )
            .field("max_token_lifetime_secs", &rules.max_token_lifetime_secs)
            .field(
                "require_access_token_type",
                &rules.require_access_token_type,
            )
            .finish()
    }
}

impl Authenticator {
    /// Checks the configuration; makes no network call (OIDC keys are fetched on first use).
    pub fn new(config: AuthSettings) -> Result<Authenticator, AuthError> {
        if config.audience.as_deref() == Some("") {
            return Err(AuthError::Config(
                "the audience is empty; leave it unset to skip the audience check".to_owned(),
            ));
        }
        if config.max_token_lifetime_secs == 0 {
            return Err(AuthError::Config(
                "the maximum token lifetime is 0 s; no token could be accepted".to_owned(),
            ));
        }
        let (keys, issuer) = match config.mode {
            AuthMode::Hs256 { secret } => {
                check_hs256_secret(&secret).map_err(AuthError::Config)?;
                (
                    Keys::Hs256(DecodingKey::from_secret(&secret)),
                    config.issuer,
                )
            }
            AuthMode::Oidc {
                issuer,
                jwks_min_refresh_interval,
                jwks_max_age,
                http_timeout,
            } => {
                if let Some(expected) = &config.issuer
                    && normalise_issuer(expected) != normalise_issuer(&issuer)
                {
                    return Err(AuthError::Config(format!(
                        "the expected issuer {expected:?} differs from the OIDC issuer {issuer:?}; \
                         leave it unset"
                    )));
                }
                let oidc = KeyStore::new(
                    issuer.clone(),
                    jwks_min_refresh_interval,
                    jwks_max_age,
                    http_timeout,
                )?;
                (Keys::Oidc(Arc::new(oidc)), Some(issuer))
            }
        };
        Ok(Authenticator {
            keys,
            rules: ClaimRules {
                issuer: issuer.as_deref().map(normalise_issuer),
                audience: config.audience,
                leeway_secs: config.leeway_secs,
                accept_client_id_as_audience: config.accept_client_id_as_audience,
                max_token_lifetime_secs: config.max_token_lifetime_secs,
                require_access_token_type: config.require_access_token_type,
            },
        })
    }

    /// Verifies `token` (without the `Bearer ` prefix) at `now` (epoch seconds).
    pub async fn verify(&self, token: &str, now: u64) -> Result<Identity, AuthError> {
        let header = TokenHeader::parse(token)?;
        let held_key;
        let (key, algorithm, key_name) = match &self.keys {
            Keys::Hs256(key) => {
                let algorithm = header.algorithm(HS256_ONLY)?;
                (key, algorithm, "the configured HS256 secret".to_owned())
            }
            Keys::Oidc(oidc) => {
                let algorithm = header.algorithm(OIDC_ALGORITHMS)?;
                let kid = header.kid.as_deref().ok_or(AuthError::MissingKeyId)?;
                held_key = oidc.key(kid, now).await?;
                if held_key.algorithm != algorithm {
                    return Err(AuthError::AlgorithmKeyMismatch {
                        alg: algorithm_name(algorithm),
                        kid: shown(kid),
                        key_alg: algorithm_name(held_key.algorithm),
                    });
                }
                (&held_key.key, algorithm, format!("key id {:?}", shown(kid)))
            }
        };

        // Signature only: time, issuer and audience are checked below, against `now`.
        let mut validation = Validation::new(algorithm);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => AuthError::BadSignature(key_name),
                _ => AuthError::Malformed(e.to_string()),
            })?
            .claims;
        let own_issuer = matches!(self.keys, Keys::Hs256(_));
        if !own_issuer {
            self.rules
                .check_access_token(header.typ.as_deref(), &claims)?;
        }
        self.rules.check_claims(claims, now, own_issuer)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::auth::test_support::{
        NOW, SECRET, authenticator, b64, claims, sign, sign_with, verify,
    };

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
        let oidc =
            Authenticator::new(AuthSettings::oidc("https://issuer.example")).expect("config");
        send_sync(&oidc);
        send(oidc.verify("token", NOW));
    }
}
