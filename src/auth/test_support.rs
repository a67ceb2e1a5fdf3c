//! What the unit tests of several subjects share: an HS256 authenticator, a signer for its
//! secret, and a set of claims that passes every check until a test changes one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::{AuthError, AuthSettings, Authenticator, Identity};

pub(super) const SECRET: &[u8] = b"a dev secret that is at least 32 bytes long";
pub(super) const NOW: u64 = 1_800_000_000;
pub(super) const ISSUER: &str = "https://issuer.example";

pub(super) fn authenticator(configure: impl FnOnce(&mut AuthSettings)) -> Authenticator {
    let mut config = AuthSettings::hs256(SECRET);
    configure(&mut config);
    Authenticator::new(config).expect("config")
}

pub(super) fn sign_with(secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

pub(super) fn sign(claims: Value) -> String {
    sign_with(SECRET, &claims)
}

pub(super) fn claims(extra: Value) -> Value {
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

pub(super) async fn verify(auth: &Authenticator, token: &str) -> Result<Identity, AuthError> {
    auth.verify(token, NOW).await
}

pub(super) fn b64(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(json.to_string())
}
