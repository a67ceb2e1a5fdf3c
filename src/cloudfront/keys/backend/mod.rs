//! The crypto behind the keys: one trait, two implementations, one of them `Active`.
//!
//! - `openssl` (feature `openssl`, the default): as fast as `openssl speed`.
//! - `rust_crypto` (feature `rust-crypto`): the pure-Rust `rsa`, `sha1`, `sha2` and `p256` crates,
//!   for a build with no OpenSSL at all. It wins when both features are on, so
//!   `cargo test --features rust-crypto` tests it.
//!
//! Both must give the same answers: the same key accepted or refused with the same error, the
//! same RSA signature byte for byte (PKCS#1 v1.5 is deterministic), the same public key DER (the
//! dev key-pair id is its hash), and each verifies the other's ECDSA signatures. The tests in
//! `super::tests` run one suite against each compiled backend, and against each other when both
//! are compiled. The `cfg`s for the choice live here and nowhere else in `cloudfront`.

use super::{HashAlgorithm, KeyAlgorithm, KeyError};

#[cfg(not(any(feature = "openssl", feature = "rust-crypto")))]
compile_error!(
    "mediagate needs a signing backend: keep the default features (OpenSSL), or add \
     `--features rust-crypto` (pure Rust; with --no-default-features: `--features rust-crypto,local-s3`)"
);

// Beside rust-crypto, OpenSSL's backend is compiled for the tests alone, which hold each backend
// against the other.
#[cfg(all(feature = "openssl", any(test, not(feature = "rust-crypto"))))]
pub(super) mod openssl;
#[cfg(feature = "rust-crypto")]
pub(super) mod rust_crypto;

/// The backend that signs in this build.
#[cfg(feature = "rust-crypto")]
pub(super) type Active = rust_crypto::RustCrypto;
/// The backend that signs in this build.
#[cfg(all(feature = "openssl", not(feature = "rust-crypto")))]
pub(super) type Active = openssl::OpenSsl;

pub(super) fn active_name() -> &'static str {
    Active::NAME
}

/// What a signing backend provides. PEM framing that both share (the `ENCRYPTED` refusal, the
/// output PEM) is done once in `super::private` and `super::public`; a backend sees DER out and
/// PEM in.
pub(super) trait Backend {
    /// For error messages: "OpenSSL" or "RustCrypto".
    const NAME: &'static str;
    /// A checked private key of one of [`KeyAlgorithm`]'s types.
    type Private: Clone + Send + Sync + 'static;
    /// A public key of one of [`KeyAlgorithm`]'s types.
    type Public: Clone + Send + Sync + 'static;

    /// Parses a PEM private key (PKCS#1, PKCS#8 or SEC1; not encrypted: the caller refused
    /// that). A key of another type or size is refused through [`super::check_supported`].
    fn private_from_pem(pem: &[u8]) -> Result<Self::Private, KeyError>;
    /// A new key from the operating system's randomness.
    fn generate(algorithm: KeyAlgorithm) -> Result<Self::Private, KeyError>;
    fn algorithm(key: &Self::Private) -> KeyAlgorithm;
    /// RSA PKCS#1 v1.5 (blinded), or ECDSA with a DER signature, over the `hash` of `message`.
    fn sign(key: &Self::Private, hash: HashAlgorithm, message: &[u8]) -> Result<Vec<u8>, KeyError>;
    fn public_of(key: &Self::Private) -> Result<Self::Public, KeyError>;
    /// PKCS#8 DER. Never log it.
    fn private_to_pkcs8_der(key: &Self::Private) -> Result<Vec<u8>, KeyError>;

    /// Parses a PEM public key: SubjectPublicKeyInfo or PKCS#1 `RSA PUBLIC KEY`.
    fn public_from_pem(pem: &[u8]) -> Result<(KeyAlgorithm, Self::Public), KeyError>;
    /// Whether `signature` signs `message`; any decoding failure is `false`.
    fn verify(key: &Self::Public, hash: HashAlgorithm, message: &[u8], signature: &[u8]) -> bool;
    /// SubjectPublicKeyInfo DER.
    fn public_to_der(key: &Self::Public) -> Result<Vec<u8>, KeyError>;
}

/// A `KeyError::Crypto` from backend `B`.
pub(super) fn crypto_error<B: Backend>(message: impl std::fmt::Display) -> KeyError {
    KeyError::Crypto {
        backend: B::NAME,
        message: message.to_string(),
    }
}
