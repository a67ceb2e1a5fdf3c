//! Upgrades: a database as an older release left it, then the current migrations, on both
//! backends. What users agreed to and who they are must survive; what they did not agree to must
//! not.

#![allow(clippy::unwrap_used)]

use crate::support::change;
use mediagate::store::{self, Store, UserId};
use sqlx::Row as _;

use crate::store_contract::with_fresh_postgres;

fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn connect(url: &str) -> Raw {
        if url.starts_with("sqlite:") {
            let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(url)
                .unwrap()
                .create_if_missing(true);
            Raw::Sqlite(sqlx::SqlitePool::connect_with(options).await.unwrap())
        } else {
            Raw::Postgres(sqlx::PgPool::connect(url).await.unwrap())
        }
    }

    async fn execute(&self, sql: &'static str) {
        match self {
            Raw::Sqlite(p) => sqlx::query(sql).execute(p).await.map(drop),
            Raw::Postgres(p) => sqlx::query(sql).execute(p).await.map(drop),
        }
        .unwrap();
    }

    async fn strings(&self, sql: &'static str) -> Vec<String> {
        match self {
            Raw::Sqlite(p) => sqlx::query(sql)
                .fetch_all(p)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect(),
            Raw::Postgres(p) => sqlx::query(sql)
                .fetch_all(p)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect(),
        }
    }
}

/// A database at migration `before - 1` (what the release before it left), holding `rows`;
/// then the store opened on it, which runs every migration since.
async fn upgraded(
    url: &str,
    mut migrations: sqlx::migrate::Migrator,
    before: i64,
    rows: &[&'static str],
) -> (Raw, std::sync::Arc<dyn Store>) {
    migrations.migrations = migrations
        .migrations
        .iter()
        .filter(|m| m.version < before)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let raw = Raw::connect(url).await;
    match &raw {
        Raw::Sqlite(p) => migrations.run(p).await.unwrap(),
        Raw::Postgres(p) => migrations.run(p).await.unwrap(),
    }
    for sql in rows {
        raw.execute(sql).await;
    }
    let store = store::connect(url, 2).await.unwrap();
    (raw, store)
}

const USERS: &str = "INSERT INTO users (id, subject, username, created_at_ms) VALUES \
    ('ann', 'iss|ann', 'ann', 1), ('ben', 'iss|ben', 'ben', 1), ('cal', 'iss|cal', 'cal', 1)";

/// Friendship rows written by one side alone (before consent was needed) are gone after the
/// upgrade, and kept for the operator in `friendships_without_consent`.
async fn one_sided_friendships_are_gone(
    url: &str,
    migrations: sqlx::migrate::Migrator,
    before: i64,
) {
    let (raw, store) = upgraded(
        url,
        migrations,
        before,
        &[
            USERS,
            // addFriend(ben) by ann alone wrote both directions.
            "INSERT INTO friendships (user_id, friend_id, created_at_ms) VALUES ('ann', 'ben', 5), ('ben', 'ann', 5)",
            // A row without its mirror (by hand, or a crash between two writes).
            "INSERT INTO friendships (user_id, friend_id, created_at_ms) VALUES ('cal', 'ann', 7)",
        ],
    )
    .await;
    for (a, b) in [("ann", "ben"), ("ann", "cal")] {
        assert!(
            !store.are_friends(&uid(a), &uid(b)).await.unwrap(),
            "{a} {b}"
        );
        assert!(
            !store.are_friends(&uid(b), &uid(a)).await.unwrap(),
            "{b} {a}"
        );
    }
    let kept = raw
        .strings(
            "SELECT user_a || ' ' || user_b || ' ' || CAST(created_at_ms AS TEXT) \
             FROM friendships_without_consent ORDER BY 1",
        )
        .await;
    assert_eq!(kept, ["ann ben 5", "ann cal 7"]);
    // And the two can become friends properly now.
    store
        .request_friendship(&uid("ann"), &uid("ben"), 5, &change(9))
        .await
        .unwrap();
    assert!(
        store
            .accept_friendship(&uid("ben"), &uid("ann"), &change(10))
            .await
            .unwrap()
    );
    assert!(store.are_friends(&uid("ann"), &uid("ben")).await.unwrap());
}

/// Users stored under another spelling of their issuer keep their accounts: the upgrade rewrites
/// the subject into the one spelling sign-in looks for, and leaves alone what it cannot rewrite
/// without merging two accounts.
async fn issuer_spellings_are_rewritten(
    url: &str,
    migrations: sqlx::migrate::Migrator,
    before: i64,
) {
    let (raw, store) = upgraded(
        url,
        migrations,
        before,
        &[
            "INSERT INTO users (id, subject, username, created_at_ms) VALUES \
            ('u1', 'https://Tenant.Auth0.com/|auth0|abc', 'a', 1), \
            ('u2', 'https://c.example/realms/Main/|z', 'c', 1), \
            ('u3', 'https://a.example/|x', 'x1', 1), ('u4', 'https://a.example|x', 'x2', 1), \
            ('u5', 'https://b.example/|y', 'y1', 1), ('u6', 'HTTPS://B.example//|y', 'y2', 1), \
            ('u7', 'mediagate-dev|alice', 'alice', 1)",
        ],
    )
    .await;
    let subjects = raw
        .strings("SELECT id || ' ' || subject FROM users ORDER BY id")
        .await;
    assert_eq!(
        subjects,
        [
            "u1 https://tenant.auth0.com|auth0|abc",
            "u2 https://c.example/realms/Main|z",
            "u3 https://a.example/|x",
            "u4 https://a.example|x",
            "u5 https://b.example/|y",
            "u6 HTTPS://B.example//|y",
            "u7 mediagate-dev|alice",
        ]
    );
    // The spelling is the one sign-in computes.
    for (id, issuer, sub) in [
        ("u1", "https://Tenant.Auth0.com/", "auth0|abc"),
        ("u2", "https://c.example/realms/Main/", "z"),
    ] {
        let user = store.user(&uid(id)).await.unwrap().unwrap();
        assert_eq!(user.subject, mediagate::auth::subject_key(issuer, sub));
    }
}

#[tokio::test]
async fn store_upgrade_removes_unconsented_friendships_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/old.db", dir.path().display());
    one_sided_friendships_are_gone(&url, sqlx::migrate!("./migrations/sqlite"), 4).await;
}

#[tokio::test]
async fn store_upgrade_removes_unconsented_friendships_postgres() {
    with_fresh_postgres(
        "store_upgrade_removes_unconsented_friendships_postgres",
        |url| async move {
            one_sided_friendships_are_gone(&url, sqlx::migrate!("./migrations/postgres"), 3).await;
        },
    )
    .await;
}

#[tokio::test]
async fn store_upgrade_keeps_users_of_respelled_issuers_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/old.db", dir.path().display());
    issuer_spellings_are_rewritten(&url, sqlx::migrate!("./migrations/sqlite"), 5).await;
}

#[tokio::test]
async fn store_upgrade_keeps_users_of_respelled_issuers_postgres() {
    with_fresh_postgres(
        "store_upgrade_keeps_users_of_respelled_issuers_postgres",
        |url| async move {
            issuer_spellings_are_rewritten(&url, sqlx::migrate!("./migrations/postgres"), 4).await;
        },
    )
    .await;
}
