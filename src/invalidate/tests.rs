use std::collections::BTreeSet;
use std::sync::Mutex;

use super::*;
use crate::store::SqliteStore;

/// A stand-in for CloudFront's control plane, for what moto's server cannot do (refuse on
/// demand, hold invalidations in progress): records batches and completes invalidations only
/// when told to.
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

impl FakeControlPlane {
    fn sent(&self) -> Vec<String> {
        self.created.lock().unwrap().concat()
    }
}

fn config(per_batch: usize, in_flight: usize) -> InvalidationConfig {
    InvalidationConfig {
        max_paths_per_batch: per_batch,
        max_paths_in_flight: in_flight,
        interval_secs: 10,
        ..InvalidationConfig::default()
    }
}

async fn store() -> Arc<dyn Store> {
    Arc::new(SqliteStore::connect("sqlite::memory:", 4).await.unwrap())
}

async fn queue(store: &dyn Store, paths: impl IntoIterator<Item = u32>, at: u64) {
    for i in paths {
        store
            .queue_invalidation(&format!("/u/{i}.jpg"), Epoch(at).millis())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn fake_cloudfront_control_plane_batches_dedupe_and_respect_the_in_flight_limit() {
    let (store, plane) = (store().await, FakeControlPlane::default());
    let c = config(3, 5);
    queue(&*store, [1, 2, 2, 3, 4, 5, 6, 7, 1], 0).await;
    // 7 distinct paths; 3 per batch; 5 in flight at most: 3 + 2 now.
    let t = tick(&*store, &plane, &c, Epoch(0), None).await.unwrap();
    assert_eq!((t.batches, t.waiting), (vec![3, 2], 2));
    // Nothing completed: no room, nothing sent.
    let t = tick(&*store, &plane, &c, Epoch(1), None).await.unwrap();
    assert_eq!((t.batches, t.waiting), (vec![], 2));
    // The 3-path one completes: room for 3, two are waiting.
    plane.complete.lock().unwrap().insert("I1".into());
    let t = tick(&*store, &plane, &c, Epoch(2), None).await.unwrap();
    assert_eq!((t.completed, t.batches, t.waiting), (1, vec![2], 0));
    let all = plane.sent();
    let distinct: BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!((all.len(), distinct.len()), (7, 7), "each path sent once");
    let backlog = store.outbox_backlog().await.unwrap();
    assert_eq!((backlog.waiting, backlog.in_flight), (0, 4));
}

#[tokio::test]
async fn fake_cloudfront_control_plane_failure_keeps_the_paths_with_a_growing_backoff() {
    let (store, plane) = (store().await, FakeControlPlane::default());
    let c = config(10, 100);
    queue(&*store, [1], 0).await;
    *plane.fail_next.lock().unwrap() = true;
    assert!(matches!(
        tick(&*store, &plane, &c, Epoch(0), None).await,
        Err(TickError::ControlPlane(_))
    ));
    assert_eq!(
        store.outbox_backlog().await.unwrap().in_flight,
        0,
        "budget freed"
    );
    // First failure: 10 s × 1². Not before.
    let t = tick(&*store, &plane, &c, Epoch(9), None).await.unwrap();
    assert_eq!((t.batches, t.waiting), (vec![], 1));
    *plane.fail_next.lock().unwrap() = true;
    assert!(tick(&*store, &plane, &c, Epoch(10), None).await.is_err());
    // Second failure at 10: 10 s × 2² = 40 s later.
    let t = tick(&*store, &plane, &c, Epoch(49), None).await.unwrap();
    assert!(t.batches.is_empty());
    let t = tick(&*store, &plane, &c, Epoch(50), None).await.unwrap();
    assert_eq!(t.batches, vec![1]);
    assert_eq!(plane.sent(), ["/u/1.jpg"]);
}

#[tokio::test]
async fn fake_cloudfront_control_plane_two_senders_share_one_budget_and_each_path_goes_once() {
    let (store, plane) = (store().await, FakeControlPlane::default());
    let c = config(2, 6);
    queue(&*store, 0..20, 0).await;
    // Two replicas' senders at once, on one outbox.
    let (a, b) = tokio::join!(
        tick(&*store, &plane, &c, Epoch(1), None),
        tick(&*store, &plane, &c, Epoch(1), None)
    );
    let sent = a.unwrap().batches.len() + b.unwrap().batches.len();
    assert_eq!(
        sent, 3,
        "6 paths in flight at most, 2 a batch, whoever sends them"
    );
    let all = plane.sent();
    assert_eq!(
        all.iter().collect::<BTreeSet<_>>().len(),
        6,
        "no path twice"
    );
}

#[tokio::test]
async fn fake_cloudfront_control_plane_a_path_queued_again_while_its_batch_is_sent_is_sent_again() {
    let (store, plane) = (store().await, FakeControlPlane::default());
    let c = config(10, 100);
    queue(&*store, [1], 0).await;
    let claimed = store
        .claim_invalidations(BatchClaim {
            reference: "r1",
            max_paths: 10,
            max_in_flight: 100,
            now_ms: 0,
            stale_before_ms: -1,
        })
        .await
        .unwrap();
    assert_eq!(claimed, ["/u/1.jpg"]);
    // The image changes again while the batch is on its way.
    queue(&*store, [1], 1).await;
    store.invalidation_sent("r1", "I0").await.unwrap();
    let t = tick(&*store, &plane, &c, Epoch(2), None).await.unwrap();
    assert_eq!(t.batches, vec![1]);
}

#[tokio::test]
async fn fake_cloudfront_control_plane_paths_survive_a_restart_and_a_sender_that_died() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}/outbox.db", dir.path().display());
    let plane = FakeControlPlane::default();
    let c = config(10, 100);
    {
        let first = SqliteStore::connect(&url, 2).await.unwrap();
        queue(&first, [1, 2], 100).await;
        // A sender claims [1, 2] and dies before CloudFront hears of them.
        let claimed = first
            .claim_invalidations(BatchClaim {
                reference: "dead",
                max_paths: 1,
                max_in_flight: 100,
                now_ms: Epoch(100).millis(),
                stale_before_ms: 0,
            })
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
    }
    // The process is gone; another opens the same database.
    let second = SqliteStore::connect(&url, 2).await.unwrap();
    let t = tick(&second, &plane, &c, Epoch(101), None).await.unwrap();
    assert_eq!(
        (t.batches, t.waiting),
        (vec![1], 0),
        "the unclaimed one at once"
    );
    let t = tick(&second, &plane, &c, Epoch(100 + STALE_BATCH_SECS), None)
        .await
        .unwrap();
    assert!(t.batches.is_empty(), "the dead sender's claim still holds");
    let t = tick(&second, &plane, &c, Epoch(101 + STALE_BATCH_SECS), None)
        .await
        .unwrap();
    assert_eq!(t.batches, vec![1], "then its path is sent");
    let mut sent = plane.sent();
    sent.sort();
    assert_eq!(sent, ["/u/1.jpg", "/u/2.jpg"]);
}
