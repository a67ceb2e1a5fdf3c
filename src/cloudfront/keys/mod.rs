//! Key material: CloudFront key-pair ids, private keys that sign, public keys that verify, and
//! the key ring that lets a new key be rotated in while old links still verify.
//!
//! Parsing only: reading files (and refusing loose permissions) lives in `crate::keyfile`.
//! Nothing here implements `Display` or `Debug` for key bytes; `Debug` shows the algorithm only.

mod algorithm;
mod key_pair_id;
mod private;
mod public;
mod ring;

pub use algorithm::{HashAlgorithm, KeyAlgorithm};
pub use key_pair_id::KeyPairId;
pub use private::PrivateKey;
pub use public::PublicKey;
pub use ring::{KeyRing, SigningKey, TrustedKeys};

/// Why key material or an id was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Not PEM we understand.
    #[error("is not a PEM {kind} key (expected {expected})")]
    NotPem {
        /// "private" or "public".
        kind: &'static str,
        /// The formats accepted.
        expected: &'static str,
    },
    /// An encrypted private key; the service cannot prompt for a passphrase.
    #[error(
        "is encrypted with a passphrase; store it decrypted with mode 0600 (openssl pkey -in KEY -out KEY.plain.pem)"
    )]
    Encrypted,
    /// A key CloudFront would not accept.
    #[error("is {0}; CloudFront key groups accept RSA-2048 and ECDSA P-256 keys only")]
    Unsupported(String),
    /// The RSA key fails its consistency check.
    #[error("is an inconsistent RSA key ({0})")]
    Inconsistent(String),
    /// A key-pair id with characters that cannot sit unescaped in a query string.
    #[error(
        "key-pair id {0:?} is not valid: use the ID CloudFront shows for the public key (letters and digits, e.g. K2JCJMDEHXQW5F)"
    )]
    BadKeyPairId(String),
    /// The crypto library failed at signing; not a user error.
    #[error("signing failed inside OpenSSL: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
