//! The PostgreSQL backend: for several replicas sharing one database.
//!
//! Writes run through [`Sql`] (sqlx); the request-path reads (an image, a gallery page) through
//! `reader`, pipelined on tokio-postgres. What is PostgreSQL's own besides: how a transaction
//! keeps what it read true (row locks, [`Dialect::begin_for_users`]) and the plan check.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgQueryResult};
use sqlx::{Pool, Postgres, Row as _, Transaction};

use super::sql::{Dialect, Page, Sql, impl_store, statements};
use super::{
    GalleryQuery, Image, ImageId, ImageStatus, PageAfter, StoreError, User, UserId, Visibility,
};

mod reader;
mod seed;
mod tls;

/// The store in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    sql: Sql<Postgres>,
    reader: std::sync::Arc<reader::Reader>,
}

// Not derived: the pool's connect options hold the password.
impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("connections", &self.sql.pool.size())
            .finish_non_exhaustive()
    }
}

impl Dialect for Postgres {
    /// Locks both users' rows, in id order so two transactions on the same pair cannot deadlock:
    /// what one of them reads about the pair (and the asker's request and upload counts) then
    /// holds until it commits. Each later statement sees what the previous holder committed
    /// (READ COMMITTED takes a new snapshot per statement).
    async fn begin_for_users(
        pool: &Pool<Postgres>,
        a: &UserId,
        b: &UserId,
    ) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT 1 FROM users WHERE id = $1 OR id = $2 ORDER BY id FOR UPDATE")
            .bind(a.as_str())
            .bind(b.as_str())
            .fetch_all(&mut *tx)
            .await?;
        Ok(tx)
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    const CLAIM_REAPABLE: &'static str = statements::CLAIM_REAPABLE_POSTGRES;

    /// A transaction-scoped advisory lock: released at commit, or when a dying replica's
    /// connection closes, so a crash can never leave it held.
    async fn begin_outbox(
        pool: &Pool<Postgres>,
    ) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(OUTBOX_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// Pipelined read connections (`reader.rs`). Each carries the reads of every request at once, so
/// a few are enough; two, so that one slow answer does not hold up every request behind it.
const READ_CONNECTIONS: usize = 2;

/// The advisory lock key of the invalidation outbox's claims ("mgoutbox" in ASCII; any fixed
/// number no other application on the database uses).
const OUTBOX_LOCK: i64 = 0x6d67_6f75_7462_6f78;

impl PostgresStore {
    /// Connects to `url` (`postgres://…` or `postgresql://…`) and runs the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            // Opened (in the background) from the start, not on the first requests' path: a
            // replica that has just started answers as fast as one that has run for a while.
            .min_connections(max_connections.max(1))
            // A ping per checkout doubles the round trips of every query; a broken connection
            // fails its query and is replaced instead.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let reader = reader::Reader::connect(url, READ_CONNECTIONS).await?;
        Ok(PostgresStore {
            sql: Sql { pool },
            reader: std::sync::Arc::new(reader),
        })
    }

    fn pool(&self) -> &PgPool {
        &self.sql.pool
    }

    /// `EXPLAIN` of the exact statement `images_by_owner` runs with these arguments (one plan line
    /// per entry), so a test can prove it is one index scan with no sort step.
    pub async fn explain_images_by_owner(
        &self,
        owner: &UserId,
        status: ImageStatus,
        visibilities: &[Visibility],
        after: Option<&PageAfter>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        self.explain(Page {
            owner,
            status,
            visibilities,
            viewer: None,
            after,
            limit,
        })
        .await
    }

    /// `EXPLAIN` of the exact statement `gallery_for` runs for `query`.
    pub async fn explain_gallery_for(
        &self,
        query: GalleryQuery<'_>,
    ) -> Result<Vec<String>, StoreError> {
        self.explain(Page::from(query)).await
    }

    async fn explain(&self, page: Page<'_>) -> Result<Vec<String>, StoreError> {
        let rows = self
            .sql
            .page_query(page, "EXPLAIN")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>(0).map_err(StoreError::from))
            .collect()
    }
}

impl_store!(PostgresStore, {
    async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        self.sql.user(id).await
    }

    async fn image(&self, id: &ImageId) -> Result<Option<Image>, StoreError> {
        self.sql.image(id).await
    }

    async fn image_for(
        &self,
        id: &ImageId,
        viewer: Option<&UserId>,
    ) -> Result<Option<(Image, bool)>, StoreError> {
        self.reader
            .image_for(id, viewer.map_or("", UserId::as_str))
            .await
    }

    async fn images_by_owner(
        &self,
        owner: &UserId,
        status: ImageStatus,
        visibilities: &[Visibility],
        after: Option<&PageAfter>,
        limit: u32,
    ) -> Result<Vec<Image>, StoreError> {
        if visibilities.is_empty() {
            return Ok(Vec::new());
        }
        self.reader
            .images_by_owner(Page {
                owner,
                status,
                visibilities,
                viewer: None,
                after,
                limit,
            })
            .await
    }

    async fn gallery_for(
        &self,
        query: GalleryQuery<'_>,
    ) -> Result<(Vec<Image>, Option<bool>), StoreError> {
        let page = Page::from(query);
        if page.shows_nothing() {
            return Ok((Vec::new(), None));
        }
        self.reader.gallery_for(page).await
    }

    async fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        self.sql.are_friends(a, b).await
    }
});
