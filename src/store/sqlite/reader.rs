//! The SQLite read path, on the caller's thread.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every query there and back
//! over channels: 50–100 µs per query here, for a lookup SQLite does in about 6 µs. The reads on
//! the request path (an image, a user, a friendship, a gallery page) therefore go through
//! rusqlite connections to the same WAL file, used directly by the worker that asks. WAL lets
//! them read while sqlx's connections write, and each read sees every commit made before it.
//! The price: a read holds its worker for those microseconds (longer if the page cache is cold),
//! which is less than the channel round trip it replaces. Writes stay on sqlx.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Row, ToSql};

use crate::store::sql::statements::{ARE_FRIENDS, IMAGE_BY_ID, IMAGE_FOR_VIEWER, USER_BY_ID};
use crate::store::sql::{Page, rows, split_friendship, visibility_slots};
use crate::store::{Image, ImageId, StoreError, User, UserId};

/// How much of the database file readers map (SQLite maps at most the file's size).
const MMAP_BYTES: i64 = 1 << 30;

/// Idle connections kept; more are opened under load and closed when not needed.
const MAX_IDLE: usize = 8;

/// Read-only connections to one database file.
#[derive(Debug)]
pub(super) struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Reader {
    /// Readers for the database at `path` (which the writer has created and migrated).
    pub(super) fn open(path: PathBuf) -> Result<Reader, StoreError> {
        let reader = Reader {
            path,
            idle: Mutex::new(Vec::new()),
        };
        // Fail now, not on the first request, when the file cannot be read.
        let first = reader.connect()?;
        reader.put_back(first);
        Ok(reader)
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // Read-write flags (so WAL's shared memory can be set up), but no statement may write.
        conn.pragma_update(None, "query_only", true)?;
        // Pages come from the OS page cache through a mapping instead of a read() and a copy
        // into this connection's own cache each; every reader shares the one mapping.
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    fn put_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match pooled {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let result = f(&conn);
        self.put_back(conn);
        Ok(result?)
    }

    pub(super) fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        self.one(USER_BY_ID, [id.as_str()], |r| rows::user(r))
    }

    pub(super) fn image(&self, id: &ImageId) -> Result<Option<Image>, StoreError> {
        self.one(IMAGE_BY_ID, [id.as_str()], |r| rows::image(r))
    }

    pub(super) fn image_for(
        &self,
        id: &ImageId,
        viewer: &str,
    ) -> Result<Option<(Image, bool)>, StoreError> {
        self.one(IMAGE_FOR_VIEWER, [viewer, id.as_str()], |r| {
            rows::image_for_viewer(r)
        })
    }

    /// The first row of `sql`, decoded; parameters bound by position (see `statements::READER`).
    fn one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        decode: impl Fn(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.with(|c| {
            c.prepare_cached(sql)?
                .query_row(params, |r| Ok(decode(r)))
                .optional()
        })?
        .transpose()
    }

    pub(super) fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        self.with(|c| {
            c.prepare_cached(ARE_FRIENDS)?
                .exists([a.as_str(), b.as_str()])
        })
    }

    /// One index range scan, newest first.
    pub(super) fn images_by_owner(&self, page: Page<'_>) -> Result<Vec<Image>, StoreError> {
        self.page(page.statement(), page, |r| Ok(rows::image(r)))?
            .into_iter()
            .collect()
    }

    /// A viewer's page (`page.viewer` set), with whether they are the owner's friend.
    pub(super) fn gallery_for(
        &self,
        page: Page<'_>,
    ) -> Result<(Vec<Image>, Option<bool>), StoreError> {
        let rows = self
            .page(page.statement(), page, |r| Ok(rows::image_for_viewer(r)))?
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        Ok(split_friendship(rows))
    }

    /// `EXPLAIN QUERY PLAN` of the statement `images_by_owner` runs for `page`.
    pub(super) fn explain_images_by_owner(
        &self,
        page: Page<'_>,
    ) -> Result<Vec<String>, StoreError> {
        // EXPLAIN QUERY PLAN's columns: id, parent, notused, detail.
        let explain = format!("EXPLAIN QUERY PLAN {}", page.statement());
        self.page(&explain, page, |r| r.get(3))
    }

    /// Runs a page statement (or its plan) with `page`'s arguments.
    fn page<T>(
        &self,
        sql: &str,
        page: Page<'_>,
        row: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let [v1, v2, v3] = visibility_slots(page.visibilities);
        let friend_slots = page
            .viewer
            .map(|(_, if_friend)| visibility_slots(if_friend));
        let (owner, status) = (page.owner.as_str(), page.status.as_str());
        let limit = page.limit;
        let viewer = page.viewer.map(|(v, _)| v.as_str());
        let after = page.after.map(|a| (a.created_at_ms, a.id.as_str()));
        // In the order the statements number their parameters (SQLite numbers them by first
        // appearance): [viewer] owner status [slots if a friend] slots [cursor] limit.
        let mut values: Vec<&dyn ToSql> = Vec::with_capacity(12);
        if let Some(v) = &viewer {
            values.push(v);
        }
        values.extend([&owner as &dyn ToSql, &status]);
        if let Some(slots) = &friend_slots {
            values.extend(slots.iter().map(|s| s as &dyn ToSql));
        }
        values.extend([&v1 as &dyn ToSql, &v2, &v3]);
        if let Some((at, id)) = &after {
            values.extend([at as &dyn ToSql, id]);
        }
        values.push(&limit);
        self.with(|c| {
            let mut statement = c.prepare_cached(sql)?;
            gather(statement.query_map(&*values, row)?, limit)
        })
    }
}

/// The rows, into a vector sized for the page up front (growing it copied every row a few times).
fn gather<T>(
    rows: impl Iterator<Item = rusqlite::Result<T>>,
    limit: u32,
) -> rusqlite::Result<Vec<T>> {
    let mut out = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(1024));
    for row in rows {
        out.push(row?);
    }
    Ok(out)
}
