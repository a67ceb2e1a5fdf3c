//! The JOSE header of a token, read before its signature is checked: the algorithm (refused
//! unless the mode accepts it, `none` included), the key id and the type.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::Value;

use super::error::{AuthError, shown};

/// A longer token is refused before any decoding.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The JOSE header, read before the signature is checked so the algorithm and key can be chosen
/// (and refused) with a clear message. jsonwebtoken's own `Header` cannot hold `alg: none`.
#[derive(Deserialize)]
pub(super) struct TokenHeader {
    alg: Value,
    #[serde(default)]
    pub(super) kid: Option<String>,
    #[serde(default)]
    pub(super) typ: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
}

impl TokenHeader {
    pub(super) fn parse(token: &str) -> Result<TokenHeader, AuthError> {
        let malformed = |why: &str| AuthError::Malformed(why.to_owned());
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed(format!(
                "it is {} bytes; at most {MAX_TOKEN_BYTES} are accepted",
                token.len()
            )));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(_), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(
                "a JWT has three base64url parts separated by '.'",
            ));
        };
        let header = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| malformed("the header is not base64url"))?;
        let header: TokenHeader = serde_json::from_slice(&header).map_err(|_| {
            malformed(
                "the header is not a JSON object with \"alg\" (and a string \"kid\" and \"typ\", \
                 if any)",
            )
        })?;
        if header.crit.is_some() {
            return Err(malformed(
                "the header lists critical extensions (crit), which this service does not support",
            ));
        }
        Ok(header)
    }

    pub(super) fn algorithm(
        &self,
        accepted: &'static [&'static str],
    ) -> Result<Algorithm, AuthError> {
        let refused = |alg: String| AuthError::AlgorithmNotAccepted { alg, accepted };
        let alg = self
            .alg
            .as_str()
            .ok_or_else(|| refused("(not a string)".to_owned()))?;
        if !accepted.contains(&alg) {
            return Err(refused(shown(alg)));
        }
        match alg {
            "HS256" => Ok(Algorithm::HS256),
            "RS256" => Ok(Algorithm::RS256),
            "ES256" => Ok(Algorithm::ES256),
            _ => Err(refused(shown(alg))),
        }
    }
}

pub(super) fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        _ => "unsupported",
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    use super::MAX_TOKEN_BYTES;
    use crate::auth::AuthError;
    use crate::auth::test_support::{SECRET, authenticator, b64, claims, sign, verify};

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
}
