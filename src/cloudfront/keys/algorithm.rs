//! The algorithms: the digest signed over a policy, and the two key types CloudFront accepts.

use std::fmt;
use std::str::FromStr;

use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::Id;

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

    pub(super) fn digest(self) -> MessageDigest {
        match self {
            HashAlgorithm::Sha1 => MessageDigest::sha1(),
            HashAlgorithm::Sha256 => MessageDigest::sha256(),
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

pub(super) fn check_supported(
    pkey_id: Id,
    rsa_bits: Option<u32>,
    curve: Option<Nid>,
) -> Result<KeyAlgorithm, KeyError> {
    match (pkey_id, rsa_bits, curve) {
        (Id::RSA, Some(2048), _) => Ok(KeyAlgorithm::Rsa2048),
        (Id::RSA, Some(bits), _) => Err(KeyError::Unsupported(format!("an RSA-{bits} key"))),
        (Id::EC, _, Some(Nid::X9_62_PRIME256V1)) => Ok(KeyAlgorithm::EcdsaP256),
        (Id::EC, _, Some(nid)) => Err(KeyError::Unsupported(format!(
            "an EC key on curve {}",
            nid.short_name().unwrap_or("unknown")
        ))),
        (id, _, _) => Err(KeyError::Unsupported(format!("a key of type {id:?}"))),
    }
}
