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
use super::keystore::{KeyStore, OidcKeyStore};
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
    /// Behind the trait so a test can give a fake (`Authenticator::with_key_store`).
    Oidc(Arc<dyn KeyStore>),
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
                let oidc = OidcKeyStore::new(
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

    /// An OIDC authenticator whose keys come from `store` instead of the issuer's JWKS; the rest
    /// of `config` (the issuer included) counts as in [`Authenticator::new`].
    #[cfg(test)]
    pub(crate) fn with_key_store(
        config: AuthSettings,
        store: Arc<dyn KeyStore>,
    ) -> Result<Authenticator, AuthError> {
        let mut authenticator = Authenticator::new(config)?;
        assert!(
            matches!(authenticator.keys, Keys::Oidc(_)),
            "a key store is for the OIDC mode"
        );
        authenticator.keys = Keys::Oidc(store);
        Ok(authenticator)
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

    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use serde_json::{Value, json};

    use super::*;
    use crate::auth::keystore::IssuerKey;
    use crate::auth::test_support::{
        ISSUER, NOW, SECRET, authenticator, b64, claims, sign, sign_with, verify,
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

    /// Answers from one fixed key (or with one fixed failure) in place of an issuer's JWKS.
    struct OneKey {
        kid: &'static str,
        key: Arc<IssuerKey>,
        /// Every lookup fails with it, as when the issuer cannot be reached.
        failure: Option<AuthError>,
    }

    impl fmt::Debug for OneKey {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("OneKey")
                .field("kid", &self.kid)
                .finish_non_exhaustive()
        }
    }

    #[async_trait::async_trait]
    impl KeyStore for OneKey {
        async fn key(&self, kid: &str, _now: u64) -> Result<Arc<IssuerKey>, AuthError> {
            if let Some(failure) = &self.failure {
                return Err(failure.clone());
            }
            if kid != self.kid {
                return Err(AuthError::UnknownKeyId {
                    kid: kid.to_owned(),
                    refreshed_secs_ago: 0,
                });
            }
            Ok(Arc::clone(&self.key))
        }
    }

    /// A new P-256 key pair: the signing half, and a store that holds the other as "k1".
    fn es256_key(failure: Option<AuthError>) -> (EncodingKey, Arc<OneKey>) {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("group");
        let pkey = PKey::from_ec_key(EcKey::generate(&group).expect("EC key")).expect("pkey");
        let pkcs8 = pkey.private_key_to_pem_pkcs8().expect("pkcs8");
        let spki = pkey.public_key_to_pem().expect("spki");
        let store = OneKey {
            kid: "k1",
            key: Arc::new(IssuerKey {
                algorithm: Algorithm::ES256,
                key: DecodingKey::from_ec_pem(&spki).expect("decoding key"),
            }),
            failure,
        };
        (
            EncodingKey::from_ec_pem(&pkcs8).expect("encoding key"),
            Arc::new(store),
        )
    }

    fn oidc(store: Arc<OneKey>, configure: impl FnOnce(&mut AuthSettings)) -> Authenticator {
        let mut config = AuthSettings::oidc(ISSUER);
        configure(&mut config);
        Authenticator::with_key_store(config, store).expect("config")
    }

    fn sign_es256(
        key: &EncodingKey,
        kid: Option<&str>,
        typ: Option<&str>,
        claims: &Value,
    ) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = kid.map(str::to_owned);
        header.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, key).expect("sign")
    }

    #[tokio::test]
    async fn an_oidc_token_verifies_with_the_key_its_kid_names() {
        let (key, store) = es256_key(None);
        let auth = oidc(store, |_| {});
        let token = sign_es256(&key, Some("k1"), Some("at+jwt"), &claims(json!({})));
        let identity = verify(&auth, &token).await.expect("valid");
        assert_eq!(identity.issuer, ISSUER);
        assert!(!identity.own_issuer);
        // An outside issuer's sub never becomes a user id as it is.
        assert_ne!(identity.user_id(), "alice");

        let (other, _) = es256_key(None);
        let forged = sign_es256(&other, Some("k1"), Some("at+jwt"), &claims(json!({})));
        let err = verify(&auth, &forged).await.expect_err("other key");
        assert_eq!(
            err.to_string(),
            r#"token signature does not verify with key id "k1""#
        );
    }

    #[tokio::test]
    async fn the_header_must_name_a_key_of_its_own_algorithm() {
        let (_, store) = es256_key(None);
        let auth = oidc(store, |_| {});
        let payload = b64(&claims(json!({})));
        let rs256 = format!(
            "{}.{payload}.c2ln",
            b64(&json!({"alg": "RS256", "kid": "k1"}))
        );
        let err = verify(&auth, &rs256).await.expect_err("mismatch");
        assert_eq!(
            err.to_string(),
            r#"token signed with alg RS256, but key id "k1" is an ES256 key"#
        );
        let hs256 = format!(
            "{}.{payload}.c2ln",
            b64(&json!({"alg": "HS256", "kid": "k1"}))
        );
        let err = verify(&auth, &hs256).await.expect_err("HS256");
        assert_eq!(
            err.to_string(),
            "token signed with alg HS256; only RS256 and ES256 are accepted"
        );
    }

    #[tokio::test]
    async fn what_the_key_store_answers_is_passed_on() {
        let (key, store) = es256_key(None);
        let auth = oidc(store, |_| {});
        let no_kid = sign_es256(&key, None, Some("at+jwt"), &claims(json!({})));
        assert_eq!(verify(&auth, &no_kid).await, Err(AuthError::MissingKeyId));
        let unknown = sign_es256(&key, Some("k2"), Some("at+jwt"), &claims(json!({})));
        let err = verify(&auth, &unknown).await.expect_err("unknown kid");
        assert_eq!(
            err.to_string(),
            r#"token key id "k2" is not in the issuer's JWKS (refreshed 0 s ago)"#
        );
        assert!(!err.is_upstream());

        let down = AuthError::Upstream("GET https://issuer.example/jwks: answered HTTP 500".into());
        let (key, store) = es256_key(Some(down.clone()));
        let auth = oidc(store, |_| {});
        let token = sign_es256(&key, Some("k1"), Some("at+jwt"), &claims(json!({})));
        let err = verify(&auth, &token).await.expect_err("issuer down");
        assert_eq!(err, down);
        assert!(err.is_upstream());
    }

    #[tokio::test]
    async fn oidc_tokens_must_be_access_tokens() {
        let (key, store) = es256_key(None);
        let strict = oidc(Arc::clone(&store), |_| {});
        let lenient = oidc(store, |c| c.require_access_token_type = false);
        let id_token = sign_es256(&key, Some("k1"), Some("JWT"), &claims(json!({})));
        let err = verify(&strict, &id_token).await.expect_err("ID token");
        assert!(matches!(err, AuthError::NotAnAccessToken(_)), "{err:?}");
        assert!(verify(&lenient, &id_token).await.is_ok());
        // Cognito marks its access tokens in a claim instead of the header.
        let cognito = sign_es256(
            &key,
            Some("k1"),
            None,
            &claims(json!({"token_use": "access"})),
        );
        assert!(verify(&strict, &cognito).await.is_ok());
        // A token that calls itself something else is refused even with the check off.
        let cognito_id = sign_es256(&key, Some("k1"), None, &claims(json!({"token_use": "id"})));
        let err = verify(&lenient, &cognito_id)
            .await
            .expect_err("Cognito ID token");
        assert!(err.to_string().starts_with(r#"token_use is "id""#), "{err}");
    }
}
