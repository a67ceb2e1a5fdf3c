//! Embedded defaults for a laptop: a dev signing key in `keys/` and an HS256 dev secret in
//! `data/`, generated on first use and reused after. Loudly not for production.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use anyhow::Context as _;

use crate::cloudfront::{KeyAlgorithm, KeyPairId, PrivateKey};
use crate::config::read_secret_file;
use crate::keyfile;

/// Where the dev HS256 secret lives.
pub const DEV_SECRET_FILE: &str = "data/dev-hs256.secret";

/// The key-pair id of a dev key: derived from its public key, so every replica started from the
/// same `keys/` directory signs identical URLs.
pub fn dev_key_pair_id(key: &PrivateKey) -> anyhow::Result<KeyPairId> {
    let fingerprint = key.public_key()?.fingerprint().to_ascii_uppercase();
    Ok(KeyPairId::parse(&format!("KDEV{}", &fingerprint[..10]))?)
}

/// Loads the dev signing key at `path`, generating an RSA-2048 key there when it is missing.
/// RSA rather than ECDSA because RSA signatures are deterministic: replicas agree on every URL.
pub fn ensure_dev_key(path: &Path) -> anyhow::Result<(KeyPairId, PrivateKey, bool)> {
    let generated = !path.exists();
    if generated {
        let prefix = path.with_extension("");
        let key = PrivateKey::generate(KeyAlgorithm::Rsa2048)?;
        keyfile::write_key_pair(&prefix, &key)?;
    }
    let key = keyfile::load_private_key(path)?;
    Ok((dev_key_pair_id(&key)?, key, generated))
}

/// Reads the dev HS256 secret, generating 32 random bytes (hex) with mode 0600 when missing.
pub fn ensure_dev_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private_files::create_dir_all(dir)
                .with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).context("reading the operating system's randomness")?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        file.write_all(hex.as_bytes())?;
    }
    Ok(read_secret_file(path)?.into_bytes())
}
