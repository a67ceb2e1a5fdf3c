//! Keeping a running service's key ring in step with its sources: the key files are checked every
//! `signing.reload_interval_secs` and the ring is rebuilt when their bytes changed (a Kubernetes
//! Secret volume swaps its files in place, and no one sends a signal); SIGHUP re-reads the
//! settings too and rebuilds at once. A source that does not parse (a file caught half written, a
//! bad rotation) leaves the running ring as it is, logged once per change.

use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use tokio::signal::unix::{SignalKind, signal};

use super::{key_files, load_key_ring};
use crate::cloudfront::KeyRing;
use crate::config::Config;

/// The bytes of every watched file (or why it could not be read), hashed: equal when nothing
/// changed. Reading for the fingerprint does not check modes; building the ring does.
pub fn fingerprint(config: &Config) -> [u8; 32] {
    let mut hash = Sha256::new();
    for path in key_files(config) {
        hash.update(path.as_os_str().as_encoded_bytes());
        match std::fs::read(path) {
            Ok(bytes) => {
                hash.update([1]);
                hash.update((bytes.len() as u64).to_le_bytes());
                hash.update(&bytes);
            }
            Err(e) => hash.update(format!("\0{:?}", e.kind())),
        }
    }
    hash.finalize().into()
}

/// Rebuilds the ring from `config` when its files' fingerprint differs from `seen` (or always,
/// when `seen` is `None`), hands it to `apply`, and returns the fingerprint it acted on.
fn refresh(
    config: &Config,
    seen: Option<[u8; 32]>,
    why: &str,
    apply: &impl Fn(KeyRing),
) -> [u8; 32] {
    let now = fingerprint(config);
    if seen == Some(now) {
        return now;
    }
    match load_key_ring(config) {
        Ok(ring) => {
            let active = ring.active().id.to_string();
            apply(ring);
            tracing::info!(active_key = active, why, "signing keys reloaded");
        }
        Err(e) => tracing::error!(
            error = format!("{e:#}"),
            why,
            "signing keys NOT reloaded; still signing with the previous ones"
        ),
    }
    now
}

/// Watches the key sources of `config` (the settings `serve` started with, from `config_file`
/// and the environment) until the process ends, passing every rebuilt ring to `apply`.
pub fn spawn(
    config: Config,
    config_file: Option<PathBuf>,
    apply: impl Fn(KeyRing) + Send + Sync + 'static,
) {
    tokio::spawn(async move {
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("SIGHUP cannot be watched; keys reload only from file changes");
            return;
        };
        let mut config = config;
        let mut seen = fingerprint(&config);
        let every = config.signing.reload_interval_secs;
        let mut timer = tokio::time::interval(Duration::from_secs(every.max(1)));
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                Some(()) = hup.recv() => {
                    match Config::load(config_file.as_deref(), std::env::vars()) {
                        Ok(fresh) => config = fresh,
                        Err(e) => tracing::error!(
                            error = %e,
                            "settings NOT re-read on SIGHUP; reloading the keys they named before"
                        ),
                    }
                    seen = refresh(&config, None, "SIGHUP", &apply);
                }
                _ = timer.tick(), if every > 0 => {
                    seen = refresh(&config, Some(seen), "key files changed", &apply);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::cloudfront::{KeyAlgorithm, PrivateKey};

    fn ring_json(active: &str, ids: &[(&str, &PrivateKey)]) -> String {
        let keys: Vec<_> = ids
            .iter()
            .map(|(id, key)| {
                let pem = String::from_utf8(key.to_pkcs8_pem().unwrap()).unwrap();
                serde_json::json!({"key_pair_id": id, "private_key_pem": pem})
            })
            .collect();
        serde_json::json!({"active": active, "keys": keys}).to_string()
    }

    fn write_private(path: &std::path::Path, text: &str) {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    #[test]
    fn a_changed_file_is_reloaded_once_and_a_broken_one_keeps_the_ring() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ring.json");
        let (a, b) = (
            PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
            PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        );
        write_private(
            &file,
            &ring_json("KAAAAAAAAAAAAA", &[("KAAAAAAAAAAAAA", &a)]),
        );
        let mut config = Config::default();
        config.signing.key_ring_file = Some(file.clone());
        let applied = RefCell::new(Vec::<String>::new());
        let apply = |ring: KeyRing| applied.borrow_mut().push(ring.active().id.to_string());

        let seen = fingerprint(&config);
        assert_eq!(refresh(&config, Some(seen), "t", &apply), seen);
        assert!(
            applied.borrow().is_empty(),
            "nothing changed, nothing applied"
        );

        let both = [("KAAAAAAAAAAAAA", &a), ("KBBBBBBBBBBBBB", &b)];
        write_private(&file, &ring_json("KBBBBBBBBBBBBB", &both));
        let seen = refresh(&config, Some(seen), "t", &apply);
        assert_eq!(*applied.borrow(), ["KBBBBBBBBBBBBB"]);
        refresh(&config, Some(seen), "t", &apply);
        assert_eq!(
            applied.borrow().len(),
            1,
            "the same bytes are not reloaded twice"
        );

        write_private(&file, "{\"active\": \"KAAAA");
        let broken = refresh(&config, Some(seen), "t", &apply);
        assert_ne!(broken, seen);
        assert_eq!(
            applied.borrow().len(),
            1,
            "a half-written file changes nothing"
        );
        refresh(&config, None, "SIGHUP", &apply);
        assert_eq!(
            applied.borrow().len(),
            1,
            "nor does a SIGHUP while it is broken"
        );

        write_private(&file, &ring_json("KAAAAAAAAAAAAA", &both));
        refresh(&config, Some(broken), "t", &apply);
        assert_eq!(*applied.borrow(), ["KBBBBBBBBBBBBB", "KAAAAAAAAAAAAA"]);
    }
}
