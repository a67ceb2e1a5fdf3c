//! The revocation sender: keeps CloudFront's KeyValueStore in step with the `link_revocations`
//! outbox, so `infra/functions/revocation.js` refuses what the local edge refuses.
//!
//! Each round claims the entries due (a floor the edge does not hold yet, or an expired one it
//! still holds), sends them in ETag-checked `UpdateKeys` batches, then records per entry what the
//! edge now holds. Every replica runs a sender; the claims keep them from sending the same entry
//! at once, and an entry claimed by a sender that died is claimed again when its claim lapses. A
//! crash between a send and its record only sends the same puts and deletes again, which changes
//! nothing at the edge.
//!
//! - `kvs.rs`: the real data plane (aws-sdk-cloudfrontkeyvaluestore, SigV4A-signed).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Clock;
use crate::revocation::Revocations;
use crate::store::Store;

mod kvs;
mod sync;
#[cfg(test)]
mod tests;

pub use kvs::KeyValueStoreClient;
pub use sync::{Limits, MAX_KEYS_PER_UPDATE, SyncError, SyncFailed, Synced, sync_once};

/// What the sender needs from the KeyValueStore's data plane.
#[async_trait]
pub trait EdgeStore: Send + Sync + std::fmt::Debug {
    /// The store's current version (`DescribeKeyValueStore`'s ETag), which an update must name.
    async fn etag(&self) -> Result<String, EdgeStoreError>;

    /// Puts `(key, value)` pairs and deletes keys in one all-or-nothing `UpdateKeys`, if the
    /// store is still at version `if_match`; returns its new version (empty when the answer
    /// named none).
    async fn update(
        &self,
        if_match: &str,
        puts: &[(String, String)],
        deletes: &[String],
    ) -> Result<String, EdgeStoreError>;
}

/// What a data-plane call fails with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EdgeStoreError {
    /// The store moved on since the ETag was read (another writer): read it again and resend.
    #[error("KeyValueStore {call}: the ETag is stale: {message}")]
    Conflict {
        /// Which call.
        call: &'static str,
        /// The answer, in one line.
        message: String,
    },
    /// Too many requests, after the SDK's own retries: wait for the next round.
    #[error("KeyValueStore {call} throttled: {message}")]
    Throttled {
        /// Which call.
        call: &'static str,
        /// The answer, in one line.
        message: String,
    },
    /// The store, or a key an update deletes, does not exist.
    #[error("KeyValueStore {call}: not found: {message}")]
    NotFound {
        /// Which call.
        call: &'static str,
        /// The answer, in one line.
        message: String,
    },
    /// Anything else: the network, permissions, a refused request.
    #[error("KeyValueStore {call} failed: {message}")]
    Other {
        /// Which call.
        call: &'static str,
        /// The SDK's error with its context, in one line.
        message: String,
    },
}

impl EdgeStoreError {
    /// The data-plane call that failed (`DescribeKeyValueStore`, `UpdateKeys`).
    pub fn call(&self) -> &'static str {
        match self {
            EdgeStoreError::Conflict { call, .. }
            | EdgeStoreError::Throttled { call, .. }
            | EdgeStoreError::NotFound { call, .. }
            | EdgeStoreError::Other { call, .. } => call,
        }
    }
}

/// Runs this process's sender until `shutdown` completes: a round at start (whatever the last
/// process left), then one whenever a revocation is written here ([`Revocations::wake`]) or
/// `interval` has passed, at once again while a round stops at its bound. Errors are logged and
/// retried in later rounds; nothing here panics or gives up.
pub async fn run_sender(
    store: Arc<dyn Store>,
    edge: Arc<dyn EdgeStore>,
    revocations: Revocations,
    interval: Duration,
    clock: Arc<dyn Clock>,
    metrics: Option<crate::metrics::Metrics>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let count = |done: &Synced| {
        if let Some(m) = &metrics {
            m.revocation_floors_sent
                .with_label_values(&["put"])
                .inc_by(done.put as u64);
            m.revocation_floors_sent
                .with_label_values(&["delete"])
                .inc_by(done.deleted as u64);
        }
    };
    let limits = Limits::default();
    // tokio's interval refuses a zero period; a settings typo should not stop the sender.
    let mut timer = tokio::time::interval(interval.max(Duration::from_millis(100)));
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let mut more = false;
    loop {
        // Biased: shutdown is seen first, even while a backlog keeps rounds coming at once.
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = std::future::ready(()), if more => {}
            _ = timer.tick() => {}
            () = revocations.woken() => {}
        }
        // A round is not raced against shutdown: one cut short after a send would only send
        // again later, and the SDK's timeouts already bound it.
        let now_ms = clock.now().millis();
        more = match sync_once(store.as_ref(), edge.as_ref(), now_ms, &limits).await {
            Ok(done) => {
                count(&done);
                if done.put + done.deleted > 0 {
                    tracing::info!(
                        put = done.put,
                        deleted = done.deleted,
                        more = done.more,
                        "revocation floors sent to the KeyValueStore"
                    );
                }
                done.more
            }
            Err(failed) => {
                count(&failed.done);
                if let Some(m) = &metrics {
                    m.revocation_send_failures.inc();
                }
                tracing::warn!(
                    call = failed.error.call(),
                    error = %failed.error,
                    put = failed.done.put,
                    deleted = failed.done.deleted,
                    "revocation floors not all sent to the KeyValueStore; will retry"
                );
                false
            }
        };
    }
}
