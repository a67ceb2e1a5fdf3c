//! The PostgreSQL backend: for several replicas sharing one database.

use std::str::FromStr;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Row};

use super::postgres_friends as friends;
use super::{
    Befriend, FriendRequest, Image, ImageId, ImageStatus, PageAfter, SeedReport, Store, StoreError,
    User, UserId, Visibility, parse_stored,
};

/// Columns of `users`, in the order [`user_from_row`] reads them.
macro_rules! user_columns {
    () => {
        "id, subject, username, created_at_ms"
    };
}

/// Columns of `images`, in the order [`image_from_row`] reads them.
macro_rules! image_columns {
    () => {
        "id, owner_id, key, visibility, status, content_type, size, sha256, created_at_ms, updated_at_ms"
    };
}

const IMAGES_BY_OWNER: &str = concat!(
    "SELECT ",
    image_columns!(),
    " FROM images WHERE owner_id = $1 AND status = $2 AND visibility = ANY($3)",
    " ORDER BY created_at_ms DESC, id DESC LIMIT $4"
);

// The row comparison is an index condition on (created_at_ms DESC, id DESC), so a deep page starts
// where the cursor is instead of filtering everything before it.
const IMAGES_BY_OWNER_AFTER: &str = concat!(
    "SELECT ",
    image_columns!(),
    " FROM images WHERE owner_id = $1 AND status = $2 AND visibility = ANY($3)",
    " AND (created_at_ms, id) < ($4, $5)",
    " ORDER BY created_at_ms DESC, id DESC LIMIT $6"
);

/// Rows per seed statement: arrays have no parameter limit, this only bounds memory and sets the
/// pace of the `progress` calls.
const SEED_ROWS_PER_STATEMENT: usize = 50_000;
/// How many rows go by between two `progress` calls during `seed`.
const SEED_PROGRESS_EVERY: u64 = 50_000;

/// The store in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

// Not derived: the pool's connect options hold the password.
impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…` or `postgresql://…`) and runs the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            // A ping per checkout doubles the round trips of every query; a broken connection
            // fails its query and is replaced instead.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PostgresStore { pool })
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
        let sql = if after.is_some() {
            IMAGES_BY_OWNER_AFTER
        } else {
            IMAGES_BY_OWNER
        };
        // The statement is one of the two constants above; nothing here comes from a caller.
        let explain = format!("EXPLAIN {sql}");
        let rows = bind_images_by_owner(
            sqlx::query(AssertSqlSafe(explain)),
            owner,
            status,
            visibilities,
            after,
            limit,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>(0).map_err(StoreError::from))
            .collect()
    }
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn bind_images_by_owner<'q>(
    query: PgQuery<'q>,
    owner: &UserId,
    status: ImageStatus,
    visibilities: &[Visibility],
    after: Option<&PageAfter>,
    limit: u32,
) -> PgQuery<'q> {
    let visibilities: Vec<&str> = visibilities.iter().map(|v| v.as_str()).collect();
    let mut query = query
        .bind(owner.as_str())
        .bind(status.as_str())
        .bind(visibilities);
    if let Some(after) = after {
        query = query.bind(after.created_at_ms).bind(after.id.as_str());
    }
    query.bind(i64::from(limit))
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn upsert_user(
        &self,
        subject: &str,
        id: &UserId,
        username: &str,
        now_ms: i64,
    ) -> Result<User, StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO users (id, subject, username, created_at_ms) VALUES ($1, $2, $3, $4)",
            " ON CONFLICT (subject) DO UPDATE SET username = excluded.username",
            " RETURNING ",
            user_columns!()
        );
        let row = sqlx::query(SQL)
            .bind(id.as_str())
            .bind(subject)
            .bind(username)
            .bind(now_ms)
            .fetch_one(&self.pool)
            .await
            // The subject is new but the id is taken by someone else.
            .map_err(|e| conflict_or_database(e, || format!("user {id}")))?;
        user_from_row(&row)
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        const SQL: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
        let row = sqlx::query(SQL)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn image(&self, id: &ImageId) -> Result<Option<Image>, StoreError> {
        const SQL: &str = concat!("SELECT ", image_columns!(), " FROM images WHERE id = $1");
        let row = sqlx::query(SQL)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(image_from_row).transpose()
    }

    async fn image_for(
        &self,
        id: &ImageId,
        viewer: Option<&UserId>,
    ) -> Result<Option<(Image, bool)>, StoreError> {
        // The friendship is a primary-key probe in the same statement: a hidden image costs what
        // a missing one does.
        const SQL: &str = concat!(
            "SELECT ",
            image_columns!(),
            ", EXISTS (SELECT 1 FROM friendships WHERE user_id = $2 AND friend_id = images.owner_id)",
            " FROM images WHERE id = $1"
        );
        let row = sqlx::query(SQL)
            .bind(id.as_str())
            .bind(viewer.map_or("", UserId::as_str))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|r| Ok((image_from_row(r)?, r.try_get::<bool, _>(10)?)))
            .transpose()
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
        let sql = if after.is_some() {
            IMAGES_BY_OWNER_AFTER
        } else {
            IMAGES_BY_OWNER
        };
        let rows =
            bind_images_by_owner(sqlx::query(sql), owner, status, visibilities, after, limit)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(image_from_row).collect()
    }

    async fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2")
            .bind(a.as_str())
            .bind(b.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn request_friendship(
        &self,
        from: &UserId,
        to: &UserId,
        max_outgoing: u32,
        now_ms: i64,
    ) -> Result<Befriend, StoreError> {
        friends::request(&self.pool, from, to, max_outgoing, now_ms).await
    }

    async fn accept_friendship(
        &self,
        me: &UserId,
        from: &UserId,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        friends::accept(&self.pool, me, from, now_ms).await
    }

    async fn remove_friend_request(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        friends::remove_request(&self.pool, a, b).await
    }

    async fn remove_friendship(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        friends::remove(&self.pool, a, b).await
    }

    async fn friend_requests(
        &self,
        user: &UserId,
        limit: u32,
    ) -> Result<Vec<FriendRequest>, StoreError> {
        friends::requests(&self.pool, user, limit).await
    }

    async fn insert_image(&self, image: &Image) -> Result<(), StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO images (",
            image_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        sqlx::query(SQL)
            .bind(image.id.as_str())
            .bind(image.owner_id.as_str())
            .bind(&image.key)
            .bind(image.visibility.as_str())
            .bind(image.status.as_str())
            .bind(&image.content_type)
            .bind(image.size)
            .bind(image.sha256.as_deref())
            .bind(image.created_at_ms)
            .bind(image.updated_at_ms)
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_or_database(e, || format!("image {}", image.id)))?;
        Ok(())
    }

    async fn insert_pending_image(
        &self,
        image: &Image,
        max_pending: u32,
    ) -> Result<bool, StoreError> {
        // The owner's row lock orders concurrent uploads of one user; the INSERT, a new
        // statement, then counts what the previous holder committed (READ COMMITTED).
        const SQL: &str = concat!(
            "INSERT INTO images (",
            image_columns!(),
            ") SELECT $1, $2, $3, $4, 'PENDING', $5, $6, $7, $8, $9",
            " WHERE (SELECT count(*) FROM images WHERE owner_id = $2 AND status = 'PENDING') < $10"
        );
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
            .bind(image.owner_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let inserted = sqlx::query(SQL)
            .bind(image.id.as_str())
            .bind(image.owner_id.as_str())
            .bind(&image.key)
            .bind(image.visibility.as_str())
            .bind(&image.content_type)
            .bind(image.size)
            .bind(image.sha256.as_deref())
            .bind(image.created_at_ms)
            .bind(image.updated_at_ms)
            .bind(i64::from(max_pending))
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_or_database(e, || format!("image {}", image.id)))?
            .rows_affected();
        tx.commit().await?;
        Ok(inserted > 0)
    }

    async fn set_visibility(
        &self,
        id: &ImageId,
        visibility: Visibility,
        now_ms: i64,
    ) -> Result<Option<Image>, StoreError> {
        const SQL: &str = concat!(
            "UPDATE images SET visibility = $1, updated_at_ms = $2 WHERE id = $3 RETURNING ",
            image_columns!()
        );
        let row = sqlx::query(SQL)
            .bind(visibility.as_str())
            .bind(now_ms)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(image_from_row).transpose()
    }

    async fn set_status(
        &self,
        id: &ImageId,
        from: ImageStatus,
        to: ImageStatus,
        now_ms: i64,
    ) -> Result<Option<Image>, StoreError> {
        const SQL: &str = concat!(
            "UPDATE images SET status = $1, updated_at_ms = $2 WHERE id = $3 AND status = $4 RETURNING ",
            image_columns!()
        );
        let row = sqlx::query(SQL)
            .bind(to.as_str())
            .bind(now_ms)
            .bind(id.as_str())
            .bind(from.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(image_from_row).transpose()
    }

    async fn count_pending(&self, owner: &UserId) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM images WHERE owner_id = $1 AND status = 'PENDING'",
        )
        .bind(owner.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn reapable(&self, pending_before_ms: i64, limit: u32) -> Result<Vec<Image>, StoreError> {
        // Three index range scans (one per status), each already in order.
        const SQL: &str = concat!(
            "SELECT * FROM (SELECT ",
            image_columns!(),
            " FROM images WHERE status = 'DELETED' ORDER BY created_at_ms LIMIT $2) AS d",
            " UNION ALL SELECT * FROM (SELECT ",
            image_columns!(),
            " FROM images WHERE status = 'FAILED' AND created_at_ms < $1 ORDER BY created_at_ms LIMIT $2) AS f",
            " UNION ALL SELECT * FROM (SELECT ",
            image_columns!(),
            " FROM images WHERE status = 'PENDING' AND created_at_ms < $1 ORDER BY created_at_ms LIMIT $2) AS p",
            " LIMIT $2"
        );
        let rows = sqlx::query(SQL)
            .bind(pending_before_ms)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(image_from_row).collect()
    }

    async fn remove_image(&self, id: &ImageId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM images WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn seed(
        &self,
        users: u32,
        images_per_user: u32,
        issuer: &str,
        now_ms: i64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<SeedReport, StoreError> {
        // Whole columns travel as arrays and UNNEST turns them back into rows: one statement per
        // 50k rows, with a statement text that never changes (prepared once).
        const USERS_SQL: &str = "INSERT INTO users (id, subject, username, created_at_ms)
             SELECT id, subject, id, $3 FROM UNNEST($1::text[], $2::text[]) AS t (id, subject)
             ON CONFLICT DO NOTHING";
        const IMAGES_SQL: &str = concat!(
            "INSERT INTO images (",
            image_columns!(),
            ") SELECT id, owner_id, key, $5, $6, $7, size, NULL, $8, $8",
            " FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[]) AS t (id, owner_id, key, size)",
            " ON CONFLICT DO NOTHING"
        );

        let mut tx = self.pool.begin().await?;
        let mut report = SeedReport {
            users: 0,
            images: 0,
        };
        let mut done = 0u64;
        let mut reported = 0u64;

        let user_ids: Vec<String> = (0..users).map(seed_user_id).collect();
        for chunk in user_ids.chunks(SEED_ROWS_PER_STATEMENT) {
            let subjects: Vec<String> = chunk.iter().map(|id| format!("{issuer}|{id}")).collect();
            let inserted = sqlx::query(USERS_SQL)
                .bind(chunk)
                .bind(subjects)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            report.users += inserted;
            done += chunk.len() as u64;
        }

        // Image rows are numbered user by user; chunk boundaries fall anywhere.
        let total = u64::from(users) * u64::from(images_per_user);
        let mut next = 0u64;
        while next < total {
            let end = total.min(next + SEED_ROWS_PER_STATEMENT as u64);
            let chunk: Vec<(&str, u32)> = (next..end)
                .map(|row| {
                    let per_user = u64::from(images_per_user);
                    // Both quotients fit: row < users * images_per_user.
                    (
                        user_ids[(row / per_user) as usize].as_str(),
                        (row % per_user) as u32,
                    )
                })
                .collect();
            next = end;
            let mut ids = Vec::with_capacity(chunk.len());
            let mut owners = Vec::with_capacity(chunk.len());
            let mut keys = Vec::with_capacity(chunk.len());
            let mut sizes = Vec::with_capacity(chunk.len());
            for (user, n) in &chunk {
                let id = seed_image_id(user, *n);
                keys.push(format!("{user}/{id}/{n:04}.jpg"));
                ids.push(id);
                owners.push(*user);
                sizes.push(1000 + i64::from(*n));
            }
            let inserted = sqlx::query(IMAGES_SQL)
                .bind(ids)
                .bind(owners)
                .bind(keys)
                .bind(sizes)
                .bind(Visibility::Public.as_str())
                .bind(ImageStatus::Ready.as_str())
                .bind(SEED_CONTENT_TYPE)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            report.images += inserted;
            done += chunk.len() as u64;
            if done - reported >= SEED_PROGRESS_EVERY {
                progress(done);
                reported = done;
            }
        }
        tx.commit().await?;
        if done != reported {
            progress(done);
        }
        Ok(report)
    }
}

const SEED_CONTENT_TYPE: &str = "image/jpeg";

fn seed_user_id(i: u32) -> String {
    format!("u{i:04}")
}

fn seed_image_id(user: &str, n: u32) -> String {
    format!("{user}-{n:04}")
}

/// A unique violation becomes `Conflict(what)`; anything else stays a database error.
fn conflict_or_database(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what()),
        _ => StoreError::Database(e),
    }
}

fn user_from_row(row: &PgRow) -> Result<User, StoreError> {
    Ok(User {
        id: parse_stored("user id", row.try_get("id")?, UserId::parse)?,
        subject: row.try_get("subject")?,
        username: row.try_get("username")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

fn image_from_row(row: &PgRow) -> Result<Image, StoreError> {
    Ok(Image {
        id: parse_stored("image id", row.try_get("id")?, ImageId::parse)?,
        owner_id: parse_stored("owner id", row.try_get("owner_id")?, UserId::parse)?,
        key: row.try_get("key")?,
        visibility: parse_stored("visibility", row.try_get("visibility")?, Visibility::parse)?,
        status: parse_stored("status", row.try_get("status")?, ImageStatus::parse)?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}
