//! CloudFront invalidations: when an image is hidden or deleted, its path is queued and sent in
//! batches, so edge caches stop serving copies a viewer may still hold a valid URL for.
//!
//! CloudFront allows a limited number of paths in progress per distribution (3000 for single
//! files), so the batcher tracks its own invalidations until CloudFront reports them Completed,
//! and sends no more than that budget allows. Off by default (CloudFront bills per path).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::config::InvalidationConfig;

/// What the batcher needs from CloudFront's control plane.
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

/// The real control plane, through aws-sdk-cloudfront.
#[derive(Debug, Clone)]
pub struct CloudFrontControlPlane {
    client: aws_sdk_cloudfront::Client,
    distribution_id: String,
}

impl CloudFrontControlPlane {
    /// A client for `distribution_id`, with the standard AWS credential chain.
    pub async fn new(distribution_id: String) -> CloudFrontControlPlane {
        // CloudFront's control plane lives in us-east-1 whatever the bucket's region.
        let shared = crate::aws::sdk_config("us-east-1", None).await;
        CloudFrontControlPlane {
            client: aws_sdk_cloudfront::Client::new(&shared),
            distribution_id,
        }
    }
}

#[async_trait]
impl ControlPlane for CloudFrontControlPlane {
    async fn create(
        &self,
        paths: &[String],
        caller_reference: &str,
    ) -> Result<String, ControlPlaneError> {
        use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
        let batch = InvalidationBatch::builder()
            .paths(
                Paths::builder()
                    .quantity(i32::try_from(paths.len())?)
                    .set_items(Some(paths.to_vec()))
                    .build()?,
            )
            .caller_reference(caller_reference)
            .build()?;
        let out = self
            .client
            .create_invalidation()
            .distribution_id(&self.distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| call_failed("CreateInvalidation", e))?;
        Ok(out
            .invalidation()
            .map(|i| i.id().to_owned())
            .unwrap_or_default())
    }

    async fn is_complete(&self, id: &str) -> Result<bool, ControlPlaneError> {
        let out = self
            .client
            .get_invalidation()
            .distribution_id(&self.distribution_id)
            .id(id)
            .send()
            .await
            .map_err(|e| call_failed("GetInvalidation", e))?;
        Ok(out
            .invalidation()
            .is_some_and(|i| i.status() == "Completed"))
    }
}

/// What a control-plane call fails with. The queue only logs it and retries on its next tick.
#[derive(Debug, thiserror::Error)]
pub enum ControlPlaneError {
    /// A CloudFront API call failed: the network, throttling, or CloudFront's answer.
    #[error("CloudFront {call} failed: {message}")]
    Call {
        /// Which call.
        call: &'static str,
        /// The SDK's error with its context, in one line.
        message: String,
    },
    /// More paths than CloudFront's request can count (an i32).
    #[error("too many paths for one invalidation: {0}")]
    TooManyPaths(#[from] std::num::TryFromIntError),
    /// The SDK would not build the request.
    #[error("cannot build the invalidation request: {0}")]
    Request(#[from] aws_sdk_cloudfront::error::BuildError),
}

fn call_failed(call: &'static str, e: impl std::error::Error) -> ControlPlaneError {
    ControlPlaneError::Call {
        call,
        message: aws_sdk_cloudfront::error::DisplayErrorContext(e).to_string(),
    }
}

/// Paths waiting, and invalidations in flight.
#[derive(Debug)]
pub struct Batcher {
    waiting: BTreeSet<String>,
    in_flight: Vec<(String, usize)>,
    max_per_batch: usize,
    max_in_flight: usize,
    sent: u64,
}

/// What one [`Batcher::tick`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    /// Paths sent in each batch created.
    pub batches: Vec<usize>,
    /// Invalidations that completed since the last tick.
    pub completed: usize,
    /// Paths still waiting for room.
    pub waiting: usize,
}

impl Batcher {
    /// An empty batcher with CloudFront's limits from `config`.
    pub fn new(config: &InvalidationConfig) -> Batcher {
        Batcher {
            waiting: BTreeSet::new(),
            in_flight: Vec::new(),
            max_per_batch: config.max_paths_per_batch.max(1),
            max_in_flight: config.max_paths_in_flight.max(1),
            sent: 0,
        }
    }

    /// Queues a path (duplicates collapse).
    pub fn push(&mut self, path: String) {
        self.waiting.insert(path);
    }

    fn paths_in_flight(&self) -> usize {
        self.in_flight.iter().map(|(_, n)| n).sum()
    }

    /// Frees the budget of completed invalidations, then sends as many batches as the budget
    /// allows. A failed call keeps its paths for the next tick.
    pub async fn tick(
        &mut self,
        plane: &dyn ControlPlane,
        now_secs: u64,
    ) -> Result<Tick, ControlPlaneError> {
        let mut tick = Tick::default();
        let mut still = Vec::with_capacity(self.in_flight.len());
        for (id, n) in std::mem::take(&mut self.in_flight) {
            match plane.is_complete(&id).await {
                Ok(true) => tick.completed += 1,
                Ok(false) => still.push((id, n)),
                Err(e) => {
                    still.push((id, n));
                    self.in_flight.extend(still);
                    return Err(e);
                }
            }
        }
        self.in_flight = still;
        loop {
            let room = self.max_in_flight.saturating_sub(self.paths_in_flight());
            let take = room.min(self.max_per_batch).min(self.waiting.len());
            if take == 0 {
                break;
            }
            let paths: Vec<String> = self.waiting.iter().take(take).cloned().collect();
            self.sent += 1;
            let reference = format!("mediagate-{now_secs}-{}-{}", std::process::id(), self.sent);
            let id = plane.create(&paths, &reference).await?;
            for p in &paths {
                self.waiting.remove(p);
            }
            self.in_flight.push((id, paths.len()));
            tick.batches.push(paths.len());
        }
        tick.waiting = self.waiting.len();
        Ok(tick)
    }
}

/// Where request handlers drop paths; a no-op when invalidations are off.
#[derive(Debug, Clone, Default)]
pub struct InvalidationQueue {
    tx: Option<mpsc::UnboundedSender<String>>,
}

impl InvalidationQueue {
    /// A queue that drops everything (invalidations off).
    pub fn disabled() -> InvalidationQueue {
        InvalidationQueue { tx: None }
    }

    /// Whether paths are sent at all (so callers can skip finding them).
    pub fn is_enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Queues the URL path of object `key` (`/` + the path CloudFront sees).
    pub fn queue_key(&self, key: &str) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(format!("/{}", crate::access::key_to_url_path(key)));
        }
    }

    /// Starts the batcher on the current runtime, sending through `plane` every `interval`.
    pub fn start(
        config: &InvalidationConfig,
        plane: Arc<dyn ControlPlane>,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> InvalidationQueue {
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let mut batcher = Batcher::new(config);
        let every = Duration::from_secs(config.interval_secs.max(1));
        tokio::spawn(async move {
            let mut timer = tokio::time::interval(every);
            loop {
                tokio::select! {
                    path = rx.recv() => match path {
                        Some(p) => batcher.push(p),
                        None => break,
                    },
                    _ = timer.tick() => {
                        match batcher.tick(plane.as_ref(), clock.now().seconds()).await {
                            Ok(t) if !t.batches.is_empty() => tracing::info!(batches = ?t.batches, waiting = t.waiting, "CloudFront invalidations sent"),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "CloudFront invalidation failed; will retry"),
                        }
                    }
                }
            }
        });
        InvalidationQueue { tx: Some(tx) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A stand-in for CloudFront's control plane (it has no local emulator): records batches and
    /// completes invalidations only when told to.
    #[derive(Debug, Default)]
    struct FakeControlPlane {
        created: Mutex<Vec<Vec<String>>>,
        complete: Mutex<BTreeSet<String>>,
        fail_next: Mutex<bool>,
    }

    #[async_trait]
    impl ControlPlane for FakeControlPlane {
        async fn create(&self, paths: &[String], _: &str) -> Result<String, ControlPlaneError> {
            if std::mem::take(&mut *self.fail_next.lock().unwrap()) {
                return Err(ControlPlaneError::Call {
                    call: "CreateInvalidation",
                    message: "TooManyInvalidationsInProgress".into(),
                });
            }
            let mut created = self.created.lock().unwrap();
            created.push(paths.to_vec());
            Ok(format!("I{}", created.len()))
        }
        async fn is_complete(&self, id: &str) -> Result<bool, ControlPlaneError> {
            Ok(self.complete.lock().unwrap().contains(id))
        }
    }

    fn config(per_batch: usize, in_flight: usize) -> InvalidationConfig {
        InvalidationConfig {
            max_paths_per_batch: per_batch,
            max_paths_in_flight: in_flight,
            ..InvalidationConfig::default()
        }
    }

    #[tokio::test]
    async fn fake_cloudfront_control_plane_batches_dedupe_and_respect_in_flight_limit() {
        let plane = FakeControlPlane::default();
        let mut b = Batcher::new(&config(3, 5));
        for i in [1, 2, 2, 3, 4, 5, 6, 7, 1] {
            b.push(format!("/u/{i}.jpg"));
        }
        // 7 distinct paths; 3 per batch; 5 in flight at most: 3 + 2 now.
        let t = b.tick(&plane, 0).await.unwrap();
        assert_eq!(t.batches, vec![3, 2]);
        assert_eq!(t.waiting, 2);
        // Nothing completed: no room, nothing sent.
        let t = b.tick(&plane, 1).await.unwrap();
        assert!(t.batches.is_empty());
        assert_eq!(t.waiting, 2);
        // The 3-path one completes: room for 3, two are waiting.
        plane.complete.lock().unwrap().insert("I1".into());
        let t = b.tick(&plane, 2).await.unwrap();
        assert_eq!((t.completed, t.batches.clone(), t.waiting), (1, vec![2], 0));
        let created = plane.created.lock().unwrap().clone();
        let all: Vec<String> = created.concat();
        let distinct: BTreeSet<_> = all.iter().cloned().collect();
        assert_eq!((all.len(), distinct.len()), (7, 7), "each path sent once");
    }

    #[tokio::test]
    async fn fake_cloudfront_control_plane_failure_keeps_the_paths() {
        let plane = FakeControlPlane::default();
        let mut b = Batcher::new(&config(10, 100));
        b.push("/a".into());
        *plane.fail_next.lock().unwrap() = true;
        assert!(b.tick(&plane, 0).await.is_err());
        let t = b.tick(&plane, 1).await.unwrap();
        assert_eq!(t.batches, vec![1]);
        assert_eq!(
            plane.created.lock().unwrap().concat(),
            vec!["/a".to_owned()]
        );
    }
}
