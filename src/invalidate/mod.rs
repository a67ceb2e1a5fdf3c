//! CloudFront invalidations: when an image is hidden or deleted, its path is queued and sent in
//! batches, so edge caches stop serving copies a viewer may still hold a valid URL for.
//!
//! The queue is a table (the store's outbox), not memory: a path queued on one replica is sent by
//! whichever replica's sender claims it next, and a replica that dies loses nothing. CloudFront
//! allows a limited number of paths in progress per distribution (3000 for single files); the
//! outbox counts every replica's batches against that budget until CloudFront reports them
//! Completed. Off by default (CloudFront bills per path).
//!
//! - `cloudfront.rs`: the real control plane (aws-sdk-cloudfront) and its error.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Clock;
use crate::cloudfront::Epoch;
use crate::config::InvalidationConfig;
use crate::metrics::Metrics;
use crate::store::{BatchClaim, Store, StoreError};

mod cloudfront;
#[cfg(test)]
mod tests;

pub use cloudfront::{CloudFrontControlPlane, ControlPlaneError};

/// What the sender needs from CloudFront's control plane.
#[async_trait]
pub trait ControlPlane: Send + Sync + std::fmt::Debug {
    /// Starts an invalidation of `paths`; returns its id.
    async fn create(
        &self,
        paths: &[String],
        caller_reference: &str,
    ) -> Result<String, ControlPlaneError>;
    /// Whether invalidation `id` has completed.
    async fn is_complete(&self, id: &str) -> Result<bool, ControlPlaneError>;
}

/// A batch claimed but never confirmed as sent this long ago was left by a sender that died: its
/// paths are claimed again. Far longer than a send takes (the SDK gives up after 20 s).
pub const STALE_BATCH_SECS: u64 = 300;

/// Batches followed per tick (CloudFront's budget allows 3000 single-path ones at most).
const IN_PROGRESS_PER_TICK: u32 = 3000;

/// What one [`tick`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    /// Paths sent in each batch created.
    pub batches: Vec<usize>,
    /// Invalidations that completed since the last tick.
    pub completed: usize,
    /// Paths still waiting (for room, for their backoff, or for the next tick).
    pub waiting: u64,
}

/// Why a tick stopped early. Nothing is lost: a failed batch's paths wait again.
#[derive(Debug, thiserror::Error)]
pub enum TickError {
    /// The outbox could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// CloudFront refused or could not be reached.
    #[error(transparent)]
    ControlPlane(#[from] ControlPlaneError),
}

/// One round of the sender at `now`: frees the budget of batches CloudFront has completed, then
/// sends as many batches as the budget (shared by every replica) allows. A failed send puts its
/// paths back with a backoff of `interval_secs` × attempts².
pub async fn tick(
    store: &dyn Store,
    plane: &dyn ControlPlane,
    config: &InvalidationConfig,
    now: Epoch,
    metrics: Option<&Metrics>,
) -> Result<Tick, TickError> {
    let mut tick = Tick::default();
    for batch in store
        .invalidations_in_progress(IN_PROGRESS_PER_TICK)
        .await?
    {
        if plane.is_complete(&batch.cloudfront_id).await? {
            store.invalidation_completed(&batch.reference).await?;
            tick.completed += 1;
        }
    }
    let max_paths = u32::try_from(config.max_paths_per_batch.max(1)).unwrap_or(u32::MAX);
    let max_in_flight = u32::try_from(config.max_paths_in_flight.max(1)).unwrap_or(u32::MAX);
    // Every batch takes at least one path of the budget: this many rounds always suffice.
    for _ in 0..max_in_flight {
        let reference = format!("mediagate-{}", uuid::Uuid::now_v7().simple());
        let paths = store
            .claim_invalidations(BatchClaim {
                reference: &reference,
                max_paths,
                max_in_flight,
                now_ms: now.millis(),
                stale_before_ms: Epoch(now.seconds().saturating_sub(STALE_BATCH_SECS)).millis(),
            })
            .await?;
        if paths.is_empty() {
            break;
        }
        match plane.create(&paths, &reference).await {
            Ok(id) => {
                store.invalidation_sent(&reference, &id).await?;
                if let Some(m) = metrics {
                    m.invalidation_paths_sent.inc_by(paths.len() as u64);
                }
                tick.batches.push(paths.len());
            }
            Err(e) => {
                let backoff_ms = i64::try_from(config.interval_secs.max(1) * 1000).unwrap_or(1000);
                store
                    .invalidation_failed(&reference, now.millis(), backoff_ms)
                    .await?;
                return Err(e.into());
            }
        }
    }
    tick.waiting = store.outbox_backlog().await?.waiting;
    Ok(tick)
}

/// Where request handlers queue paths; a no-op when invalidations are off.
#[derive(Debug, Clone, Default)]
pub struct InvalidationQueue {
    outbox: Option<Outbox>,
}

#[derive(Debug, Clone)]
struct Outbox {
    store: Arc<dyn Store>,
    /// Dropped with the last queue handle, which stops the sender.
    _running: Arc<tokio::sync::mpsc::Sender<()>>,
}

impl InvalidationQueue {
    /// A queue that drops everything (invalidations off).
    pub fn disabled() -> InvalidationQueue {
        InvalidationQueue { outbox: None }
    }

    /// Whether paths are sent at all (so callers can skip finding them).
    pub fn is_enabled(&self) -> bool {
        self.outbox.is_some()
    }

    /// The path to invalidate for object `key` (`/` + the path CloudFront sees); `None` when
    /// invalidations are off. For a store call that queues it with the change that needs it.
    pub fn path_of(&self, key: &str) -> Option<String> {
        self.outbox
            .as_ref()
            .map(|_| format!("/{}", crate::access::key_to_url_path(key)))
    }

    /// Queues the path of object `key`, durably, on its own (when no single change needs it).
    pub async fn queue_key(&self, key: &str, now: Epoch) -> Result<(), StoreError> {
        let (Some(outbox), Some(path)) = (&self.outbox, self.path_of(key)) else {
            return Ok(());
        };
        outbox.store.queue_invalidation(&path, now.millis()).await
    }

    /// Queues into `store` and starts this process's sender on the current runtime: a [`tick`]
    /// every `interval_secs` until the last clone of the returned queue is dropped. Every replica
    /// runs one; they share the outbox and its budget.
    pub fn start(
        config: &InvalidationConfig,
        store: Arc<dyn Store>,
        plane: Arc<dyn ControlPlane>,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
    ) -> InvalidationQueue {
        let (running, mut stopped) = tokio::sync::mpsc::channel::<()>(1);
        let every = Duration::from_secs(config.interval_secs.max(1));
        let config = config.clone();
        let outbox = Outbox {
            store: Arc::clone(&store),
            _running: Arc::new(running),
        };
        tokio::spawn(async move {
            let mut timer = tokio::time::interval(every);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stopped.recv() => break,
                    _ = timer.tick() => {
                        let now = clock.now();
                        match tick(store.as_ref(), plane.as_ref(), &config, now, Some(&metrics)).await {
                            Ok(t) if !t.batches.is_empty() => tracing::info!(batches = ?t.batches, waiting = t.waiting, "CloudFront invalidations sent"),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "CloudFront invalidation failed; will retry"),
                        }
                    }
                }
            }
        });
        InvalidationQueue {
            outbox: Some(outbox),
        }
    }
}
