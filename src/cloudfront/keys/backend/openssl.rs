//! The OpenSSL backend (feature `openssl`, the default).

use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::Verifier;

use super::super::{
    Found, HashAlgorithm, KeyAlgorithm, KeyError, check_supported, contains, not_pem_private,
    not_pem_public,
};
use super::{Backend, crypto_error};

/// Signs through OpenSSL.
#[derive(Debug)]
pub(in super::super) enum OpenSsl {}

#[derive(Clone)]
pub(in super::super) enum PrivateInner {
    // RSA_private_encrypt over a DigestInfo is RSA_sign itself, minus EVP's per-call context
    // set-up and provider fetches; those cost ~5% of an RSA-2048 signature on this hardware.
    // OpenSSL blinds RSA private-key operations by default.
    Rsa(Rsa<Private>),
    // ECDSA_do_sign on a pre-computed digest skips EVP's per-call provider fetches, which at
    // ~20 µs per P-256 signature is the difference between 0.85x and ~1x of `openssl speed`.
    Ec(EcKey<Private>),
}

#[derive(Clone)]
pub(in super::super) struct PublicInner(PKey<Public>);

fn err(e: openssl::error::ErrorStack) -> KeyError {
    crypto_error::<OpenSsl>(e)
}

fn found<T: openssl::pkey::HasPublic>(pkey: &PKey<T>) -> Found {
    let id = pkey.id();
    if id == Id::RSA {
        return Found::Rsa(pkey.bits());
    }
    if id == Id::EC {
        let nid = pkey.ec_key().ok().and_then(|k| k.group().curve_name());
        let name = nid.and_then(|n| n.short_name().ok()).unwrap_or("unknown");
        return Found::Ec(name.to_owned());
    }
    let name = match id {
        Id::ED25519 => "Ed25519",
        Id::ED448 => "Ed448",
        Id::X25519 => "X25519",
        Id::X448 => "X448",
        Id::DSA => "DSA",
        Id::DH | Id::DHX => "DH",
        Id::RSA_PSS => "RSA-PSS",
        other => return Found::Other(format!("{other:?}")),
    };
    Found::Other(name.to_owned())
}

fn digest(hash: HashAlgorithm, message: &[u8]) -> Vec<u8> {
    match hash {
        HashAlgorithm::Sha1 => openssl::sha::sha1(message).to_vec(),
        HashAlgorithm::Sha256 => openssl::sha::sha256(message).to_vec(),
    }
}

impl OpenSsl {
    fn from_pkey(pkey: PKey<Private>) -> Result<PrivateInner, KeyError> {
        match check_supported(found(&pkey))? {
            KeyAlgorithm::Rsa2048 => {
                let rsa = pkey.rsa().map_err(err)?;
                match rsa.check_key() {
                    Ok(true) => Ok(PrivateInner::Rsa(rsa)),
                    Ok(false) => Err(KeyError::Inconsistent("check failed".into())),
                    Err(e) => Err(KeyError::Inconsistent(e.to_string())),
                }
            }
            KeyAlgorithm::EcdsaP256 => {
                let ec = pkey
                    .ec_key()
                    .map_err(|_| KeyError::Unsupported("an unreadable EC key".into()))?;
                ec.check_key()
                    .map_err(|e| KeyError::Inconsistent(e.to_string()))?;
                Ok(PrivateInner::Ec(ec))
            }
        }
    }
}

impl Backend for OpenSsl {
    const NAME: &'static str = "OpenSSL";
    type Private = PrivateInner;
    type Public = PublicInner;

    fn private_from_pem(pem: &[u8]) -> Result<PrivateInner, KeyError> {
        let pkey = PKey::private_key_from_pem(pem).map_err(|_| not_pem_private())?;
        Self::from_pkey(pkey)
    }

    fn generate(algorithm: KeyAlgorithm) -> Result<PrivateInner, KeyError> {
        let pkey = match algorithm {
            KeyAlgorithm::Rsa2048 => PKey::from_rsa(Rsa::generate(2048).map_err(err)?),
            KeyAlgorithm::EcdsaP256 => {
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(err)?;
                PKey::from_ec_key(EcKey::generate(&group).map_err(err)?)
            }
        };
        Self::from_pkey(pkey.map_err(err)?)
    }

    fn algorithm(key: &PrivateInner) -> KeyAlgorithm {
        match key {
            PrivateInner::Rsa(_) => KeyAlgorithm::Rsa2048,
            PrivateInner::Ec(_) => KeyAlgorithm::EcdsaP256,
        }
    }

    fn sign(key: &PrivateInner, hash: HashAlgorithm, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let digest = digest(hash, message);
        match key {
            PrivateInner::Rsa(rsa) => {
                let prefix = hash.digest_info_prefix();
                let mut digest_info = Vec::with_capacity(prefix.len() + digest.len());
                digest_info.extend_from_slice(prefix);
                digest_info.extend_from_slice(&digest);
                let mut signature = vec![0; rsa.size() as usize];
                let n = rsa
                    .private_encrypt(&digest_info, &mut signature, Padding::PKCS1)
                    .map_err(err)?;
                signature.truncate(n);
                Ok(signature)
            }
            PrivateInner::Ec(ec) => EcdsaSig::sign(&digest, ec)
                .and_then(|sig| sig.to_der())
                .map_err(err),
        }
    }

    fn public_of(key: &PrivateInner) -> Result<PublicInner, KeyError> {
        let der = match key {
            PrivateInner::Rsa(rsa) => rsa.public_key_to_der(),
            PrivateInner::Ec(ec) => {
                PKey::from_ec_key(ec.clone()).and_then(|pkey| pkey.public_key_to_der())
            }
        }
        .map_err(err)?;
        Ok(PublicInner(PKey::public_key_from_der(&der).map_err(err)?))
    }

    fn private_to_pkcs8_der(key: &PrivateInner) -> Result<Vec<u8>, KeyError> {
        match key {
            PrivateInner::Rsa(rsa) => PKey::from_rsa(rsa.clone()),
            PrivateInner::Ec(ec) => PKey::from_ec_key(ec.clone()),
        }
        .and_then(|pkey| pkey.private_key_to_pkcs8())
        .map_err(err)
    }

    fn public_from_pem(pem: &[u8]) -> Result<(KeyAlgorithm, PublicInner), KeyError> {
        let pkey = if contains(pem, b"-----BEGIN PUBLIC KEY-----") {
            PKey::public_key_from_pem(pem).map_err(|_| not_pem_public())?
        } else if contains(pem, b"-----BEGIN RSA PUBLIC KEY-----") {
            let rsa = Rsa::public_key_from_pem_pkcs1(pem).map_err(|_| not_pem_public())?;
            PKey::from_rsa(rsa).map_err(err)?
        } else {
            return Err(not_pem_public());
        };
        Ok((check_supported(found(&pkey))?, PublicInner(pkey)))
    }

    fn verify(key: &PublicInner, hash: HashAlgorithm, message: &[u8], signature: &[u8]) -> bool {
        let md = match hash {
            HashAlgorithm::Sha1 => MessageDigest::sha1(),
            HashAlgorithm::Sha256 => MessageDigest::sha256(),
        };
        Verifier::new(md, &key.0)
            .and_then(|mut v| v.verify_oneshot(signature, message))
            .unwrap_or(false)
    }

    fn public_to_der(key: &PublicInner) -> Result<Vec<u8>, KeyError> {
        key.0.public_key_to_der().map_err(err)
    }
}
