//! Private keys: parsing, generation, and the signing itself (through the compiled backend).

use std::fmt;

use super::backend::{Active, Backend};
use super::{HashAlgorithm, KeyAlgorithm, KeyError, PublicKey, contains, not_pem_private, pem};

/// A private key that signs CloudFront policies.
#[derive(Clone)]
pub struct PrivateKey {
    inner: <Active as Backend>::Private,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, material not shown)", self.algorithm())
    }
}

impl PrivateKey {
    /// Parses a PEM private key: PKCS#1 (`RSA PRIVATE KEY`), PKCS#8 (`PRIVATE KEY`) or SEC1
    /// (`EC PRIVATE KEY`).
    pub fn from_pem(pem: &[u8]) -> Result<PrivateKey, KeyError> {
        Ok(PrivateKey {
            inner: parse::<Active>(pem)?,
        })
    }

    /// Generates a new key.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<PrivateKey, KeyError> {
        Ok(PrivateKey {
            inner: Active::generate(algorithm)?,
        })
    }

    /// Which algorithm this key signs with.
    pub fn algorithm(&self) -> KeyAlgorithm {
        Active::algorithm(&self.inner)
    }

    /// Signs `message`: RSA PKCS#1 v1.5, or ECDSA with a DER signature.
    pub fn sign(&self, hash: HashAlgorithm, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        Active::sign(&self.inner, hash, message)
    }

    /// The public half.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        Ok(PublicKey::from_inner(
            self.algorithm(),
            Active::public_of(&self.inner)?,
        ))
    }

    /// The key as PKCS#8 PEM, for writing to a 0600 file. Never log this.
    pub fn to_pkcs8_pem(&self) -> Result<Vec<u8>, KeyError> {
        let der = Active::private_to_pkcs8_der(&self.inner)?;
        Ok(pem("PRIVATE KEY", &der))
    }
}

/// The refusals both backends share, then the backend's own parse.
pub(super) fn parse<B: Backend>(pem: &[u8]) -> Result<B::Private, KeyError> {
    if contains(pem, b"ENCRYPTED") {
        return Err(KeyError::Encrypted);
    }
    if !contains(pem, b"-----BEGIN ") || !contains(pem, b"PRIVATE KEY-----") {
        return Err(not_pem_private());
    }
    B::private_from_pem(pem)
}
