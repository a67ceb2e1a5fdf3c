//! Who is calling: bearer JWTs, verified with a shared HS256 secret (the dev default) or against
//! an OIDC issuer's JWKS (Cognito, Okta, Auth0, Keycloak).
//!
//! Time is passed in: [`Authenticator::verify`] checks `exp` and `nbf` against the caller's `now`,
//! so any moment can be tested. jsonwebtoken checks only the signature here (its own time, issuer
//! and audience checks are off); every claim is checked below, so each rejection says what is
//! wrong in words a person can act on.
//!
//! OIDC keys are fetched lazily (the service starts while the issuer is down), cached by `kid`
//! and refreshed when a token names an unknown `kid`: at most once per
//! `jwks_min_refresh_interval` (the first load does not count), one fetch at a time, and requests
//! that arrive during a fetch wait for its answer instead of starting their own. After a failed
//! fetch the next waits at least 5 s (or the interval, if shorter); meanwhile requests that need
//! a fetch get the same upstream error at once.
//!
//! The key set also has a maximum age (`jwks_max_age`, 600 s by default, as `jose`'s
//! `createRemoteJWKSet`), so a key the issuer removed stops being trusted even if no token ever
//! names an unknown `kid`. Once the set is three quarters of that old, a request starts one
//! refresh in the background and is answered from the set it has; a refresh that fails keeps the
//! set until the maximum age, after which tokens are refused as upstream failures (fail closed)
//! until the issuer answers again. These ages are measured on the `now` each call passes in.
//!
//! OIDC tokens must be access tokens: header `typ` `at+jwt` (RFC 9068 §4), or Cognito's
//! `token_use: access`; an ID token names the same audience when the audience is the client id,
//! and must not open the API. `require_access_token_type = false` is for issuers that mark
//! neither. No token may live longer than `max_token_lifetime_secs` from now.
//!
//! Identities: see [`Identity::user_id`]. Issuers are compared and stored in one spelling,
//! [`normalise_issuer`].
//!
//! Nothing here puts a token, the secret or key material in an error message or a log line.
#![warn(missing_docs)]

mod authenticator;
mod bearer;
mod claims;
mod dev_token;
mod error;
mod header;
mod identity;
mod keystore;
mod settings;
#[cfg(test)]
mod test_support;

pub use self::authenticator::Authenticator;
pub use self::bearer::bearer_token;
pub use self::dev_token::{DEV_AUDIENCE, DEV_ISSUER, issue_dev_token, issue_hs256};
pub use self::error::AuthError;
pub use self::identity::{Identity, normalise_issuer, subject_key};
pub use self::settings::{
    AuthMode, AuthSettings, DEFAULT_HTTP_TIMEOUT, DEFAULT_JWKS_MAX_AGE,
    DEFAULT_JWKS_MIN_REFRESH_INTERVAL, DEFAULT_LEEWAY_SECS, DEFAULT_MAX_TOKEN_LIFETIME_SECS,
    MIN_HS256_SECRET_BYTES,
};
