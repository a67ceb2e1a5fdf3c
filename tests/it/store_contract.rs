//! The store contract: one suite, written once against `Arc<dyn Store>`, run on every backend.
//!
//! SQLite runs in a temporary file (and in memory). PostgreSQL runs in a fresh database
//! `mediagate_test_<hex>` on `MEDIAGATE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards even when the suite fails.
//! An unreachable PostgreSQL fails the run unless `MEDIAGATE_SKIP_POSTGRES=1`.

// clippy.toml allows unwrap in `#[test]` functions only; the suite lives in plain async helpers, and
// in them, too, an unwrap that fails is a test that fails, at its line.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::io::Write as _;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mediagate::store::{
    self, Image, ImageId, ImageStatus, PageAfter, PostgresStore, Seed, SeedReport, SqliteStore,
    Store, StoreError, User, UserId, Visibility,
};
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const SKIPPED: &str = "POSTGRESQL CONTRACT TESTS NOT RUN";

fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

fn iid(s: &str) -> ImageId {
    ImageId::parse(s).unwrap()
}

/// An image of `owner` with everything else derived from `id`, so two calls never share a key.
fn image(
    owner: &str,
    id: &str,
    created_at_ms: i64,
    visibility: Visibility,
    status: ImageStatus,
) -> Image {
    Image {
        id: iid(id),
        owner_id: uid(owner),
        key: format!("{owner}/{id}/photo.jpg"),
        visibility,
        status,
        content_type: "image/jpeg".into(),
        size: 1234,
        sha256: None,
        created_at_ms,
        updated_at_ms: created_at_ms,
    }
}

fn ids(images: &[Image]) -> Vec<&str> {
    images.iter().map(|i| i.id.as_str()).collect()
}

// ------------------------------------------------------------------------------------------------
// The suite.

/// Every behaviour the trait's doc comments promise, on a store with freshly run migrations.
async fn contract(store: Arc<dyn Store>, seeder: &dyn Seed) {
    store.ping().await.unwrap();
    users(&*store).await;
    images(&*store).await;
    images_by_owner(&*store).await;
    crate::store_friends::friendships(&*store).await;
    crate::store_friends::pending_cap(Arc::clone(&store)).await;
    updates(&*store).await;
    lifecycle(&*store).await;
    seed(&*store, seeder).await;
}

/// Status transitions are compare-and-set; the reaper's queries find what they promise.
async fn lifecycle(store: &dyn Store) {
    store
        .upsert_user("iss|lee", &uid("lee"), "Lee", 1)
        .await
        .unwrap();
    let lee = uid("lee");
    assert_eq!(store.count_pending(&lee).await.unwrap(), 0);
    let rows = [
        ("lee-p-old", 100, ImageStatus::Pending),
        ("lee-p-new", 900, ImageStatus::Pending),
        ("lee-f-old", 110, ImageStatus::Failed),
        ("lee-f-new", 910, ImageStatus::Failed),
        ("lee-d-new", 950, ImageStatus::Deleted),
        ("lee-r-old", 50, ImageStatus::Ready),
    ];
    for (id, at, status) in rows {
        store
            .insert_image(&image("lee", id, at, Visibility::Private, status))
            .await
            .unwrap();
    }
    assert_eq!(store.count_pending(&lee).await.unwrap(), 2);
    // Deleted images whatever their age; pending and failed ones only when older than the cutoff.
    // (Other parts of the suite left images of their own; only Lee's are looked at.)
    let mut due = ids(&store.reapable(500, 100).await.unwrap())
        .into_iter()
        .filter(|id| id.starts_with("lee-"))
        .map(str::to_owned)
        .collect::<Vec<_>>();
    due.sort();
    assert_eq!(due, ["lee-d-new", "lee-f-old", "lee-p-old"]);
    assert_eq!(store.reapable(500, 2).await.unwrap().len(), 2, "limit");

    // A transition from the wrong status changes nothing.
    assert_eq!(
        store
            .set_status(
                &iid("lee-d-new"),
                ImageStatus::Pending,
                ImageStatus::Ready,
                999
            )
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .image(&iid("lee-d-new"))
            .await
            .unwrap()
            .unwrap()
            .status,
        ImageStatus::Deleted,
        "a deleted image is never revived"
    );
    let moved = store
        .set_status(
            &iid("lee-p-new"),
            ImageStatus::Pending,
            ImageStatus::Deleted,
            999,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (moved.status, moved.updated_at_ms),
        (ImageStatus::Deleted, 999)
    );
    assert_eq!(store.count_pending(&lee).await.unwrap(), 1);

    assert!(store.remove_image(&iid("lee-d-new")).await.unwrap());
    assert!(!store.remove_image(&iid("lee-d-new")).await.unwrap());
    assert_eq!(store.image(&iid("lee-d-new")).await.unwrap(), None);
    for (id, ..) in rows {
        store.remove_image(&iid(id)).await.unwrap();
    }
}

async fn users(store: &dyn Store) {
    assert_eq!(store.user(&uid("nobody")).await.unwrap(), None);

    let created = store
        .upsert_user("iss|alice", &uid("alice"), "Alice", 1_000)
        .await
        .unwrap();
    let expected = User {
        id: uid("alice"),
        subject: "iss|alice".into(),
        username: "Alice".into(),
        created_at_ms: 1_000,
    };
    assert_eq!(created, expected);
    assert_eq!(
        store.user(&uid("alice")).await.unwrap(),
        Some(expected.clone())
    );

    // Seen again (the caller proposes a new id each time): same user, new name, same birth.
    let again = store
        .upsert_user("iss|alice", &uid("alice-2"), "Alice B.", 2_000)
        .await
        .unwrap();
    let renamed = User {
        username: "Alice B.".into(),
        ..expected
    };
    assert_eq!(again, renamed);
    assert_eq!(store.user(&uid("alice")).await.unwrap(), Some(renamed));
    assert_eq!(
        store.user(&uid("alice-2")).await.unwrap(),
        None,
        "no second user made"
    );

    // A new subject whose proposed id is taken.
    let taken = store
        .upsert_user("iss|mallory", &uid("alice"), "Mallory", 3_000)
        .await;
    assert!(
        matches!(&taken, Err(StoreError::Conflict(what)) if what.contains("alice")),
        "{taken:?}"
    );
    assert_eq!(
        store.user(&uid("alice")).await.unwrap().unwrap().subject,
        "iss|alice"
    );

    // A known subject whose proposed id belongs to someone else: the subject decides, the id is
    // ignored, nobody is touched but the subject's user.
    let bob = store
        .upsert_user("iss|bob", &uid("bob"), "Bob", 4_000)
        .await
        .unwrap();
    let alice = store
        .upsert_user("iss|alice", &uid("bob"), "Alice C.", 5_000)
        .await
        .unwrap();
    assert_eq!(
        (alice.id.as_str(), alice.username.as_str()),
        ("alice", "Alice C.")
    );
    assert_eq!(store.user(&uid("bob")).await.unwrap(), Some(bob));
}

async fn images(store: &dyn Store) {
    store
        .upsert_user("iss|ivy", &uid("ivy"), "Ivy", 1)
        .await
        .unwrap();
    assert_eq!(store.image(&iid("ivy-none")).await.unwrap(), None);

    // Every field different from every other and from the defaults.
    let full = Image {
        id: iid("ivy-full"),
        owner_id: uid("ivy"),
        key: "ivy/ivy-full/holiday photo.png".into(),
        visibility: Visibility::Friends,
        status: ImageStatus::Pending,
        content_type: "image/png".into(),
        size: 9_876_543_210,
        sha256: Some("ab".repeat(32)),
        created_at_ms: 1_700_000_000_123,
        updated_at_ms: 1_700_000_000_456,
    };
    store.insert_image(&full).await.unwrap();
    assert_eq!(store.image(&full.id).await.unwrap(), Some(full.clone()));

    let plain = image(
        "ivy",
        "ivy-plain",
        5,
        Visibility::Private,
        ImageStatus::Failed,
    );
    store.insert_image(&plain).await.unwrap();
    assert_eq!(store.image(&plain.id).await.unwrap(), Some(plain.clone()));

    let same_id = Image {
        key: "ivy/ivy-full/other.jpg".into(),
        ..full.clone()
    };
    let err = store.insert_image(&same_id).await;
    assert!(
        matches!(&err, Err(StoreError::Conflict(what)) if what == "image ivy-full"),
        "{err:?}"
    );

    let same_key = Image {
        id: iid("ivy-copy"),
        ..full.clone()
    };
    let err = store.insert_image(&same_key).await;
    assert!(
        matches!(&err, Err(StoreError::Conflict(what)) if what == "image ivy-copy"),
        "{err:?}"
    );
    assert_eq!(store.image(&iid("ivy-copy")).await.unwrap(), None);
    assert_eq!(
        store.image(&full.id).await.unwrap(),
        Some(full),
        "the original is untouched"
    );

    // Foreign keys are enforced (SQLite leaves them off unless asked).
    let orphan = image(
        "ghost",
        "ghost-1",
        1,
        Visibility::Public,
        ImageStatus::Ready,
    );
    let err = store.insert_image(&orphan).await;
    assert!(matches!(err, Err(StoreError::Database(_))), "{err:?}");
}

async fn images_by_owner(store: &dyn Store) {
    use ImageStatus::{Deleted, Pending, Ready};
    use Visibility::{Friends, Private, Public};

    for (subject, id) in [("iss|bob", "bob"), ("iss|eve", "eve")] {
        store.upsert_user(subject, &uid(id), id, 1).await.unwrap();
    }
    // Ties on created_at_ms fall to id DESC, in byte order ("b-a" > "b-Z" > "b-D").
    let public_ready = [
        ("b-g", 50),
        ("b-h", 100),
        ("b-e", 200),
        ("b-a", 300),
        ("b-c", 300),
        ("b-Z", 300),
        ("b-f", 300),
        ("b-a2", 300),
        ("b-D", 300),
    ];
    for (id, at) in public_ready {
        store
            .insert_image(&image("bob", id, at, Public, Ready))
            .await
            .unwrap();
    }
    for (id, at, visibility, status) in [
        ("b-private", 400, Private, Ready),
        ("b-friends", 350, Friends, Ready),
        ("b-pending", 500, Public, Pending),
        ("b-deleted", 600, Public, Deleted),
    ] {
        store
            .insert_image(&image("bob", id, at, visibility, status))
            .await
            .unwrap();
    }
    store
        .insert_image(&image("eve", "e-1", 250, Public, Ready))
        .await
        .unwrap();

    let public = [
        "b-f", "b-c", "b-a2", "b-a", "b-Z", "b-D", "b-e", "b-h", "b-g",
    ];
    let public = &public[..];
    let bob = uid("bob");
    let page = |visibilities: &'static [Visibility], status, after: Option<PageAfter>, limit| {
        let bob = bob.clone();
        async move {
            store
                .images_by_owner(&bob, status, visibilities, after.as_ref(), limit)
                .await
                .unwrap()
        }
    };

    // Fix the expectation so the test does not depend on my reading of it.
    let mut by_rule: Vec<(i64, &str)> = public_ready.iter().map(|&(id, at)| (at, id)).collect();
    by_rule.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.as_bytes().cmp(a.1.as_bytes())));
    assert_eq!(by_rule.iter().map(|p| p.1).collect::<Vec<_>>(), public);

    assert_eq!(ids(&page(&[Public], Ready, None, 100).await), public);
    assert_eq!(ids(&page(&[Public], Ready, None, 3).await), &public[..3]);
    assert!(page(&[Public], Ready, None, 0).await.is_empty());

    // Pagination: every page size walks the same sequence, the cursor going through the ties.
    for limit in 1..=4u32 {
        let mut walked = Vec::new();
        let mut after = None;
        loop {
            let got = page(&[Public], Ready, after.clone(), limit).await;
            assert!(got.len() <= limit as usize);
            let Some(last) = got.last() else { break };
            after = Some(PageAfter {
                created_at_ms: last.created_at_ms,
                id: last.id.clone(),
            });
            walked.extend(got.iter().map(|i| i.id.to_string()));
            assert!(
                walked.len() <= public.len(),
                "limit {limit}: runs past the end: {walked:?}"
            );
        }
        assert_eq!(walked, public, "limit {limit}");
    }
    // A cursor in the middle of a tie.
    let after = PageAfter {
        created_at_ms: 300,
        id: iid("b-a2"),
    };
    assert_eq!(
        ids(&page(&[Public], Ready, Some(after), 100).await),
        &public[3..]
    );
    // A cursor that is not an existing image still means "strictly after".
    let after = PageAfter {
        created_at_ms: 300,
        id: iid("b-b"),
    };
    assert_eq!(
        ids(&page(&[Public], Ready, Some(after), 2).await),
        ["b-a2", "b-a"]
    );

    // Visibility filter.
    let with_friends = page(&[Public, Friends], Ready, None, 100).await;
    assert_eq!(ids(&with_friends)[0], "b-friends");
    assert_eq!(&ids(&with_friends)[1..], public);
    assert_eq!(
        ids(&page(&[Friends, Public], Ready, None, 100).await),
        ids(&with_friends)
    );
    assert_eq!(
        ids(&page(&[Private], Ready, None, 100).await),
        ["b-private"]
    );
    assert_eq!(
        ids(&page(&[Private, Private], Ready, None, 100).await),
        ["b-private"]
    );
    let everything = page(&[Private, Friends, Public], Ready, None, 100).await;
    assert_eq!(ids(&everything)[..2], ["b-private", "b-friends"]);
    assert_eq!(&ids(&everything)[2..], public);
    assert!(page(&[], Ready, None, 100).await.is_empty());

    // Status filter.
    assert_eq!(
        ids(&page(&[Public], Pending, None, 100).await),
        ["b-pending"]
    );
    assert_eq!(
        ids(&page(&[Public], Deleted, None, 100).await),
        ["b-deleted"]
    );
    assert!(
        page(&[Public], ImageStatus::Failed, None, 100)
            .await
            .is_empty()
    );

    // Whole rows come back, and only the owner's.
    let eve = store
        .images_by_owner(&uid("eve"), Ready, &[Public], None, 100)
        .await
        .unwrap();
    assert_eq!(eve, [image("eve", "e-1", 250, Public, Ready)]);
    let nobody = store
        .images_by_owner(&uid("nobody"), Ready, &[Public], None, 100)
        .await
        .unwrap();
    assert!(nobody.is_empty());
}

async fn updates(store: &dyn Store) {
    store
        .upsert_user("iss|uma", &uid("uma"), "Uma", 1)
        .await
        .unwrap();
    let original = Image {
        sha256: Some("cd".repeat(32)),
        ..image(
            "uma",
            "uma-1",
            100,
            Visibility::Private,
            ImageStatus::Pending,
        )
    };
    store.insert_image(&original).await.unwrap();

    let visible = store
        .set_visibility(&original.id, Visibility::Public, 200)
        .await
        .unwrap();
    let expected = Image {
        visibility: Visibility::Public,
        updated_at_ms: 200,
        ..original.clone()
    };
    assert_eq!(visible, Some(expected.clone()));
    assert_eq!(
        store.image(&original.id).await.unwrap(),
        Some(expected.clone())
    );

    let ready = store
        .set_status(&original.id, ImageStatus::Pending, ImageStatus::Ready, 300)
        .await
        .unwrap();
    let expected = Image {
        status: ImageStatus::Ready,
        updated_at_ms: 300,
        ..expected
    };
    assert_eq!(ready, Some(expected.clone()));
    assert_eq!(store.image(&original.id).await.unwrap(), Some(expected));

    let missing = iid("uma-missing");
    assert_eq!(
        store
            .set_visibility(&missing, Visibility::Public, 400)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .set_status(&missing, ImageStatus::Ready, ImageStatus::Deleted, 400)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.image(&missing).await.unwrap(),
        None,
        "an update does not create"
    );
}

/// Seeding through `seeder`, read back through `store`.
async fn seed(store: &dyn Store, seeder: &dyn Seed) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let record = {
        let calls = calls.clone();
        move |rows: u64| calls.lock().unwrap().push(rows)
    };

    let report = seeder.seed(3, 5, "seed", 777, &record).await.unwrap();
    assert_eq!(
        report,
        SeedReport {
            users: 3,
            images: 15
        }
    );
    let seen = calls.lock().unwrap().clone();
    assert!(!seen.is_empty(), "progress never called");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "progress goes backwards: {seen:?}"
    );

    for i in 0..3 {
        let id = format!("u{i:04}");
        let user = store.user(&uid(&id)).await.unwrap().unwrap();
        let expected = User {
            id: uid(&id),
            subject: format!("seed|{id}"),
            username: id.clone(),
            created_at_ms: 777,
        };
        assert_eq!(user, expected);
    }
    assert_eq!(store.user(&uid("u0003")).await.unwrap(), None);

    let got = store
        .images_by_owner(
            &uid("u0001"),
            ImageStatus::Ready,
            &[Visibility::Public],
            None,
            100,
        )
        .await
        .unwrap();
    let expected: Vec<Image> = (0..5i64)
        .rev()
        .map(|n| Image {
            id: iid(&format!("u0001-{n:04}")),
            owner_id: uid("u0001"),
            key: format!("u0001/u0001-{n:04}/{n:04}.jpg"),
            visibility: Visibility::Public,
            status: ImageStatus::Ready,
            content_type: "image/jpeg".into(),
            size: 1000 + n,
            sha256: None,
            created_at_ms: 777,
            updated_at_ms: 777,
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(store.image(&iid("u0002-0005")).await.unwrap(), None);
    assert_eq!(
        store
            .image(&iid("u0002-0004"))
            .await
            .unwrap()
            .map(|i| i.key),
        Some("u0002/u0002-0004/0004.jpg".to_owned())
    );

    // Again: nothing new. Larger: only the difference.
    let report = seeder.seed(3, 5, "seed", 888, &|_| {}).await.unwrap();
    assert_eq!(
        report,
        SeedReport {
            users: 0,
            images: 0
        }
    );
    let report = seeder.seed(4, 6, "seed", 999, &|_| {}).await.unwrap();
    assert_eq!(
        report,
        SeedReport {
            users: 1,
            images: 9
        }
    );
    let first = store.image(&iid("u0000-0000")).await.unwrap().unwrap();
    assert_eq!(first.created_at_ms, 777, "an existing image is left alone");
    let added = store.image(&iid("u0000-0005")).await.unwrap().unwrap();
    assert_eq!((added.created_at_ms, added.size), (999, 1005));

    // Past 9999 the numbers just grow: u10000, not u1000 or u0000.
    let report = seeder.seed(10_001, 1, "seed", 1, &|_| {}).await.unwrap();
    assert_eq!(
        report,
        SeedReport {
            users: 10_001 - 4,
            images: 10_001 - 4
        }
    );
    let last = store.image(&iid("u10000-0000")).await.unwrap().unwrap();
    assert_eq!(last.key, "u10000/u10000-0000/0000.jpg");
    assert_eq!(
        store.user(&uid("u10000")).await.unwrap().unwrap().subject,
        "seed|u10000"
    );
}

// ------------------------------------------------------------------------------------------------
// Corrupt rows: the schema refuses them, and a store that meets one anyway says Corrupt.

/// Raw access to a backend's database, past the store.
enum Raw {
    Sqlite {
        /// Honours CHECK constraints, like the store's own connections.
        checked: SqlitePool,
        /// `PRAGMA ignore_check_constraints = ON`.
        unchecked: SqlitePool,
    },
    Postgres(PgPool),
}

impl Raw {
    async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        match self {
            Raw::Sqlite { checked, .. } => sqlx::query(sql).execute(checked).await.map(drop),
            Raw::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        }
    }

    /// Executes `sql` with the CHECK constraints out of the way. SQLite can skip them per
    /// connection; PostgreSQL cannot, so its throwaway database loses them for good.
    async fn execute_unchecked(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Raw::Sqlite { unchecked, .. } => sqlx::query(AssertSqlSafe(sql.to_owned()))
                .execute(unchecked)
                .await
                .map(drop),
            Raw::Postgres(_) => {
                for constraint in ["images_visibility_check", "images_status_check"] {
                    self.execute(&format!(
                        "ALTER TABLE images DROP CONSTRAINT IF EXISTS {constraint}"
                    ))
                    .await?;
                }
                self.execute(sql).await
            }
        }
    }
}

fn raw_insert(id: &str, owner: &str, visibility: &str, status: &str) -> String {
    format!(
        "INSERT INTO images (id, owner_id, key, visibility, status, content_type, size, sha256,
                             created_at_ms, updated_at_ms)
         VALUES ('{id}', '{owner}', '{owner}/{id}/x.jpg', '{visibility}', '{status}', 'image/jpeg',
                 1, NULL, 1, 1)"
    )
}

/// Run last on a database nothing else uses afterwards: it may lose its CHECK constraints.
async fn corrupt_rows(store: Arc<dyn Store>, raw: Raw) {
    store
        .upsert_user("iss|zed", &uid("zed"), "Zed", 1)
        .await
        .unwrap();
    let bad = [("z-vis", "SECRET", "READY"), ("z-status", "PUBLIC", "LOST")];

    for (id, visibility, status) in bad {
        let refused = raw
            .execute(&raw_insert(id, "zed", visibility, status))
            .await;
        let is_check = matches!(&refused, Err(sqlx::Error::Database(e)) if e.is_check_violation());
        assert!(
            is_check,
            "the schema let {visibility}/{status} in: {refused:?}"
        );
    }

    for (id, visibility, status) in bad {
        raw.execute_unchecked(&raw_insert(id, "zed", visibility, status))
            .await
            .unwrap();
        let spelling = if status == "READY" {
            visibility
        } else {
            status
        };
        let got = store.image(&iid(id)).await;
        let names_it = matches!(&got, Err(StoreError::Corrupt(m)) if m.contains(spelling));
        assert!(names_it, "{id}: {got:?}");
    }

    // No CHECK guards the id format, so this one gets in on every backend as it is.
    raw.execute("INSERT INTO users (id, subject, username, created_at_ms) VALUES ('not an id!', 'iss|x', 'x', 1)")
        .await
        .unwrap();
    raw.execute(&raw_insert("z-owner", "not an id!", "PUBLIC", "READY"))
        .await
        .unwrap();
    let got = store.image(&iid("z-owner")).await;
    assert!(
        matches!(&got, Err(StoreError::Corrupt(m)) if m.contains("not an id!")),
        "{got:?}"
    );
}

// ------------------------------------------------------------------------------------------------
// SQLite.

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    // A directory that does not exist yet: connect creates it.
    format!("sqlite:{}/nested/dir/store.db", dir.path().display())
}

#[tokio::test]
async fn store_contract_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let store = store::connect(&url, 4).await.unwrap();
    // Migrations again, through the other URL spelling, on the same file: nothing to do.
    let again = store::connect(
        &format!("sqlite://{}/nested/dir/store.db", dir.path().display()),
        4,
    )
    .await
    .unwrap();
    again.ping().await.unwrap();
    contract(store.clone(), &*store::seeder(&url).await.unwrap()).await;
    assert!(
        again.user(&uid("alice")).await.unwrap().is_some(),
        "the same file"
    );

    let path = dir.path().join("nested/dir/store.db");
    let options = SqliteConnectOptions::new().filename(&path);
    let checked = SqlitePool::connect_with(options.clone()).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&checked)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let unchecked = options.pragma("ignore_check_constraints", "ON");
    let unchecked = SqlitePool::connect_with(unchecked).await.unwrap();
    corrupt_rows(store, Raw::Sqlite { checked, unchecked }).await;
}

#[tokio::test]
async fn store_contract_sqlite_in_memory() {
    let store = SqliteStore::connect("sqlite::memory:", 4).await.unwrap();
    contract(Arc::new(store.clone()), &store).await;
}

#[tokio::test]
async fn store_rejects_unknown_url_schemes() {
    let err = store::connect("mysql://root@localhost/db", 1)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::UnsupportedUrl(s) if s == "mysql"),
        "{err:?}"
    );
}

#[tokio::test]
async fn store_sqlite_images_by_owner_is_one_index_range_scan() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::connect(&sqlite_url(&dir), 2).await.unwrap();
    store.seed(50, 100, "seed", 1, &|_| {}).await.unwrap();
    let after = PageAfter {
        created_at_ms: 1,
        id: iid("u0007-0050"),
    };
    for after in [None, Some(&after)] {
        let plan = store
            .explain_images_by_owner(
                &uid("u0007"),
                ImageStatus::Ready,
                &[Visibility::Public],
                after,
                20,
            )
            .await
            .unwrap();
        println!("SQLite plan (after: {after:?}):\n{}", plan.join("\n"));
        let range = match after {
            None => "SEARCH images USING COVERING INDEX images_by_owner (owner_id=? AND status=?)",
            Some(_) => {
                "SEARCH images USING COVERING INDEX images_by_owner (owner_id=? AND status=? AND (created_at_ms,id)<(?,?))"
            }
        };
        // The page is wrapped in a JSON aggregate (one row over sqlx's channel): the inner
        // SELECT must still be the one range scan, answered from the index alone (no lookup in
        // the table per row), and SQLite must sort nothing.
        assert!(
            plan.iter()
                .any(|line| line.trim_start_matches(['|', '-', '`', ' ']) == range),
            "no index range scan in {plan:?}"
        );
        assert!(
            !plan
                .iter()
                .any(|line| line.contains("TEMP B-TREE") || line.starts_with("SCAN images")),
            "a sort or a table scan in {plan:?}"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// PostgreSQL.

/// `admin` with its database replaced by `database`.
fn database_url(admin: &str, database: &str) -> String {
    let (base, query) = admin
        .split_once('?')
        .map_or((admin, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let mut url = format!("{}/{database}", &base[..path]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Runs `body` with the URL of a fresh database and drops the database afterwards, also when
/// `body` panics (the panic is re-raised after the drop). Returns without running `body` only
/// when PostgreSQL is unreachable and `MEDIAGATE_SKIP_POSTGRES=1`.
pub async fn with_fresh_postgres<F, Fut>(test: &str, body: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin_url = std::env::var("MEDIAGATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let options = PgConnectOptions::from_str(&admin_url).expect("MEDIAGATE_TEST_POSTGRES_URL");
    let at = format!("{}:{}", options.get_host(), options.get_port());
    let connected = tokio::time::timeout(Duration::from_secs(10), options.connect()).await;
    let mut admin = match connected {
        Ok(Ok(conn)) => conn,
        failed => {
            let why = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out after 10 s".to_owned(),
            };
            if std::env::var("MEDIAGATE_SKIP_POSTGRES").as_deref() == Ok("1") {
                // Straight to the stderr handle: libtest captures `eprintln!` of passing tests,
                // and this line must be seen (and counted by scripts/test).
                let line = format!(
                    "!!! {SKIPPED}: {test}: PostgreSQL at {at} unreachable ({why}); MEDIAGATE_SKIP_POSTGRES=1\n"
                );
                std::io::stderr().write_all(line.as_bytes()).ok();
                return;
            }
            panic!(
                "\n!!! PostgreSQL at {at} is UNREACHABLE ({why}).\n!!! The PostgreSQL store tests need it: start \
                 it, point MEDIAGATE_TEST_POSTGRES_URL at one, or set MEDIAGATE_SKIP_POSTGRES=1 to skip them.\n"
            );
        }
    };

    let name = format!("mediagate_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    // In its own task so a panic ends up here as a JoinError instead of skipping the drop.
    let outcome = tokio::spawn(body(database_url(&admin_url, &name))).await;
    let dropped = sqlx::query(AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await;
    admin.close().await.ok();
    match outcome {
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        outcome => outcome.unwrap(),
    }
    dropped.unwrap_or_else(|e| panic!("could not drop the test database {name}: {e}"));
}

#[tokio::test]
async fn store_contract_postgres() {
    with_fresh_postgres("store_contract_postgres", |url| async move {
        let store = store::connect(&url, 4).await.unwrap();
        let again = store::connect(&url, 4).await.unwrap();
        again.ping().await.unwrap();
        contract(store.clone(), &*store::seeder(&url).await.unwrap()).await;
        assert!(
            again.user(&uid("alice")).await.unwrap().is_some(),
            "the same database"
        );
        let raw = PgPool::connect(&url).await.unwrap();
        corrupt_rows(store, Raw::Postgres(raw)).await;
    })
    .await;
}

#[tokio::test]
async fn store_postgres_images_by_owner_is_one_index_scan() {
    with_fresh_postgres(
        "store_postgres_images_by_owner_is_one_index_scan",
        |url| async move {
            let store = PostgresStore::connect(&url, 2).await.unwrap();
            // Realistic shape (100 images an owner, pages of 20) and fresh statistics: the planner's
            // own choice, no enable_* switches.
            store.seed(50, 100, "seed", 1, &|_| {}).await.unwrap();
            let raw = PgPool::connect(&url).await.unwrap();
            Raw::Postgres(raw).execute("ANALYZE images").await.unwrap();
            let after = PageAfter {
                created_at_ms: 1,
                id: iid("u0007-0050"),
            };
            for after in [None, Some(&after)] {
                let plan = store
                    .explain_images_by_owner(
                        &uid("u0007"),
                        ImageStatus::Ready,
                        &[Visibility::Public],
                        after,
                        20,
                    )
                    .await
                    .unwrap();
                let text = plan.join("\n");
                println!("PostgreSQL plan (after: {after:?}):\n{text}");
                assert!(plan[0].starts_with("Limit"), "{text}");
                assert!(
                    plan[1].contains("Index Scan using images_by_owner on images"),
                    "{text}"
                );
                let cond = plan
                    .iter()
                    .find(|l| l.trim_start().starts_with("Index Cond:"))
                    .expect(&text);
                assert!(
                    cond.contains("owner_id = ") && cond.contains("status = "),
                    "{text}"
                );
                if after.is_some() {
                    assert!(
                        cond.contains("ROW(created_at_ms, id) < ROW("),
                        "cursor not in the index: {text}"
                    );
                }
                assert!(!text.contains("Sort") && !text.contains("Bitmap"), "{text}");
            }
        },
    )
    .await;
}
