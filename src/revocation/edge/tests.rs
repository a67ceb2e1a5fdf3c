//! `fake_kvs_*`: the sender against an in-memory KeyValueStore (`tests/fake_kvs.rs`) on a real
//! (SQLite) outbox. `real_sdk_over_http_*` (`tests/real_sdk.rs`): the SDK client against a local
//! HTTP server.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::cloudfront::Epoch;
use crate::store::{Actor, Change, ImageId, Revoke, SqliteStore, UserId};

mod fake_kvs;
mod real_sdk;

use fake_kvs::{FailingDescribe, FakeKvs, conflict, other};

/// 2027-01-15T08:00:00Z, in milliseconds.
const T: i64 = 1_800_000_000_000;
const REVOKE: Revoke = Revoke {
    link_lifetime_ms: 3_900_000,
    max_entries: 100,
};
static ACTOR: Actor = Actor {
    user: None,
    request_id: None,
    client: None,
};

async fn store() -> Arc<dyn Store> {
    Arc::new(SqliteStore::connect("sqlite::memory:", 4).await.unwrap())
}

fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

/// Users `u000`…, each with their whole account revoked at `at_ms`: one entry `u000/` each.
async fn revoke_accounts(store: &dyn Store, n: usize, at_ms: i64) -> Vec<String> {
    let mut prefixes = Vec::new();
    for i in 0..n {
        let id = uid(&format!("u{i:03}"));
        store
            .upsert_user(&format!("iss|{id}"), &id, id.as_str(), 1)
            .await
            .unwrap();
        let change = Change::by(&ACTOR, at_ms).revoking(Some(REVOKE));
        store.revoke_account_links(&id, &change).await.unwrap();
        prefixes.push(format!("{id}/"));
    }
    prefixes
}

async fn round(store: &dyn Store, kvs: &FakeKvs, now_ms: i64) -> Result<Synced, SyncFailed> {
    sync_once(store, kvs, now_ms, &Limits::default()).await
}

/// Whether the outbox still has `owner`'s account floor.
async fn held(store: &dyn Store, owner: &str) -> bool {
    let image = ImageId::parse("any").unwrap();
    !store
        .revocation_floors(&uid(owner), &image)
        .await
        .unwrap()
        .is_empty()
}

#[tokio::test]
async fn fake_kvs_puts_go_in_batches_of_at_most_50_with_one_describe() {
    let (store, kvs) = (store().await, FakeKvs::default());
    let prefixes = revoke_accounts(&*store, 120, T).await;
    let done = round(&*store, &kvs, T).await.unwrap();
    assert_eq!((done.put, done.deleted, done.batches), (120, 0, 3));
    assert!(!done.more);
    let sizes: Vec<usize> = kvs
        .updates()
        .iter()
        .map(|(p, d)| p.len() + d.len())
        .collect();
    assert_eq!(sizes, [50, 50, 20]);
    // Each update's answer carries the next ETag: only the first batch needs a describe.
    assert_eq!(kvs.describes(), 1);
    let floor = (T / 1000).to_string();
    let keys = kvs.keys();
    assert_eq!(keys.len(), 120);
    assert!(prefixes.iter().all(|p| keys.get(p) == Some(&floor)));
    // The edge holds them all: nothing is due again.
    assert_eq!(
        round(&*store, &kvs, T + 1_000).await.unwrap(),
        Synced::default()
    );
    assert_eq!(kvs.updates().len(), 3);
}

#[tokio::test]
async fn fake_kvs_a_stale_etag_is_read_again_and_the_batch_resent() {
    let (store, kvs) = (store().await, FakeKvs::default());
    revoke_accounts(&*store, 3, T).await;
    kvs.script([Some(conflict()), Some(conflict())]);
    let done = round(&*store, &kvs, T).await.unwrap();
    assert_eq!(done.put, 3);
    assert_eq!(kvs.describes(), 3, "a fresh ETag after each conflict");
    assert_eq!(kvs.keys().len(), 3);
}

#[tokio::test]
async fn fake_kvs_conflicts_past_the_retries_leave_the_batch_for_a_later_round() {
    let (store, kvs) = (store().await, FakeKvs::default());
    revoke_accounts(&*store, 3, T).await;
    kvs.script(std::iter::repeat_with(|| Some(conflict())).take(6));
    let failed = round(&*store, &kvs, T).await.unwrap_err();
    assert!(matches!(
        failed.error,
        SyncError::Edge(EdgeStoreError::Conflict { .. })
    ));
    assert_eq!((failed.done.put, failed.error.call()), (0, "UpdateKeys"));
    assert_eq!(kvs.describes(), 6, "the first try and five retries");
    assert!(kvs.keys().is_empty());
    // Claimed by the failed round until its claim lapses, then sent.
    let lapsed = T + Limits::default().claim_ms + 1;
    assert_eq!(round(&*store, &kvs, lapsed).await.unwrap().put, 3);
}

#[tokio::test]
async fn fake_kvs_a_failure_loses_nothing_and_a_later_round_sends_the_rest() {
    let (store, kvs) = (store().await, FakeKvs::default());
    let prefixes = revoke_accounts(&*store, 60, T).await;
    // The first batch goes through; the second fails, after the SDK's own retries.
    kvs.script([None, Some(other("UpdateKeys"))]);
    let failed = round(&*store, &kvs, T).await.unwrap_err();
    assert_eq!((failed.done.put, failed.done.batches), (50, 1));
    assert_eq!(failed.error.call(), "UpdateKeys");
    assert!(failed.to_string().contains("put 50"), "{failed}");
    assert_eq!(kvs.keys().len(), 50);
    // The first batch was recorded; the second is claimed until its claim lapses.
    assert_eq!(
        round(&*store, &kvs, T + 5_000).await.unwrap(),
        Synced::default()
    );
    let lapsed = T + Limits::default().claim_ms + 1;
    let done = round(&*store, &kvs, lapsed).await.unwrap();
    assert_eq!((done.put, done.batches), (10, 1));
    let keys = kvs.keys();
    assert!(prefixes.iter().all(|p| keys.contains_key(p)), "none lost");

    // A failure to read the ETag stops the round the same way.
    revoke_accounts(&*store, 1, lapsed).await;
    let broken = FailingDescribe;
    let failed = sync_once(&*store, &broken, lapsed, &Limits::default())
        .await
        .unwrap_err();
    assert_eq!(failed.error.call(), "DescribeKeyValueStore");
    let relapsed = lapsed + Limits::default().claim_ms + 1;
    assert_eq!(round(&*store, &kvs, relapsed).await.unwrap().put, 1);
}

#[tokio::test]
async fn fake_kvs_a_throttled_update_stops_the_round_with_its_call() {
    let (store, kvs) = (store().await, FakeKvs::default());
    revoke_accounts(&*store, 2, T).await;
    kvs.script([Some(EdgeStoreError::Throttled {
        call: "UpdateKeys",
        message: "Rate exceeded".into(),
    })]);
    let failed = round(&*store, &kvs, T).await.unwrap_err();
    assert!(matches!(
        failed.error,
        SyncError::Edge(EdgeStoreError::Throttled { .. })
    ));
    assert!(kvs.keys().is_empty());
}

#[tokio::test]
async fn fake_kvs_expired_floors_are_deleted_at_the_edge_then_from_the_table() {
    let (store, kvs) = (store().await, FakeKvs::default());
    revoke_accounts(&*store, 3, T).await;
    assert_eq!(round(&*store, &kvs, T).await.unwrap().put, 3);
    // Still live a moment before every link it outlaws has expired.
    let expiry = T + REVOKE.link_lifetime_ms;
    assert_eq!(
        round(&*store, &kvs, expiry - 1).await.unwrap(),
        Synced::default()
    );
    let done = round(&*store, &kvs, expiry).await.unwrap();
    assert_eq!((done.put, done.deleted, done.batches), (0, 3, 1));
    assert!(kvs.keys().is_empty());
    assert_eq!(
        kvs.updates().last().map(|(p, d)| (p.len(), d.len())),
        Some((0, 3))
    );
    assert!(!held(&*store, "u000").await, "gone from the table too");
    assert_eq!(
        round(&*store, &kvs, expiry + 1).await.unwrap(),
        Synced::default()
    );
}

#[tokio::test]
async fn fake_kvs_a_delete_of_a_key_already_gone_does_not_hold_back_the_others() {
    let (store, kvs) = (store().await, FakeKvs::default());
    kvs.state.lock().unwrap().missing_delete_not_found = true;
    revoke_accounts(&*store, 3, T).await;
    assert_eq!(round(&*store, &kvs, T).await.unwrap().put, 3);
    // A sender deleted u001/ and died before recording it.
    kvs.state.lock().unwrap().keys.remove("u001/");
    let expiry = T + REVOKE.link_lifetime_ms;
    let done = round(&*store, &kvs, expiry).await.unwrap();
    assert_eq!(done.deleted, 3);
    assert!(kvs.keys().is_empty());
    for owner in ["u000", "u001", "u002"] {
        assert!(!held(&*store, owner).await, "{owner}");
    }
}

#[tokio::test]
async fn fake_kvs_a_raised_floor_is_sent_again() {
    let (store, kvs) = (store().await, FakeKvs::default());
    revoke_accounts(&*store, 1, T).await;
    round(&*store, &kvs, T).await.unwrap();
    assert_eq!(kvs.keys().get("u000/"), Some(&(T / 1000).to_string()));
    let again = T + 10_000;
    let change = Change::by(&ACTOR, again).revoking(Some(REVOKE));
    store
        .revoke_account_links(&uid("u000"), &change)
        .await
        .unwrap();
    let done = round(&*store, &kvs, again).await.unwrap();
    assert_eq!(done.put, 1);
    assert_eq!(kvs.keys().get("u000/"), Some(&(again / 1000).to_string()));
    assert_eq!(
        round(&*store, &kvs, again + 1).await.unwrap(),
        Synced::default()
    );
}

#[tokio::test]
async fn fake_kvs_a_round_stops_at_its_bound_and_says_more_is_due() {
    let (store, kvs) = (store().await, FakeKvs::default());
    revoke_accounts(&*store, 25, T).await;
    let limits = Limits {
        keys_per_update: 10,
        batches_per_round: 2,
        ..Limits::default()
    };
    let first = sync_once(&*store, &kvs, T, &limits).await.unwrap();
    assert_eq!((first.put, first.batches, first.more), (20, 2, true));
    let second = sync_once(&*store, &kvs, T, &limits).await.unwrap();
    assert_eq!((second.put, second.batches, second.more), (5, 1, false));
    // Asking for more than AWS allows still sends at most 50 keys a call.
    let wide = Limits {
        keys_per_update: 500,
        ..Limits::default()
    };
    revoke_accounts(&*store, 80, T + 1_000).await;
    sync_once(&*store, &kvs, T + 1_000, &wide).await.unwrap();
    assert!(kvs.updates().iter().all(|(p, d)| p.len() + d.len() <= 50));
}

/// A clock held at one time.
#[derive(Debug)]
struct Fixed(i64);

impl Clock for Fixed {
    fn now(&self) -> Epoch {
        Epoch(u64::try_from(self.0 / 1000).unwrap())
    }
}

#[tokio::test]
async fn fake_kvs_the_sender_wakes_on_a_revocation_and_stops_on_shutdown() {
    let store = store().await;
    let kvs = Arc::new(FakeKvs::default());
    let revocations = Revocations::new();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let sender = tokio::spawn(run_sender(
        Arc::clone(&store),
        Arc::clone(&kvs) as Arc<dyn EdgeStore>,
        revocations.clone(),
        // Long enough that only the wake can explain a send.
        Duration::from_secs(3600),
        Arc::new(Fixed(T)),
        None,
        async move {
            let _ = stopped.await;
        },
    ));
    // Let the first round (at start, with nothing due) pass.
    tokio::time::sleep(Duration::from_millis(50)).await;
    revoke_accounts(&*store, 1, T).await;
    revocations.wake();
    let sent = tokio::time::timeout(Duration::from_secs(10), async {
        while kvs.keys().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(sent.is_ok(), "the wake sent the floor");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), sender)
        .await
        .expect("the sender stops on shutdown")
        .unwrap();
}
