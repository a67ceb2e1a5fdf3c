//! The SQLite backend: the embedded default, one file beside the service.
//!
//! Writes go through sqlx ([`Sql`]); reads on the request path through [`reader`], on the
//! caller's thread. `sqlite::memory:` is a private temporary file, removed when the last handle
//! to the store is dropped, so it reads the same way as any file.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{Pool, Sqlite, Transaction};

use super::sql::{Dialect, Page, Sql, impl_store, statements};
use super::{
    GalleryQuery, Image, ImageId, ImageStatus, PageAfter, StoreError, User, UserId, Visibility,
};

mod reader;
mod seed;

use reader::Reader;

/// The store in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    sql: Sql<Sqlite>,
    /// Request-path reads on the caller's thread.
    reader: Arc<Reader>,
    /// The folder of a `sqlite::memory:` database, removed with the last clone of the store.
    _temporary: Option<Arc<tempfile::TempDir>>,
}

impl Dialect for Sqlite {
    async fn begin_for_users(
        pool: &Pool<Sqlite>,
        _a: &UserId,
        _b: &UserId,
    ) -> Result<Transaction<'static, Sqlite>, StoreError> {
        // IMMEDIATE: the write lock is taken before the first read, so what is read stays true
        // until the commit (a deferred transaction could read, lose the race, and then fail).
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    const CLAIM_REAPABLE: &'static str = statements::CLAIM_REAPABLE_SQLITE;

    async fn begin_outbox(pool: &Pool<Sqlite>) -> Result<Transaction<'static, Sqlite>, StoreError> {
        // The write lock, as for the friendship transactions: one claim at a time.
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl SqliteStore {
    /// Opens `url` (`sqlite:path`, `sqlite://path` or `sqlite::memory:`), creating the file and
    /// its directory when missing, and runs the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<SqliteStore, StoreError> {
        let (options, temporary) = if is_in_memory(url) {
            let dir = tempfile::Builder::new()
                .prefix("mediagate-memory-")
                .tempdir()
                .map_err(|e| configuration(format!("cannot create a temporary database: {e}")))?;
            let options = SqliteConnectOptions::new().filename(dir.path().join("mediagate.db"));
            (options, Some(Arc::new(dir)))
        } else {
            (SqliteConnectOptions::from_str(url)?, None)
        };
        let path = options.get_filename().to_owned();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_dir(dir).await?;
        }
        // Before SQLite opens it: SQLite would create it 0644, and its -wal and -shm files take
        // the database file's mode.
        crate::private_files::create_file(&path).map_err(|e| {
            configuration(format!(
                "cannot create the database file {}: {e}",
                path.display()
            ))
        })?;
        // WAL: readers never wait for the writer. NORMAL: no fsync per commit; in WAL mode that
        // still survives a crash of the process, only a power cut can lose the last commits.
        let options = options
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let pool: SqlitePool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            // A ping per checkout is a second round trip to the connection's thread for every
            // query; a broken connection fails its query and is replaced instead.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore {
            sql: Sql { pool },
            reader: Arc::new(Reader::open(path)?),
            _temporary: temporary,
        })
    }

    /// The pool the writes go through (the seeder's bulk statements use it too).
    fn pool(&self) -> &SqlitePool {
        &self.sql.pool
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
        self.reader.explain_images_by_owner(Page {
            owner,
            status,
            visibilities,
            viewer: None,
            after,
            limit,
        })
    }

    /// `EXPLAIN QUERY PLAN` of the exact statement `gallery_for` runs for `query`.
    pub async fn explain_gallery_for(
        &self,
        query: GalleryQuery<'_>,
    ) -> Result<Vec<String>, StoreError> {
        self.reader.explain_images_by_owner(Page::from(query))
    }
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

impl_store!(SqliteStore, {
    async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        self.reader.user(id)
    }

    async fn image(&self, id: &ImageId) -> Result<Option<Image>, StoreError> {
        self.reader.image(id)
    }

    async fn image_for(
        &self,
        id: &ImageId,
        viewer: Option<&UserId>,
    ) -> Result<Option<(Image, bool)>, StoreError> {
        self.reader.image_for(id, viewer.map_or("", UserId::as_str))
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
        self.reader.images_by_owner(Page {
            owner,
            status,
            visibilities,
            viewer: None,
            after,
            limit,
        })
    }

    async fn gallery_for(
        &self,
        query: GalleryQuery<'_>,
    ) -> Result<(Vec<Image>, Option<bool>), StoreError> {
        let page = Page::from(query);
        if page.shows_nothing() {
            return Ok((Vec::new(), None));
        }
        self.reader.gallery_for(page)
    }

    async fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        self.reader.are_friends(a, b)
    }
});
