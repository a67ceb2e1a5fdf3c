//! Public keys: the halves that verify, as CloudFront's key groups hold them.

use std::fmt;

use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Rsa;
use openssl::sign::Verifier;

use super::algorithm::check_supported;
use super::{HashAlgorithm, KeyAlgorithm, KeyError, contains};

/// A public key that verifies signatures.
#[derive(Clone)]
pub struct PublicKey {
    pub(super) algorithm: KeyAlgorithm,
    pub(super) pkey: PKey<Public>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.algorithm)
    }
}

impl PublicKey {
    /// Parses a PEM public key: SubjectPublicKeyInfo (`PUBLIC KEY`, what CloudFront takes) or
    /// PKCS#1 (`RSA PUBLIC KEY`).
    pub fn from_pem(pem: &[u8]) -> Result<PublicKey, KeyError> {
        let not_pem = || KeyError::NotPem {
            kind: "public",
            expected: "PUBLIC KEY or RSA PUBLIC KEY",
        };
        let pkey = if contains(pem, b"-----BEGIN PUBLIC KEY-----") {
            PKey::public_key_from_pem(pem).map_err(|_| not_pem())?
        } else if contains(pem, b"-----BEGIN RSA PUBLIC KEY-----") {
            let rsa = Rsa::public_key_from_pem_pkcs1(pem).map_err(|_| not_pem())?;
            PKey::from_rsa(rsa)?
        } else {
            return Err(not_pem());
        };
        let rsa_bits = (pkey.id() == Id::RSA).then(|| pkey.bits());
        let curve = pkey.ec_key().ok().and_then(|k| k.group().curve_name());
        let algorithm = check_supported(pkey.id(), rsa_bits, curve)?;
        Ok(PublicKey { algorithm, pkey })
    }

    /// The algorithm of the key.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// Whether `signature` is a valid signature of `message`. Any decoding failure is `false`.
    pub fn verify(&self, hash: HashAlgorithm, message: &[u8], signature: &[u8]) -> bool {
        Verifier::new(hash.digest(), &self.pkey)
            .and_then(|mut v| v.verify_oneshot(signature, message))
            .unwrap_or(false)
    }

    /// SubjectPublicKeyInfo PEM: what CloudFront's `PublicKey` resource takes.
    pub fn to_pem(&self) -> Result<Vec<u8>, KeyError> {
        Ok(self.pkey.public_key_to_pem()?)
    }

    /// A short fingerprint (first 8 bytes of the SHA-256 of the DER key, hex) that names a key in
    /// logs and errors without revealing anything.
    pub fn fingerprint(&self) -> String {
        let der = self.pkey.public_key_to_der().unwrap_or_default();
        openssl::sha::sha256(&der)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
