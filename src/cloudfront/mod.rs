//! The CloudFront signing core: policies, keys, CloudFront base64, signed URLs, signed cookies,
//! and a verifier that explains a rejection.
//!
//! Pure: no I/O and no clock. Every function that cares about time takes `now`, so any moment
//! can be tested, and the same inputs give the same bytes on every replica (for RSA).
#![warn(missing_docs)]

pub mod base64;
pub mod cookies;
mod json;
pub mod keys;
pub mod policy;
pub mod signed_url;
pub mod verify;
mod wildcard;

pub use cookies::{
    CookieAttributes, CookieError, SameSite, SignedCookie, SignedCookies, canned_cookies,
};
pub use keys::{
    HashAlgorithm, KeyAlgorithm, KeyError, KeyPairId, KeyRing, PrivateKey, PublicKey, SigningKey,
    TrustedKeys,
};
pub use policy::{BaseUrl, CannedPolicy, Cidr, CustomPolicy, Epoch, PolicyError, Resource};
pub use signed_url::{SignedPolicy, SignedUrl, sign_canned};
pub use verify::{Grant, PolicyKind, Rejection, Request, Source, verify};

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The policy could not be built.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The key could not sign.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A signed policy was applied to a URL its resource does not match.
    #[error("URL {url:?} is outside the policy resource {resource:?}; CloudFront would refuse it")]
    ResourceMismatch {
        /// The URL.
        url: String,
        /// The pattern it failed to match.
        resource: String,
    },
}
