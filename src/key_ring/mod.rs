//! Which signing keys the settings describe: one key ring secret (`signing.key_ring` or
//! `signing.key_ring_file`, the shape several replicas share), or per-key files
//! (`signing.key_pair_id` / `private_key_file` / `extra_keys`), or in dev mode a generated key.
//! [`reload`] keeps a running service's ring in step with those sources.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cloudfront::{KeyPairId, KeyRing, PrivateKey, SigningKey};
use crate::config::Config;
use crate::private_files::{PrivateFileError, read_private};
use crate::{dev, keyfile};

pub mod reload;

/// Why the key ring could not be built. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    /// The key ring file could not be read.
    #[error("signing.key_ring_file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: PrivateFileError,
    },
    /// The JSON is not a key ring. Only the place is named: the text holds private keys.
    #[error(
        "{setting} is not a key ring: {what} at line {line}, column {column} (expected {{\"active\": \"K…\", \"keys\": [{{\"key_pair_id\": \"K…\", \"private_key_pem\": \"<the PEM file as one string>\"}}]}})"
    )]
    Json {
        /// `signing.key_ring` or the file's setting.
        setting: String,
        /// serde_json's category of the problem (syntax, wrong shape, …), not its message,
        /// which may quote a value.
        what: &'static str,
        /// Where.
        line: usize,
        /// Where.
        column: usize,
    },
    /// Something about one key.
    #[error("{setting}: {why}")]
    Key {
        /// Where the ring came from.
        setting: String,
        /// What is wrong (names the key-pair id, never the key).
        why: String,
    },
    /// The per-file settings.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RingSpec {
    active: String,
    keys: Vec<KeySpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySpec {
    key_pair_id: String,
    private_key_pem: String,
}

/// Parses the key ring JSON that `signing.key_ring` (or its file) holds. `setting` names the
/// source in errors.
pub fn parse_key_ring(json: &[u8], setting: &str) -> Result<KeyRing, KeyRingError> {
    let spec: RingSpec = serde_json::from_slice(json).map_err(|e| KeyRingError::Json {
        setting: setting.to_owned(),
        what: match e.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "a missing, unknown or mistyped field",
            serde_json::error::Category::Eof => "the text ends early",
        },
        line: e.line(),
        column: e.column(),
    })?;
    let bad = |why: String| KeyRingError::Key {
        setting: setting.to_owned(),
        why,
    };
    let mut keys = Vec::with_capacity(spec.keys.len());
    for k in spec.keys {
        let id = KeyPairId::parse(&k.key_pair_id).map_err(|e| bad(e.to_string()))?;
        if keys.iter().any(|s: &SigningKey| s.id == id) {
            return Err(bad(format!("key {id} is listed twice")));
        }
        let key = PrivateKey::from_pem(k.private_key_pem.as_bytes())
            .map_err(|e| bad(format!("key {id}: {e}")))?;
        keys.push(SigningKey { id, key });
    }
    let Some(at) = keys.iter().position(|k| k.id.as_str() == spec.active) else {
        return Err(bad(format!(
            "the active key {:?} is not among the keys ({})",
            spec.active,
            keys.iter()
                .map(|k| k.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let mut ring = KeyRing::new(keys.remove(at)).map_err(|e| bad(e.to_string()))?;
    for key in keys {
        ring.insert(key).map_err(|e| bad(e.to_string()))?;
    }
    Ok(ring)
}

/// The key ring the settings describe. Without any key setting, the dev key (generated on first
/// use) with a loud warning; outside dev mode that is refused.
pub fn load_key_ring(config: &Config) -> Result<KeyRing, KeyRingError> {
    let s = &config.signing;
    if let Some(json) = &s.key_ring {
        return parse_key_ring(json.expose().as_bytes(), "signing.key_ring");
    }
    if let Some(path) = &s.key_ring_file {
        let json = read_private(path).map_err(|source| KeyRingError::File {
            path: path.clone(),
            source,
        })?;
        return parse_key_ring(&json, &format!("signing.key_ring_file {}", path.display()));
    }
    Ok(load_key_files(config)?)
}

fn load_key_files(config: &Config) -> anyhow::Result<KeyRing> {
    let s = &config.signing;
    let active = match &s.key_pair_id {
        Some(id) => SigningKey {
            id: KeyPairId::parse(id)?,
            key: keyfile::load_private_key(&s.private_key_file)?,
        },
        None if !config.dev_mode() => anyhow::bail!(
            "no signing key is set: outside dev mode links are signed only with the keys your \
             CloudFront key group trusts (signing.key_ring_file, signing.key_ring, or \
             signing.key_pair_id with signing.private_key_file)"
        ),
        None => {
            let (id, key, generated) = dev::ensure_dev_key(&s.private_key_file)?;
            tracing::warn!(
                key_pair_id = id.as_str(),
                file = %s.private_key_file.display(),
                generated,
                "DEV KEY IN USE: links are signed with a locally generated key that no CloudFront \
                 distribution trusts. Set signing.key_ring_file (or signing.key_pair_id and \
                 signing.private_key_file) for production."
            );
            SigningKey { id, key }
        }
    };
    let mut ring = KeyRing::new(active)?;
    for extra in &s.extra_keys {
        ring.insert(SigningKey {
            id: KeyPairId::parse(&extra.key_pair_id)?,
            key: keyfile::load_private_key(&extra.private_key_file)?,
        })?;
    }
    Ok(ring)
}

/// The files the key ring is read from, which [`reload`] watches (none for `signing.key_ring`,
/// which lives in the environment and changes only with a new process).
pub fn key_files(config: &Config) -> Vec<&Path> {
    let s = &config.signing;
    if s.key_ring.is_some() {
        return Vec::new();
    }
    if let Some(path) = &s.key_ring_file {
        return vec![path];
    }
    std::iter::once(s.private_key_file.as_path())
        .chain(s.extra_keys.iter().map(|k| k.private_key_file.as_path()))
        .collect()
}

#[cfg(test)]
mod tests;
