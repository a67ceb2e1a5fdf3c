//! What replicas share through the store: the upload allowance, reaper claims that never
//! overlap, and the invalidation outbox's budget, each under concurrent callers (on PostgreSQL
//! these are separate connections, as separate replicas would be).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::support::change;
use mediagate::store::{
    Admission, BatchClaim, Image, ImageStatus, ReapClaim, Store, UploadLimits, Visibility,
};

use super::{image, uid};

async fn user(store: &dyn Store, id: &str) {
    store
        .upsert_user(&format!("iss|{id}"), &uid(id), id, 1)
        .await
        .unwrap();
}

fn upload(owner: &str, n: u32) -> Image {
    image(
        owner,
        &format!("{owner}-u{n:03}"),
        1,
        Visibility::Private,
        ImageStatus::Pending,
    )
}

/// Three tickets a minute: a burst of three, then one every 20 s; others unaffected; a clock
/// that steps back mints nothing.
pub(super) async fn upload_allowance(store: &dyn Store) {
    user(store, "rita").await;
    user(store, "ravi").await;
    let limits = UploadLimits {
        max_pending: 100,
        per_minute: 3,
    };
    let t = 1_000_000;
    let mut n = 0;
    let mut take = |owner: &'static str, at: i64| {
        n += 1;
        let image = upload(owner, n);
        async move {
            store
                .insert_pending_image(&image, limits, &change(at))
                .await
                .unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(take("rita", t).await, Admission::Admitted);
    }
    assert_eq!(
        take("rita", t).await,
        Admission::RateLimited {
            retry_after_secs: 20
        }
    );
    assert_eq!(take("ravi", t).await, Admission::Admitted, "per user");
    assert_eq!(
        take("rita", t + 10_000).await,
        Admission::RateLimited {
            retry_after_secs: 10
        }
    );
    assert_eq!(take("rita", t + 20_000).await, Admission::Admitted);
    assert!(matches!(
        take("rita", t + 20_000).await,
        Admission::RateLimited { .. }
    ));
    assert!(
        matches!(
            take("rita", t - 60_000).await,
            Admission::RateLimited { .. }
        ),
        "a clock stepping back refills nothing"
    );
    // An hour later the bucket is full again, and no fuller.
    let later = t + 3_600_000;
    for _ in 0..3 {
        assert_eq!(take("rita", later).await, Admission::Admitted);
    }
    assert!(matches!(
        take("rita", later).await,
        Admission::RateLimited { .. }
    ));
    assert_eq!(store.count_pending(&uid("rita")).await.unwrap(), 7);
}

/// Thirty parallel tickets with ten a minute: exactly ten written, whoever asks.
pub(super) async fn parallel_allowance(store: Arc<dyn Store>) {
    user(&*store, "pia").await;
    let limits = UploadLimits {
        max_pending: 100,
        per_minute: 10,
    };
    let tasks: Vec<_> = (0..30)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .insert_pending_image(&upload("pia", n), limits, &change(5_000))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        if task.await.unwrap() == Admission::Admitted {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 10);
    assert_eq!(store.count_pending(&uid("pia")).await.unwrap(), 10);
}

/// Four passes at once over 40 due images: each image claimed by exactly one.
pub(super) async fn parallel_reaper_claims(store: Arc<dyn Store>) {
    user(&*store, "reo").await;
    for n in 0..40 {
        let mut i = upload("reo", 500 + n);
        i.status = ImageStatus::Deleted;
        store.insert_image(&i).await.unwrap();
    }
    let claim = ReapClaim {
        pending_before_ms: 0,
        now_ms: 50_000_000,
        until_ms: 50_100_000,
        limit: 15,
    };
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.claim_reapable(claim).await.unwrap() })
        })
        .collect();
    let mut seen = Vec::new();
    for task in tasks {
        seen.extend(
            task.await
                .unwrap()
                .into_iter()
                .map(|i| i.id.as_str().to_owned())
                .filter(|id| id.starts_with("reo-")),
        );
    }
    let distinct: BTreeSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "no image claimed twice");
    assert_eq!(seen.len(), 40, "every due image claimed once");
    for id in seen {
        store
            .remove_image(&mediagate::store::ImageId::parse(&id).unwrap(), &change(0))
            .await
            .unwrap();
    }
}

/// Four senders claiming at once share one in-flight budget; each path goes to one batch.
pub(super) async fn parallel_outbox_claims(store: Arc<dyn Store>) {
    for n in 0..50 {
        store
            .queue_invalidation(&format!("/c/{n:02}.jpg"), 1)
            .await
            .unwrap();
    }
    // Queued twice: still one path.
    store.queue_invalidation("/c/00.jpg", 2).await.unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|k| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let reference = format!("contract-{k}");
                store
                    .claim_invalidations(BatchClaim {
                        reference: &reference,
                        max_paths: 8,
                        max_in_flight: 20,
                        now_ms: 10,
                        stale_before_ms: 0,
                    })
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for task in tasks {
        let paths = task.await.unwrap();
        assert!(paths.len() <= 8);
        claimed.extend(paths);
    }
    let distinct: BTreeSet<_> = claimed.iter().collect();
    assert_eq!(distinct.len(), claimed.len(), "no path in two batches");
    assert_eq!(claimed.len(), 20, "the budget, no more");
    let backlog = store.outbox_backlog().await.unwrap();
    assert_eq!((backlog.waiting, backlog.in_flight), (30, 20));
    // Sent, then completed: the budget is free and the paths are gone.
    for k in 0..4 {
        let reference = format!("contract-{k}");
        store
            .invalidation_sent(&reference, &format!("I{k}"))
            .await
            .unwrap();
    }
    let in_progress = store.invalidations_in_progress(10).await.unwrap();
    assert!(in_progress.len() >= 3, "{in_progress:?}");
    for batch in in_progress {
        store
            .invalidation_completed(&batch.reference)
            .await
            .unwrap();
    }
    let backlog = store.outbox_backlog().await.unwrap();
    assert_eq!((backlog.waiting, backlog.in_flight), (30, 0));
    // A failure puts a batch's paths back, due after the backoff.
    let claim = |reference, now_ms| BatchClaim {
        reference,
        max_paths: 100,
        max_in_flight: 100,
        now_ms,
        stale_before_ms: 0,
    };
    assert_eq!(
        store
            .claim_invalidations(claim("f1", 20))
            .await
            .unwrap()
            .len(),
        30
    );
    store.invalidation_failed("f1", 20, 1000).await.unwrap();
    assert!(
        store
            .claim_invalidations(claim("f2", 1019))
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.claim_invalidations(claim("f3", 1020)).await.unwrap();
    assert_eq!(again.len(), 30);
    store.invalidation_sent("f3", "I9").await.unwrap();
    store.invalidation_completed("f3").await.unwrap();
    assert_eq!(store.outbox_backlog().await.unwrap(), Default::default());
}

/// A change and its invalidation are one transaction: queued when the image changed, not when
/// nothing did.
pub(super) async fn invalidation_with_the_change(store: &dyn Store) {
    user(store, "ivy").await;
    let mut i = upload("ivy", 900);
    i.status = ImageStatus::Ready;
    i.visibility = Visibility::Public;
    store.insert_image(&i).await.unwrap();
    let waiting = || async { store.outbox_backlog().await.unwrap().waiting };
    assert_eq!(waiting().await, 0);
    let missing = mediagate::store::ImageId::parse("ivy-missing").unwrap();
    assert!(
        store
            .set_visibility(
                &missing,
                Visibility::Private,
                &change(5).invalidating(Some("/ivy/missing"))
            )
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(waiting().await, 0, "nothing changed, nothing queued");
    store
        .set_visibility(
            &i.id,
            Visibility::Private,
            &change(5).invalidating(Some("/ivy/a")),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(waiting().await, 1);
    // A status move from the wrong status changes nothing and queues nothing.
    assert!(
        store
            .set_status(
                &i.id,
                ImageStatus::Pending,
                ImageStatus::Deleted,
                mediagate::store::AuditAction::ImageDeleted,
                &change(6).invalidating(Some("/ivy/b"))
            )
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(waiting().await, 1);
    store
        .set_status(
            &i.id,
            ImageStatus::Ready,
            ImageStatus::Deleted,
            mediagate::store::AuditAction::ImageDeleted,
            &change(6).invalidating(Some("/ivy/b")),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(waiting().await, 2);
    let claim = BatchClaim {
        reference: "ivy",
        max_paths: 10,
        max_in_flight: 10,
        now_ms: 10,
        stale_before_ms: 0,
    };
    assert_eq!(
        store.claim_invalidations(claim).await.unwrap(),
        ["/ivy/a", "/ivy/b"]
    );
    store.invalidation_sent("ivy", "I-ivy").await.unwrap();
    store.invalidation_completed("ivy").await.unwrap();
    store.remove_image(&i.id, &change(0)).await.unwrap();
}
