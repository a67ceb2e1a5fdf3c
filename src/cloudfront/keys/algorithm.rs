//! The algorithms: the digest signed over a policy, and the two key types CloudFront accepts.

use std::fmt;
use std::str::FromStr;

use super::KeyError;

/// The digest signed over the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HashAlgorithm {
    /// SHA-1: CloudFront's default, and what every AWS SDK signs with.
    #[default]
    Sha1,
    /// SHA-256: announced with `Hash-Algorithm=SHA256` / `CloudFront-Hash-Algorithm`.
    Sha256,
}

impl HashAlgorithm {
    /// The value of the `Hash-Algorithm` parameter.
    pub fn parameter(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "SHA1",
            HashAlgorithm::Sha256 => "SHA256",
        }
    }

    /// Reads the `Hash-Algorithm` parameter as CloudFront spells it.
    pub fn from_parameter(s: &str) -> Option<HashAlgorithm> {
        match s {
            "SHA1" => Some(HashAlgorithm::Sha1),
            "SHA256" => Some(HashAlgorithm::Sha256),
            _ => None,
        }
    }

    /// The DER prefix of the PKCS#1 v1.5 DigestInfo for this hash (RFC 8017, section 9.2,
    /// note 1): DigestInfo = prefix || digest. Both backends sign exactly this.
    pub(super) fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlgorithm::Sha1 => &SHA1_DIGEST_INFO,
            HashAlgorithm::Sha256 => &SHA256_DIGEST_INFO,
        }
    }
}

impl FromStr for HashAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sha1" => Ok(HashAlgorithm::Sha1),
            "sha256" => Ok(HashAlgorithm::Sha256),
            _ => Err(format!("unknown hash {s:?}: use sha1 or sha256")),
        }
    }
}

/// The two key types CloudFront accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSA with a 2048-bit modulus, PKCS#1 v1.5 signatures.
    Rsa2048,
    /// ECDSA on P-256, DER-encoded signatures.
    EcdsaP256,
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyAlgorithm::Rsa2048 => "RSA-2048",
            KeyAlgorithm::EcdsaP256 => "ECDSA P-256",
        })
    }
}

/// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-1.
const SHA1_DIGEST_INFO: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];
/// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256.
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// What a backend found in a key, named the same way by both, so both refuse a key with the
/// same words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Found {
    /// An RSA key and its modulus size.
    Rsa(u32),
    /// An EC key on the curve of this OpenSSL short name ("prime256v1", "secp384r1", ...).
    Ec(String),
    /// Any other key type, by name ("Ed25519", "DSA", ...).
    Other(String),
}

/// Which of CloudFront's two key types `found` is, or why it is neither.
pub(super) fn check_supported(found: Found) -> Result<KeyAlgorithm, KeyError> {
    match found {
        Found::Rsa(2048) => Ok(KeyAlgorithm::Rsa2048),
        Found::Rsa(bits) => Err(KeyError::Unsupported(format!("an RSA-{bits} key"))),
        Found::Ec(curve) if curve == "prime256v1" => Ok(KeyAlgorithm::EcdsaP256),
        Found::Ec(curve) => Err(KeyError::Unsupported(format!("an EC key on curve {curve}"))),
        Found::Other(name) => Err(KeyError::Unsupported(format!("a key of type {name}"))),
    }
}
