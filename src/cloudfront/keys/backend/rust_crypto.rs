//! The pure-Rust backend (feature `rust-crypto`): `rsa` (PKCS#1 v1.5, blinded), `sha1`, `sha2`,
//! `p256`. No C, so a static binary needs no OpenSSL.

use p256::ecdsa::signature::hazmat::{PrehashVerifier, RandomizedPrehashSigner};
use p256::ecdsa::{Signature, SigningKey as EcSigningKey, VerifyingKey};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::der::{Decode, pem};
use rsa::pkcs8::spki::SubjectPublicKeyInfoRef;
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, ObjectIdentifier,
    PrivateKeyInfo,
};
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha1::Digest as _;

use super::super::{
    Found, HashAlgorithm, KeyAlgorithm, KeyError, check_supported, not_pem_private, not_pem_public,
};
use super::{Backend, crypto_error};

/// Signs with the RustCrypto crates.
#[derive(Debug)]
pub(in super::super) enum RustCrypto {}

#[derive(Clone)]
pub(in super::super) enum PrivateInner {
    // Boxed: an RSA key with its CRT values is ~1 KiB, a P-256 key 32 bytes.
    Rsa(Box<RsaPrivateKey>),
    Ec(EcSigningKey),
}

#[derive(Clone)]
pub(in super::super) enum PublicInner {
    Rsa(RsaPublicKey),
    Ec(VerifyingKey),
}

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// What OpenSSL calls a curve (its short names) or a key type that is neither RSA nor EC, so
/// both backends refuse a key in the same words; the dotted OID for one not listed.
fn name_of(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.10045.3.1.7" => "prime256v1",
        "1.2.840.10045.3.1.1" => "prime192v1",
        "1.3.132.0.33" => "secp224r1",
        "1.3.132.0.34" => "secp384r1",
        "1.3.132.0.35" => "secp521r1",
        "1.3.132.0.10" => "secp256k1",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.3.1" | "1.2.840.10046.2.1" => "DH",
        "1.2.840.113549.1.1.10" => "RSA-PSS",
        other => return other.to_owned(),
    }
    .to_owned()
}

fn curve(oid: Option<ObjectIdentifier>) -> Found {
    Found::Ec(oid.map_or_else(|| "unknown".to_owned(), name_of))
}

fn rsa_bits(key: &impl PublicKeyParts) -> u32 {
    u32::try_from(key.n().bits()).unwrap_or(u32::MAX)
}

/// The first PEM block in `text` whose label `wanted` accepts, as (label, DER). Text around the
/// blocks and other blocks (an `EC PARAMETERS` block before `openssl ecparam -genkey`'s key) are
/// skipped, as OpenSSL skips them.
fn pem_block(text: &[u8], wanted: impl Fn(&str) -> bool) -> Option<(String, Vec<u8>)> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let mut rest = text;
    while let Some(start) = rest.windows(BEGIN.len()).position(|w| w == BEGIN) {
        let block = &rest[start..];
        let after = &block[BEGIN.len()..];
        let label_len = after.windows(5).position(|w| w == b"-----")?;
        let label = std::str::from_utf8(&after[..label_len]).ok()?;
        let end = format!("-----END {label}-----");
        let end_at = block.windows(end.len()).position(|w| w == end.as_bytes())? + end.len();
        if wanted(label) {
            let (label, der) = pem::decode_vec(&block[..end_at]).ok()?;
            return Some((label.to_owned(), der));
        }
        rest = &block[end_at..];
    }
    None
}

fn checked_rsa(key: RsaPrivateKey) -> Result<PrivateInner, KeyError> {
    check_supported(Found::Rsa(rsa_bits(&key)))?;
    key.validate()
        .map_err(|e| KeyError::Inconsistent(e.to_string()))?;
    Ok(PrivateInner::Rsa(Box::new(key)))
}

fn pkcs8_private(der: &[u8]) -> Result<PrivateInner, KeyError> {
    let info = PrivateKeyInfo::from_der(der).map_err(|_| not_pem_private())?;
    if info.algorithm.oid == RSA_ENCRYPTION {
        checked_rsa(RsaPrivateKey::try_from(info).map_err(|_| not_pem_private())?)
    } else if info.algorithm.oid == EC_PUBLIC_KEY {
        check_supported(curve(info.algorithm.parameters_oid().ok()))?;
        let key =
            EcSigningKey::from_pkcs8_der(der).map_err(|e| KeyError::Inconsistent(e.to_string()))?;
        Ok(PrivateInner::Ec(key))
    } else {
        // check_supported refuses every type but RSA and EC, naming it.
        Err(check_supported(Found::Other(name_of(info.algorithm.oid)))
            .err()
            .unwrap_or_else(not_pem_private))
    }
}

fn sec1_private(der: &[u8]) -> Result<PrivateInner, KeyError> {
    let parsed = sec1::EcPrivateKey::from_der(der).map_err(|_| not_pem_private())?;
    check_supported(curve(parsed.parameters.and_then(|p| p.named_curve())))?;
    let key =
        p256::SecretKey::from_sec1_der(der).map_err(|e| KeyError::Inconsistent(e.to_string()))?;
    Ok(PrivateInner::Ec(key.into()))
}

fn digest(hash: HashAlgorithm, message: &[u8]) -> Vec<u8> {
    match hash {
        HashAlgorithm::Sha1 => sha1::Sha1::digest(message).to_vec(),
        HashAlgorithm::Sha256 => sha2::Sha256::digest(message).to_vec(),
    }
}

/// PKCS#1 v1.5 over the DigestInfo for `hash`: the same bytes OpenSSL's backend signs.
fn pkcs1v15(hash: HashAlgorithm, digest_len: usize) -> Pkcs1v15Sign {
    Pkcs1v15Sign {
        hash_len: Some(digest_len),
        prefix: hash.digest_info_prefix().into(),
    }
}

impl Backend for RustCrypto {
    const NAME: &'static str = "RustCrypto";
    type Private = PrivateInner;
    type Public = PublicInner;

    fn private_from_pem(pem: &[u8]) -> Result<PrivateInner, KeyError> {
        let (label, der) =
            pem_block(pem, |l| l.ends_with("PRIVATE KEY")).ok_or_else(not_pem_private)?;
        match label.as_str() {
            "RSA PRIVATE KEY" => {
                checked_rsa(RsaPrivateKey::from_pkcs1_der(&der).map_err(|_| not_pem_private())?)
            }
            "PRIVATE KEY" => pkcs8_private(&der),
            "EC PRIVATE KEY" => sec1_private(&der),
            _ => Err(not_pem_private()),
        }
    }

    fn generate(algorithm: KeyAlgorithm) -> Result<PrivateInner, KeyError> {
        match algorithm {
            KeyAlgorithm::Rsa2048 => checked_rsa(
                RsaPrivateKey::new(&mut OsRng, 2048).map_err(crypto_error::<RustCrypto>)?,
            ),
            KeyAlgorithm::EcdsaP256 => Ok(PrivateInner::Ec(EcSigningKey::random(&mut OsRng))),
        }
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
            // sign_with_rng blinds the private-key operation (a random r, c = m·r^e, then
            // unblinds): without it the time of the exponentiation leaks the key.
            PrivateInner::Rsa(rsa) => rsa
                .sign_with_rng(&mut OsRng, pkcs1v15(hash, digest.len()), &digest)
                .map_err(crypto_error::<RustCrypto>),
            // The digest as ECDSA's integer, as OpenSSL's ECDSA_do_sign takes it (a 20-byte
            // SHA-1 digest is left-padded); RFC 6979's nonce with OsRng's entropy mixed in.
            PrivateInner::Ec(ec) => {
                let sig: Signature = ec
                    .sign_prehash_with_rng(&mut OsRng, &digest)
                    .map_err(crypto_error::<RustCrypto>)?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
        }
    }

    fn public_of(key: &PrivateInner) -> Result<PublicInner, KeyError> {
        Ok(match key {
            PrivateInner::Rsa(rsa) => PublicInner::Rsa(rsa.to_public_key()),
            PrivateInner::Ec(ec) => PublicInner::Ec(*ec.verifying_key()),
        })
    }

    fn private_to_pkcs8_der(key: &PrivateInner) -> Result<Vec<u8>, KeyError> {
        let doc = match key {
            PrivateInner::Rsa(rsa) => rsa.to_pkcs8_der(),
            PrivateInner::Ec(ec) => ec.to_pkcs8_der(),
        }
        .map_err(crypto_error::<RustCrypto>)?;
        Ok(doc.as_bytes().to_vec())
    }

    fn public_from_pem(pem: &[u8]) -> Result<(KeyAlgorithm, PublicInner), KeyError> {
        let (label, der) = pem_block(pem, |l| l == "PUBLIC KEY" || l == "RSA PUBLIC KEY")
            .ok_or_else(not_pem_public)?;
        if label == "RSA PUBLIC KEY" {
            let key = RsaPublicKey::from_pkcs1_der(&der).map_err(|_| not_pem_public())?;
            return Ok((
                check_supported(Found::Rsa(rsa_bits(&key)))?,
                PublicInner::Rsa(key),
            ));
        }
        let spki = SubjectPublicKeyInfoRef::from_der(&der).map_err(|_| not_pem_public())?;
        if spki.algorithm.oid == RSA_ENCRYPTION {
            let key = RsaPublicKey::from_public_key_der(&der).map_err(|_| not_pem_public())?;
            let algorithm = check_supported(Found::Rsa(rsa_bits(&key)))?;
            Ok((algorithm, PublicInner::Rsa(key)))
        } else if spki.algorithm.oid == EC_PUBLIC_KEY {
            let algorithm = check_supported(curve(spki.algorithm.parameters_oid().ok()))?;
            let key = VerifyingKey::from_public_key_der(&der).map_err(|_| not_pem_public())?;
            Ok((algorithm, PublicInner::Ec(key)))
        } else {
            // check_supported refuses every type but RSA and EC, naming it.
            Err(check_supported(Found::Other(name_of(spki.algorithm.oid)))
                .err()
                .unwrap_or_else(not_pem_public))
        }
    }

    fn verify(key: &PublicInner, hash: HashAlgorithm, message: &[u8], signature: &[u8]) -> bool {
        let digest = digest(hash, message);
        match key {
            PublicInner::Rsa(rsa) => rsa
                .verify(pkcs1v15(hash, digest.len()), &digest, signature)
                .is_ok(),
            PublicInner::Ec(ec) => Signature::from_der(signature)
                .is_ok_and(|sig| ec.verify_prehash(&digest, &sig).is_ok()),
        }
    }

    fn public_to_der(key: &PublicInner) -> Result<Vec<u8>, KeyError> {
        let doc = match key {
            PublicInner::Rsa(rsa) => rsa.to_public_key_der(),
            PublicInner::Ec(ec) => ec.to_public_key_der(),
        }
        .map_err(crypto_error::<RustCrypto>)?;
        Ok(doc.into_vec())
    }
}
