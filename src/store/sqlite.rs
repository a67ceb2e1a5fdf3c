//! The SQLite backend: the embedded default, one file beside the service.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row};

use super::sqlite_friends as friends;
use super::sqlite_read::{ImageTuple, Reader, image_from_tuple};

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

/// The visibility filter has room for every visibility; shorter lists repeat their first entry,
/// so the statement text (and its cached prepared statement) never changes.
const VISIBILITY_SLOTS: usize = 3;

// sqlx-sqlite hands every row from the connection's thread to the caller as its own message; for
// a 51-row gallery page that cost ~4.6 µs a row, several times SQLite's own work. So the page
// comes back as one row: a JSON array built by SQLite, parsed by serde_json. The inner SELECT is
// the indexed range scan; the aggregate's order is not guaranteed by SQLite, so the decoded page
// is put back in order in Rust (at most `limit` rows, byte order like SQLite's BINARY collation).
macro_rules! page_of {
    ($filter:expr, $limit:expr) => {
        concat!(
            "SELECT json_group_array(json_array(",
            image_columns!(),
            ")) FROM (",
            page_select!($filter, $limit),
            ")"
        )
    };
}

/// One page of `images_by_owner`, newest first: the index range scan itself. The visibility test
/// is spelled with `=` and `OR`: `IN (?3, ?4, ?5)` made SQLite build and drop an ephemeral b-tree
/// of the three values on every call.
macro_rules! page_select {
    ($filter:expr, $limit:expr) => {
        concat!(
            "SELECT ",
            image_columns!(),
            " FROM images WHERE owner_id = ?1 AND status = ?2",
            " AND (visibility = ?3 OR visibility = ?4 OR visibility = ?5)",
            $filter,
            " ORDER BY created_at_ms DESC, id DESC LIMIT ",
            $limit
        )
    };
}

/// One image by id (both read paths).
pub(super) const IMAGE_BY_ID: &str =
    concat!("SELECT ", image_columns!(), " FROM images WHERE id = ?1");

/// One image by id and whether ?2 is a friend of its owner (both read paths). The friendship is
/// a primary-key probe inside the same statement, so a hidden image costs what a missing one does.
pub(super) const IMAGE_FOR_VIEWER: &str = concat!(
    "SELECT ",
    image_columns!(),
    ", EXISTS (SELECT 1 FROM friendships WHERE user_id = ?2 AND friend_id = images.owner_id)",
    " FROM images WHERE id = ?1"
);

/// The page statements the rusqlite reader runs (rows, not JSON), and their query plans.
pub(super) const PAGE: &str = page_select!("", "?6");
pub(super) const PAGE_AFTER: &str = page_select!(" AND (created_at_ms, id) < (?6, ?7)", "?8");
pub(super) const EXPLAIN_PAGE: &str = concat!("EXPLAIN QUERY PLAN ", page_select!("", "?6"));
pub(super) const EXPLAIN_PAGE_AFTER: &str = concat!(
    "EXPLAIN QUERY PLAN ",
    page_select!(" AND (created_at_ms, id) < (?6, ?7)", "?8")
);

const IMAGES_BY_OWNER: &str = page_of!("", "?6");

// A row value, not `created_at_ms < ? OR (created_at_ms = ? AND id < ?)`: SQLite turns the row
// value into a range on the index, the OR form into a filter over the owner's whole range.
const IMAGES_BY_OWNER_AFTER: &str = page_of!(" AND (created_at_ms, id) < (?6, ?7)", "?8");

/// SQLite refuses statements with more than 32766 bound parameters; seed chunks stay below.
const SEED_IMAGES_PER_STATEMENT: usize = 8_000;
const SEED_USERS_PER_STATEMENT: usize = 16_000;
/// How many rows go by between two `progress` calls during `seed`.
const SEED_PROGRESS_EVERY: u64 = 50_000;

/// The store in a SQLite file (or in memory, for tests and demos).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Request-path reads on the caller's thread (files only: an in-memory database exists only
    /// inside its one sqlx connection).
    reader: Option<Arc<Reader>>,
}

impl SqliteStore {
    /// Opens `url` (`sqlite:path`, `sqlite://path` or `sqlite::memory:`), creating the file and
    /// its directory when missing, and runs the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = if is_in_memory(url) {
            // An in-memory database lives only as long as a connection to it: keep exactly one,
            // forever. WAL does not apply to memory.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?
        } else {
            if let Some(dir) = options
                .get_filename()
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                create_dir(dir).await?;
            }
            // Before SQLite opens it: SQLite would create it 0644, and its -wal and -shm files
            // take the database file's mode.
            crate::private_files::create_file(options.get_filename()).map_err(|e| {
                configuration(format!(
                    "cannot create the database file {}: {e}",
                    options.get_filename().display()
                ))
            })?;
            // WAL: readers never wait for the writer. NORMAL: no fsync per commit; in WAL mode that
            // still survives a crash of the process, only a power cut can lose the last commits.
            let options = options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                // A ping per checkout is a second round trip to the connection's thread for
                // every query; a broken connection fails its query and is replaced instead.
                .test_before_acquire(false)
                .connect_with(options)
                .await?
        };
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let reader = if is_in_memory(url) {
            None
        } else {
            Some(Arc::new(Reader::open(
                SqliteConnectOptions::from_str(url)?
                    .get_filename()
                    .to_owned(),
            )?))
        };
        Ok(SqliteStore { pool, reader })
    }

    /// `EXPLAIN QUERY PLAN` of the exact statement `images_by_owner` runs with these arguments (one
    /// `detail` per line), so a test can prove it is one index range scan with no sort step.
    pub async fn explain_images_by_owner(
        &self,
        owner: &UserId,
        status: ImageStatus,
        visibilities: &[Visibility],
        after: Option<&PageAfter>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        if let Some(reader) = &self.reader {
            return reader.explain_images_by_owner(owner, status, visibilities, after, limit);
        }
        let sql = if after.is_some() {
            IMAGES_BY_OWNER_AFTER
        } else {
            IMAGES_BY_OWNER
        };
        // The statement is one of the two constants above; nothing here comes from a caller.
        let explain = AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"));
        let rows = bind_images_by_owner(
            sqlx::query(explain),
            owner,
            status,
            visibilities,
            after,
            limit,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>("detail").map_err(StoreError::from))
            .collect()
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// Binds `images_by_owner`'s arguments.
fn bind_images_by_owner<'q>(
    query: SqliteQuery<'q>,
    owner: &UserId,
    status: ImageStatus,
    visibilities: &[Visibility],
    after: Option<&PageAfter>,
    limit: u32,
) -> SqliteQuery<'q> {
    let mut query = query.bind(owner.as_str()).bind(status.as_str());
    for slot in visibility_slots(visibilities) {
        query = query.bind(slot);
    }
    if let Some(after) = after {
        query = query.bind(after.created_at_ms).bind(after.id.as_str());
    }
    query.bind(i64::from(limit))
}

/// The visibility filter's slots for `visibilities`: distinct (so any list, even one with
/// repeats, fits), shorter lists repeating their first entry, and "" (no visibility) for an
/// empty list, which then matches nothing.
pub(super) fn visibility_slots(visibilities: &[Visibility]) -> [&'static str; VISIBILITY_SLOTS] {
    let wanted: Vec<&'static str> = [Visibility::Private, Visibility::Friends, Visibility::Public]
        .into_iter()
        .filter(|v| visibilities.contains(v))
        .map(Visibility::as_str)
        .collect();
    std::array::from_fn(|slot| wanted.get(slot).or(wanted.first()).copied().unwrap_or(""))
}

fn is_in_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
    path == ":memory:" || params.split('&').any(|p| p == "mode=memory")
}

async fn create_dir(dir: &Path) -> Result<(), StoreError> {
    crate::private_files::create_dir_all(dir).map_err(|e| {
        configuration(format!(
            "cannot create the database directory {}: {e}",
            dir.display()
        ))
    })
}

fn configuration(message: String) -> StoreError {
    StoreError::Database(sqlx::Error::Configuration(message.into()))
}

#[async_trait]
impl Store for SqliteStore {
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
            "INSERT INTO users (id, subject, username, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
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
        if let Some(reader) = &self.reader {
            return reader.user(id);
        }
        const SQL: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = ?1");
        let row = sqlx::query(SQL)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn image(&self, id: &ImageId) -> Result<Option<Image>, StoreError> {
        if let Some(reader) = &self.reader {
            return reader.image(id);
        }
        let row = sqlx::query(IMAGE_BY_ID)
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
        let viewer = viewer.map_or("", UserId::as_str);
        if let Some(reader) = &self.reader {
            return reader.image_for(id, viewer);
        }
        let row = sqlx::query(IMAGE_FOR_VIEWER)
            .bind(id.as_str())
            .bind(viewer)
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
        if let Some(reader) = &self.reader {
            return reader.images_by_owner(owner, status, visibilities, after, limit);
        }
        let sql = if after.is_some() {
            IMAGES_BY_OWNER_AFTER
        } else {
            IMAGES_BY_OWNER
        };
        let page: String =
            bind_images_by_owner(sqlx::query(sql), owner, status, visibilities, after, limit)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
        images_from_json(&page)
    }

    async fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        if let Some(reader) = &self.reader {
            return reader.are_friends(a, b);
        }
        let row = sqlx::query("SELECT 1 FROM friendships WHERE user_id = ?1 AND friend_id = ?2")
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
            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
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
        // One statement: SQLite takes the write lock before it runs the count, so no other
        // insert can come between the two.
        const SQL: &str = concat!(
            "INSERT INTO images (",
            image_columns!(),
            ") SELECT ?1, ?2, ?3, ?4, 'PENDING', ?5, ?6, ?7, ?8, ?9",
            " WHERE (SELECT count(*) FROM images WHERE owner_id = ?2 AND status = 'PENDING') < ?10"
        );
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
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_or_database(e, || format!("image {}", image.id)))?
            .rows_affected();
        Ok(inserted > 0)
    }

    async fn set_visibility(
        &self,
        id: &ImageId,
        visibility: Visibility,
        now_ms: i64,
    ) -> Result<Option<Image>, StoreError> {
        const SQL: &str = concat!(
            "UPDATE images SET visibility = ?1, updated_at_ms = ?2 WHERE id = ?3 RETURNING ",
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
            "UPDATE images SET status = ?1, updated_at_ms = ?2 WHERE id = ?3 AND status = ?4 RETURNING ",
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
            "SELECT COUNT(*) FROM images WHERE owner_id = ?1 AND status = 'PENDING'",
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
            " FROM images WHERE status = 'DELETED' ORDER BY created_at_ms LIMIT ?2) AS d",
            " UNION ALL SELECT * FROM (SELECT ",
            image_columns!(),
            " FROM images WHERE status = 'FAILED' AND created_at_ms < ?1 ORDER BY created_at_ms LIMIT ?2) AS f",
            " UNION ALL SELECT * FROM (SELECT ",
            image_columns!(),
            " FROM images WHERE status = 'PENDING' AND created_at_ms < ?1 ORDER BY created_at_ms LIMIT ?2) AS p",
            " LIMIT ?2"
        );
        let rows = sqlx::query(SQL)
            .bind(pending_before_ms)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(image_from_row).collect()
    }

    async fn remove_image(&self, id: &ImageId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM images WHERE id = ?1")
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
        // One transaction: SQLite's cost is per commit (a WAL sync), not per row.
        let mut tx = self.pool.begin().await?;
        let mut report = SeedReport {
            users: 0,
            images: 0,
        };
        let mut done = 0u64;
        let mut reported = 0u64;

        let user_ids: Vec<String> = (0..users).map(seed_user_id).collect();
        for chunk in user_ids.chunks(SEED_USERS_PER_STATEMENT) {
            let mut query = sqlx::query(AssertSqlSafe(seed_users_sql(chunk.len()))).bind(now_ms);
            for id in chunk {
                query = query.bind(id.as_str()).bind(format!("{issuer}|{id}"));
            }
            report.users += query.execute(&mut *tx).await?.rows_affected();
            done += chunk.len() as u64;
        }

        let full_sql = seed_images_sql(SEED_IMAGES_PER_STATEMENT);
        // Image rows are numbered user by user; chunk boundaries fall anywhere.
        let total = u64::from(users) * u64::from(images_per_user);
        let mut next = 0u64;
        while next < total {
            let end = total.min(next + SEED_IMAGES_PER_STATEMENT as u64);
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
            // Full chunks share one statement text, so SQLite prepares it once.
            let sql = if chunk.len() == SEED_IMAGES_PER_STATEMENT {
                full_sql.clone()
            } else {
                seed_images_sql(chunk.len())
            };
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .bind(now_ms)
                .bind(Visibility::Public.as_str())
                .bind(ImageStatus::Ready.as_str())
                .bind(SEED_CONTENT_TYPE);
            for (user, n) in &chunk {
                let id = seed_image_id(user, *n);
                let key = format!("{user}/{id}/{n:04}.jpg");
                query = query
                    .bind(id)
                    .bind(*user)
                    .bind(key)
                    .bind(1000 + i64::from(*n));
            }
            report.images += query.execute(&mut *tx).await?.rows_affected();
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

// The seed statements number nothing: each `?NNN` is a name SQLite looks up in a list, once per
// parameter when preparing and again when sqlx binds it (sqlite3_bind_parameter_name), which is
// quadratic at 32k parameters (a million rows took minutes). Plain `?`s are numbered in the order
// they appear, so the shared values come first, in a one-row subquery.

/// `INSERT` of `rows` seed users: the time, then (id, subject) per row; username = id.
fn seed_users_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO users (id, subject, username, created_at_ms)
         SELECT v.column1, v.column2, v.column1, c.now FROM (SELECT ? AS now) AS c, (VALUES ",
    );
    push_rows(&mut sql, rows, "(?,?)");
    // `WHERE true`: without it SQLite would read ON CONFLICT as the join's ON.
    sql.push_str(") AS v WHERE true ON CONFLICT DO NOTHING");
    sql
}

/// `INSERT` of `rows` seed images: the time, visibility, status and content type shared by every
/// row, then (id, owner, key, size) per row.
fn seed_images_sql(rows: usize) -> String {
    let mut sql = String::from(concat!(
        "INSERT INTO images (",
        image_columns!(),
        ") SELECT v.column1, v.column2, v.column3, c.visibility, c.status, c.content_type,",
        " v.column4, NULL, c.now, c.now",
        " FROM (SELECT ? AS now, ? AS visibility, ? AS status, ? AS content_type) AS c, (VALUES "
    ));
    push_rows(&mut sql, rows, "(?,?,?,?)");
    sql.push_str(") AS v WHERE true ON CONFLICT DO NOTHING");
    sql
}

/// Appends `rows` copies of `row`, comma-separated.
fn push_rows(sql: &mut String, rows: usize, row: &str) {
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push_str(row);
    }
}

/// A unique violation becomes `Conflict(what)`; anything else stays a database error.
fn conflict_or_database(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what()),
        _ => StoreError::Database(e),
    }
}

fn user_from_row(row: &SqliteRow) -> Result<User, StoreError> {
    Ok(User {
        id: parse_stored("user id", row.try_get("id")?, UserId::parse)?,
        subject: row.try_get("subject")?,
        username: row.try_get("username")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

fn image_from_row(row: &SqliteRow) -> Result<Image, StoreError> {
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

/// Decodes a page built by `page_of!`: each image is `json_array(` the image columns `)`.
fn images_from_json(page: &str) -> Result<Vec<Image>, StoreError> {
    let mut tuples: Vec<ImageTuple> =
        serde_json::from_str(page).map_err(|e| StoreError::Corrupt(format!("image page: {e}")))?;
    tuples.sort_unstable_by(|a, b| (b.8, &b.0).cmp(&(a.8, &a.0)));
    tuples.into_iter().map(image_from_tuple).collect()
}
