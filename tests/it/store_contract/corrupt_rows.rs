//! Corrupt rows: the schema refuses them, and a store that meets one anyway says Corrupt.

use std::sync::Arc;

use mediagate::store::{Store, StoreError};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

use super::{iid, uid};

/// Raw access to a backend's database, past the store.
pub(super) enum Raw {
    Sqlite {
        /// Honours CHECK constraints, like the store's own connections.
        checked: SqlitePool,
        /// `PRAGMA ignore_check_constraints = ON`.
        unchecked: SqlitePool,
    },
    Postgres(PgPool),
}

impl Raw {
    pub(super) async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
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
pub(super) async fn corrupt_rows(store: Arc<dyn Store>, raw: Raw) {
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
