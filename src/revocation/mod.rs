//! Revocation before expiry. Every link carries its image's link version inside the signed
//! resource (`?v=`, see `links`); a revocation raises the version and writes a floor for the
//! image (`{owner}/{image}/`) or the whole account (`{owner}/`) in the same transaction as the
//! change (`store::Change::revoke`). The edge refuses a link whose version is below a floor: the
//! local edge reads the floors from the store ([`refusal`]), CloudFront's revocation function
//! (`infra/functions/revocation.js`) reads them from a KeyValueStore, which the sender here keeps
//! in step from the `link_revocations` table, the durable outbox: an entry is sent while it
//! is live and deleted once every link it outlaws has expired. Nothing is lost when a replica
//! dies: what the edge holds is recorded per entry, and an unsent entry is claimed again.

use std::sync::Arc;

use tokio::sync::Notify;

pub mod edge;

use crate::clock::rfc3339_seconds;
use crate::store::{ImageId, RevocationEntry, Store, StoreError, UserId};

/// Why the edge refuses a link: the floor it is below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// The floor (epoch seconds of the revocation).
    pub floor: i64,
}

impl std::fmt::Display for Revoked {
    /// `revoked at 2026-12-03T19:58:00Z`: the reason the local edge and the CloudFront function
    /// both give.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "revoked at {}", rfc3339_seconds(self.floor))
    }
}

/// Whether a link to `owner`'s image `image` at `version` is refused by the floors `entries`.
pub fn refused(entries: &[RevocationEntry], version: i64) -> Option<Revoked> {
    entries
        .iter()
        .map(|e| e.floor)
        .filter(|floor| version < *floor)
        .max()
        .map(|floor| Revoked { floor })
}

/// The local edge's check: the floors of `owner`/`image` from the store.
pub async fn refusal(
    store: &dyn Store,
    owner: &UserId,
    image: &ImageId,
    version: i64,
) -> Result<Option<Revoked>, StoreError> {
    Ok(refused(
        &store.revocation_floors(owner, image).await?,
        version,
    ))
}

/// Wakes this process's sender when a revocation was written, so the KeyValueStore hears of it
/// at once rather than at the next interval.
#[derive(Debug, Clone, Default)]
pub struct Revocations {
    notify: Arc<Notify>,
    /// Held by the service's handles, never by the sender's own: when the last one goes (the
    /// state is dropped), the sender stops.
    _running: Option<Arc<tokio::sync::mpsc::Sender<()>>>,
}

impl Revocations {
    /// A handle nothing listens to yet (no KeyValueStore: the local edge reads the floors from
    /// the store itself).
    pub fn new() -> Revocations {
        Revocations::default()
    }

    /// Starts this process's KeyValueStore sender on the current runtime ([`edge::run_sender`]),
    /// woken by the returned handle's [`Revocations::wake`] and every `interval`, until the last
    /// clone of the handle is dropped.
    pub fn start(
        store: Arc<dyn Store>,
        edge: Arc<dyn edge::EdgeStore>,
        interval: std::time::Duration,
        clock: Arc<dyn crate::clock::Clock>,
        metrics: crate::metrics::Metrics,
    ) -> Revocations {
        let (running, mut stopped) = tokio::sync::mpsc::channel::<()>(1);
        let listener = Revocations::new();
        let handle = Revocations {
            notify: Arc::clone(&listener.notify),
            _running: Some(Arc::new(running)),
        };
        tokio::spawn(edge::run_sender(
            store,
            edge,
            listener,
            interval,
            clock,
            Some(metrics),
            async move {
                // Ends when every sender half is gone: nothing is ever sent on it.
                let _ = stopped.recv().await;
            },
        ));
        handle
    }

    /// A revocation was committed.
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// Until the next [`Revocations::wake`] (or one that came since the last wait).
    pub async fn woken(&self) {
        self.notify.notified().await;
    }
}

/// What a revocation must cover, from the settings: every link and cookie issued before it
/// lives at most `signing.window_secs + signing.ttl_secs`, so its floors are enforced that long;
/// and how many images one action may revoke one by one. The service and `mediagate revoke`
/// both take it from here.
pub fn policy(config: &crate::config::Config) -> crate::store::Revoke {
    let lifetime = config
        .signing
        .window_secs
        .saturating_add(config.signing.ttl_secs);
    crate::store::Revoke {
        link_lifetime_ms: i64::try_from(lifetime)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000),
        max_entries: config.revocation.max_entries_per_action,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(prefix: &str, floor: i64) -> RevocationEntry {
        RevocationEntry {
            prefix: prefix.into(),
            floor,
            revoked_at_ms: floor * 1000,
            expires_at_ms: floor * 1000 + 3_900_000,
        }
    }

    #[test]
    fn a_version_below_either_floor_is_refused_with_the_higher_one() {
        let floors = [entry("u1/", 1_800_000_000), entry("u1/i1/", 1_800_000_100)];
        assert_eq!(refused(&floors, 0).map(|r| r.floor), Some(1_800_000_100));
        assert_eq!(
            refused(&floors, 1_800_000_050).map(|r| r.floor),
            Some(1_800_000_100)
        );
        assert_eq!(refused(&floors, 1_800_000_100), None);
        assert_eq!(refused(&[], 0), None);
    }

    #[test]
    fn the_reason_names_the_time_in_utc() {
        let r = Revoked {
            floor: 1_796_327_880,
        };
        assert_eq!(r.to_string(), "revoked at 2026-12-03T19:58:00Z");
    }
}
