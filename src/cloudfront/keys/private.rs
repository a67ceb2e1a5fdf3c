//! Private keys: parsing, generation, and the signing itself.

use std::fmt;

use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::{Padding, Rsa};

use super::algorithm::check_supported;
use super::{HashAlgorithm, KeyAlgorithm, KeyError, PublicKey, contains};

/// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-1 (RFC 8017, section 9.2, note 1).
const SHA1_DIGEST_INFO: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];
/// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256.
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

#[derive(Clone)]
enum PrivateInner {
    // RSA_private_encrypt over a DigestInfo is RSA_sign itself, minus EVP's per-call context
    // set-up and provider fetches; those cost ~5% of an RSA-2048 signature on this hardware.
    Rsa(Rsa<Private>),
    // ECDSA_do_sign on a pre-computed digest skips EVP's per-call provider fetches, which at
    // ~20 µs per P-256 signature is the difference between 0.85x and ~1x of `openssl speed`.
    Ec(EcKey<Private>),
}

/// A private key that signs CloudFront policies.
#[derive(Clone)]
pub struct PrivateKey {
    inner: PrivateInner,
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
        if contains(pem, b"ENCRYPTED") {
            return Err(KeyError::Encrypted);
        }
        let not_pem = || KeyError::NotPem {
            kind: "private",
            expected: "PKCS#1 RSA PRIVATE KEY, PKCS#8 PRIVATE KEY or EC PRIVATE KEY",
        };
        if !contains(pem, b"-----BEGIN ") || !contains(pem, b"PRIVATE KEY-----") {
            return Err(not_pem());
        }
        let pkey = PKey::private_key_from_pem(pem).map_err(|_| not_pem())?;
        Self::from_pkey(pkey)
    }

    fn from_pkey(pkey: PKey<Private>) -> Result<PrivateKey, KeyError> {
        let rsa_bits = (pkey.id() == Id::RSA).then(|| pkey.bits());
        let ec = pkey.ec_key().ok();
        let curve = ec.as_ref().and_then(|k| k.group().curve_name());
        match check_supported(pkey.id(), rsa_bits, curve)? {
            KeyAlgorithm::Rsa2048 => {
                let rsa = pkey.rsa()?;
                match rsa.check_key() {
                    Ok(true) => Ok(PrivateKey {
                        inner: PrivateInner::Rsa(rsa),
                    }),
                    Ok(false) => Err(KeyError::Inconsistent("check failed".into())),
                    Err(e) => Err(KeyError::Inconsistent(e.to_string())),
                }
            }
            KeyAlgorithm::EcdsaP256 => {
                let ec = ec.ok_or_else(|| KeyError::Unsupported("an unreadable EC key".into()))?;
                ec.check_key()
                    .map_err(|e| KeyError::Inconsistent(e.to_string()))?;
                Ok(PrivateKey {
                    inner: PrivateInner::Ec(ec),
                })
            }
        }
    }

    /// Generates a new key.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<PrivateKey, KeyError> {
        match algorithm {
            KeyAlgorithm::Rsa2048 => Self::from_pkey(PKey::from_rsa(Rsa::generate(2048)?)?),
            KeyAlgorithm::EcdsaP256 => {
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
                Self::from_pkey(PKey::from_ec_key(EcKey::generate(&group)?)?)
            }
        }
    }

    /// Which algorithm this key signs with.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self.inner {
            PrivateInner::Rsa(_) => KeyAlgorithm::Rsa2048,
            PrivateInner::Ec(_) => KeyAlgorithm::EcdsaP256,
        }
    }

    /// Signs `message`: RSA PKCS#1 v1.5, or ECDSA with a DER signature.
    pub fn sign(&self, hash: HashAlgorithm, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.inner {
            PrivateInner::Rsa(rsa) => {
                // DER DigestInfo = fixed algorithm prefix || digest (RFC 8017, section 9.2 note 1).
                let mut digest_info = Vec::with_capacity(51);
                match hash {
                    HashAlgorithm::Sha1 => {
                        digest_info.extend_from_slice(&SHA1_DIGEST_INFO);
                        digest_info.extend_from_slice(&openssl::sha::sha1(message));
                    }
                    HashAlgorithm::Sha256 => {
                        digest_info.extend_from_slice(&SHA256_DIGEST_INFO);
                        digest_info.extend_from_slice(&openssl::sha::sha256(message));
                    }
                }
                let mut signature = vec![0; rsa.size() as usize];
                let n = rsa.private_encrypt(&digest_info, &mut signature, Padding::PKCS1)?;
                signature.truncate(n);
                Ok(signature)
            }
            PrivateInner::Ec(ec) => {
                let sig = match hash {
                    HashAlgorithm::Sha1 => EcdsaSig::sign(&openssl::sha::sha1(message), ec)?,
                    HashAlgorithm::Sha256 => EcdsaSig::sign(&openssl::sha::sha256(message), ec)?,
                };
                Ok(sig.to_der()?)
            }
        }
    }

    /// The public half.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        let der = match &self.inner {
            PrivateInner::Rsa(rsa) => rsa.public_key_to_der()?,
            PrivateInner::Ec(ec) => PKey::from_ec_key(ec.clone())?.public_key_to_der()?,
        };
        let pkey = PKey::public_key_from_der(&der)?;
        Ok(PublicKey {
            algorithm: self.algorithm(),
            pkey,
        })
    }

    /// The key as PKCS#8 PEM, for writing to a 0600 file. Never log this.
    pub fn to_pkcs8_pem(&self) -> Result<Vec<u8>, KeyError> {
        Ok(match &self.inner {
            PrivateInner::Rsa(rsa) => PKey::from_rsa(rsa.clone())?.private_key_to_pem_pkcs8()?,
            PrivateInner::Ec(ec) => PKey::from_ec_key(ec.clone())?.private_key_to_pem_pkcs8()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_through_pem() {
        for alg in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
            let key = PrivateKey::generate(alg).unwrap();
            let again = PrivateKey::from_pem(&key.to_pkcs8_pem().unwrap()).unwrap();
            assert_eq!(again.algorithm(), alg);
            let public = PublicKey::from_pem(&key.public_key().unwrap().to_pem().unwrap()).unwrap();
            for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
                let sig = again.sign(hash, b"policy").unwrap();
                assert!(public.verify(hash, b"policy", &sig));
                assert!(!public.verify(hash, b"Policy", &sig));
                let other = if hash == HashAlgorithm::Sha1 {
                    HashAlgorithm::Sha256
                } else {
                    HashAlgorithm::Sha1
                };
                assert!(!public.verify(other, b"policy", &sig));
            }
        }
    }

    #[test]
    fn pkcs1_rsa_keys_are_read() {
        let rsa = Rsa::generate(2048).unwrap();
        let key = PrivateKey::from_pem(&rsa.private_key_to_pem().unwrap()).unwrap();
        assert_eq!(key.algorithm(), KeyAlgorithm::Rsa2048);
        let public = PublicKey::from_pem(&rsa.public_key_to_pem_pkcs1().unwrap()).unwrap();
        let sig = key.sign(HashAlgorithm::Sha1, b"m").unwrap();
        assert!(public.verify(HashAlgorithm::Sha1, b"m", &sig));
    }

    #[test]
    fn refuses_what_cloudfront_refuses() {
        let rsa1024 = Rsa::generate(1024).unwrap().private_key_to_pem().unwrap();
        let err = PrivateKey::from_pem(&rsa1024).unwrap_err().to_string();
        assert!(err.contains("RSA-1024"), "{err}");
        let p384 = EcKey::generate(&EcGroup::from_curve_name(Nid::SECP384R1).unwrap()).unwrap();
        let err = PrivateKey::from_pem(&p384.private_key_to_pem().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("secp384r1"), "{err}");
        let encrypted = Rsa::generate(2048)
            .unwrap()
            .private_key_to_pem_passphrase(openssl::symm::Cipher::aes_128_cbc(), b"pw")
            .unwrap();
        assert!(matches!(
            PrivateKey::from_pem(&encrypted),
            Err(KeyError::Encrypted)
        ));
        assert!(matches!(
            PrivateKey::from_pem(b"hello"),
            Err(KeyError::NotPem { .. })
        ));
        assert!(matches!(
            PublicKey::from_pem(b"-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n"),
            Err(KeyError::NotPem { .. })
        ));
    }

    #[test]
    fn debug_never_shows_material() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        assert_eq!(
            format!("{key:?}"),
            "PrivateKey(ECDSA P-256, material not shown)"
        );
    }
}
