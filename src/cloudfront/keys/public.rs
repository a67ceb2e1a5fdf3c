//! Public keys: the halves that verify, as CloudFront's key groups hold them.

use std::fmt;

use sha2::{Digest as _, Sha256};

use super::backend::{Active, Backend};
use super::{HashAlgorithm, KeyAlgorithm, KeyError, pem};

/// A public key that verifies signatures.
#[derive(Clone)]
pub struct PublicKey {
    algorithm: KeyAlgorithm,
    inner: <Active as Backend>::Public,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.algorithm)
    }
}

impl PublicKey {
    pub(super) fn from_inner(
        algorithm: KeyAlgorithm,
        inner: <Active as Backend>::Public,
    ) -> PublicKey {
        PublicKey { algorithm, inner }
    }

    /// Parses a PEM public key: SubjectPublicKeyInfo (`PUBLIC KEY`, what CloudFront takes) or
    /// PKCS#1 (`RSA PUBLIC KEY`).
    pub fn from_pem(pem: &[u8]) -> Result<PublicKey, KeyError> {
        let (algorithm, inner) = Active::public_from_pem(pem)?;
        Ok(PublicKey { algorithm, inner })
    }

    /// The algorithm of the key.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// Whether `signature` is a valid signature of `message`. Any decoding failure is `false`.
    pub fn verify(&self, hash: HashAlgorithm, message: &[u8], signature: &[u8]) -> bool {
        Active::verify(&self.inner, hash, message, signature)
    }

    /// SubjectPublicKeyInfo PEM: what CloudFront's `PublicKey` resource takes.
    pub fn to_pem(&self) -> Result<Vec<u8>, KeyError> {
        Ok(pem("PUBLIC KEY", &Active::public_to_der(&self.inner)?))
    }

    /// A short fingerprint (first 8 bytes of the SHA-256 of the DER key, hex) that names a key in
    /// logs and errors without revealing anything.
    pub fn fingerprint(&self) -> String {
        fingerprint_of_der(&Active::public_to_der(&self.inner).unwrap_or_default())
    }
}

pub(super) fn fingerprint_of_der(der: &[u8]) -> String {
    Sha256::digest(der)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
