//! The OIDC issuer's signing keys, behind [`KeyStore`] so that the authenticator asks for a key
//! by its `kid` and a test can answer in the store's place. The one real store is
//! [`OidcKeyStore`] (`impl.rs`: discovery, the JWKS and the cache that holds them; see the module
//! documentation of [`crate::auth`] for the rules: lazy first load, rate-limited refresh on an
//! unknown `kid`, one fetch at a time, a maximum age with a background refresh before it).
//! `load_jwks.rs` fetches a key set and keeps the keys this service can use.

mod r#impl;
mod load_jwks;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, DecodingKey};

use super::error::AuthError;

pub(crate) use self::r#impl::OidcKeyStore;

/// One verification key from the issuer's JWKS.
pub(crate) struct IssuerKey {
    /// The one algorithm this key verifies.
    pub(crate) algorithm: Algorithm,
    /// The key.
    pub(crate) key: DecodingKey,
}

/// Where the authenticator gets the key a token's `kid` names. `Debug` so the authenticator's
/// own `Debug` can show the store (which must show no key material).
#[async_trait]
pub(crate) trait KeyStore: fmt::Debug + Send + Sync {
    /// The key named `kid` at `now` (epoch seconds on the caller's clock, which the store measures
    /// its ages on): [`AuthError::UnknownKeyId`] when the issuer's set has no such key, an upstream
    /// error ([`AuthError::is_upstream`]) when the issuer could not be asked.
    async fn key(&self, kid: &str, now: u64) -> Result<Arc<IssuerKey>, AuthError>;
}
