//! Key material: CloudFront key-pair ids, private keys that sign, public keys that verify, and
//! the key ring that lets a new key be rotated in while old links still verify.
//!
//! Parsing only: reading files (and refusing loose permissions) lives in `crate::keyfile`.
//! Nothing here implements `Display` or `Debug` for key bytes; `Debug` shows the algorithm only.
//!
//! The crypto itself is one of two backends (`backend/`), chosen at build time: OpenSSL by
//! default, the pure-Rust crates with the feature `rust-crypto` (which wins when both are on).
//! Only `backend/` knows which; every type here looks the same either way.

mod algorithm;
mod backend;
mod key_pair_id;
mod private;
mod public;
mod ring;
#[cfg(test)]
mod tests;

use algorithm::{Found, check_supported};
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
    /// The crypto library failed; not a user error.
    #[error("key operation failed inside {backend}: {message}")]
    Crypto {
        /// The backend compiled in: "OpenSSL" or "RustCrypto".
        backend: &'static str,
        /// The library's own words.
        message: String,
    },
}

/// The name of the backend that signs in this build ("OpenSSL" or "RustCrypto"), for logs and
/// `mediagate --version`-style reports.
pub fn backend_name() -> &'static str {
    backend::active_name()
}

fn not_pem_private() -> KeyError {
    KeyError::NotPem {
        kind: "private",
        expected: "PKCS#1 RSA PRIVATE KEY, PKCS#8 PRIVATE KEY or EC PRIVATE KEY",
    }
}

fn not_pem_public() -> KeyError {
    KeyError::NotPem {
        kind: "public",
        expected: "PUBLIC KEY or RSA PUBLIC KEY",
    }
}

/// `der` as PEM the way OpenSSL writes it: 64 base64 characters a line, LF line ends.
fn pem(label: &str, der: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out.into_bytes()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
