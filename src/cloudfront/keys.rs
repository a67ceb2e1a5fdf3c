//! Key material: CloudFront key-pair ids, private keys that sign, public keys that verify, and
//! the key ring that lets a new key be rotated in while old links still verify.
//!
//! Parsing only: reading files (and refusing loose permissions) lives in `crate::keyfile`.
//! Nothing here implements `Display` or `Debug` for key bytes; `Debug` shows the algorithm only.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::Verifier;

/// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-1 (RFC 8017, section 9.2, note 1).
const SHA1_DIGEST_INFO: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];
/// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256.
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

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

/// The id CloudFront gave a public key (or a legacy key pair), e.g. `K2JCJMDEHXQW5F`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyPairId(String);

impl KeyPairId {
    /// Parses an id: 1 to 128 characters of `A-Z a-z 0-9 - _`, which need no escaping in URLs
    /// or cookies. CloudFront's own ids are upper-case letters and digits.
    pub fn parse(s: &str) -> Result<KeyPairId, KeyError> {
        let ok = !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(KeyPairId(s.to_owned()))
        } else {
            Err(KeyError::BadKeyPairId(s.to_owned()))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for KeyPairId {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyPairId::parse(s)
    }
}

impl fmt::Display for KeyPairId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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

    fn digest(self) -> MessageDigest {
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

fn check_supported(
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

/// A public key that verifies signatures.
#[derive(Clone)]
pub struct PublicKey {
    algorithm: KeyAlgorithm,
    pkey: PKey<Public>,
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A private key with the id CloudFront knows its public half by.
#[derive(Debug, Clone)]
pub struct SigningKey {
    /// The key-pair id that goes into `Key-Pair-Id`.
    pub id: KeyPairId,
    /// The private key.
    pub key: PrivateKey,
}

/// Public keys by key-pair id: what a verifier trusts (CloudFront's trusted key group).
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<KeyPairId, PublicKey>,
}

impl TrustedKeys {
    /// An empty set.
    pub fn new() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Trusts `key` under `id`, replacing any key of that id.
    pub fn insert(&mut self, id: KeyPairId, key: PublicKey) {
        self.keys.insert(id, key);
    }

    /// The key for `id`, if trusted.
    pub fn get(&self, id: &str) -> Option<&PublicKey> {
        self.keys
            .iter()
            .find_map(|(k, v)| (k.as_str() == id).then_some(v))
    }

    /// The trusted ids.
    pub fn ids(&self) -> impl Iterator<Item = &KeyPairId> {
        self.keys.keys()
    }
}

/// Signing keys by id, one of them active. New links are signed with the active key; every key in
/// the ring stays trusted, so links signed before a rotation keep verifying until they expire.
#[derive(Debug, Clone)]
pub struct KeyRing {
    keys: BTreeMap<KeyPairId, SigningKey>,
    active: KeyPairId,
    trusted: TrustedKeys,
}

impl KeyRing {
    /// A ring holding `active` alone.
    pub fn new(active: SigningKey) -> Result<KeyRing, KeyError> {
        let mut trusted = TrustedKeys::new();
        trusted.insert(active.id.clone(), active.key.public_key()?);
        let id = active.id.clone();
        Ok(KeyRing {
            keys: BTreeMap::from([(id.clone(), active)]),
            active: id,
            trusted,
        })
    }

    /// Adds (or replaces) a key without activating it.
    pub fn insert(&mut self, key: SigningKey) -> Result<(), KeyError> {
        self.trusted.insert(key.id.clone(), key.key.public_key()?);
        self.keys.insert(key.id.clone(), key);
        Ok(())
    }

    /// Makes the key with `id` the one new links are signed with.
    pub fn activate(&mut self, id: &KeyPairId) -> Result<(), KeyError> {
        if !self.keys.contains_key(id) {
            return Err(KeyError::BadKeyPairId(format!(
                "{id} (not in the key ring)"
            )));
        }
        self.active = id.clone();
        Ok(())
    }

    /// Removes a retired key; the active key cannot be removed.
    pub fn remove(&mut self, id: &KeyPairId) -> bool {
        if *id == self.active {
            return false;
        }
        self.trusted.keys.remove(id);
        self.keys.remove(id).is_some()
    }

    /// The key new links are signed with.
    pub fn active(&self) -> &SigningKey {
        // The constructor and `activate` keep `active` a key of the map, and `remove` refuses it.
        self.keys
            .get(&self.active)
            .unwrap_or_else(|| unreachable!("active key is always in the ring"))
    }

    /// A key by id.
    pub fn get(&self, id: &KeyPairId) -> Option<&SigningKey> {
        self.keys.get(id)
    }

    /// The public halves of every key in the ring.
    pub fn trusted(&self) -> &TrustedKeys {
        &self.trusted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_pair_ids() {
        assert!(KeyPairId::parse("K2JCJMDEHXQW5F").is_ok());
        assert!(KeyPairId::parse("APKAJCEOKRHC3XIVU5NA").is_ok());
        assert!(KeyPairId::parse("dev-key_1").is_ok());
        for bad in ["", "K 1", "K&x=1", "K%20", "ключ", &"K".repeat(129)] {
            assert!(KeyPairId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

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

    #[test]
    fn key_ring_rotation() {
        let a = SigningKey {
            id: KeyPairId::parse("KA").unwrap(),
            key: PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        };
        let b = SigningKey {
            id: KeyPairId::parse("KB").unwrap(),
            key: PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        };
        let mut ring = KeyRing::new(a.clone()).unwrap();
        ring.insert(b.clone()).unwrap();
        assert_eq!(ring.active().id, a.id);
        ring.activate(&b.id).unwrap();
        assert_eq!(ring.active().id, b.id);
        assert!(ring.trusted().get("KA").is_some() && ring.trusted().get("KB").is_some());
        assert!(!ring.remove(&b.id));
        assert!(ring.remove(&a.id));
        assert!(ring.trusted().get("KA").is_none());
        assert!(ring.activate(&a.id).is_err());
    }
}
