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

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Row, params};

use super::sqlite::{
    EXPLAIN_PAGE, EXPLAIN_PAGE_AFTER, IMAGE_BY_ID, IMAGE_FOR_VIEWER, PAGE, PAGE_AFTER,
    visibility_slots,
};
use super::{
    Image, ImageId, ImageStatus, PageAfter, StoreError, User, UserId, Visibility, parse_stored,
};

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
        let row = self.with(|c| {
            c.prepare_cached(
                "SELECT id, subject, username, created_at_ms FROM users WHERE id = ?1",
            )?
            .query_row([id.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .optional()
        })?;
        row.map(|(id, subject, username, created_at_ms)| {
            Ok(User {
                id: parse_stored("user id", &id, UserId::parse)?,
                subject,
                username,
                created_at_ms,
            })
        })
        .transpose()
    }

    pub(super) fn image(&self, id: &ImageId) -> Result<Option<Image>, StoreError> {
        self.with(|c| {
            c.prepare_cached(IMAGE_BY_ID)?
                .query_row([id.as_str()], |r| Ok(image_from_row(r)))
                .optional()
        })?
        .transpose()
    }

    pub(super) fn image_for(
        &self,
        id: &ImageId,
        viewer: &str,
    ) -> Result<Option<(Image, bool)>, StoreError> {
        self.with(|c| {
            c.prepare_cached(IMAGE_FOR_VIEWER)?
                .query_row([id.as_str(), viewer], |r| {
                    let friends: bool = r.get(10)?;
                    Ok((image_from_row(r), friends))
                })
                .optional()
        })?
        .map(|(image, friends)| image.map(|image| (image, friends)))
        .transpose()
    }

    pub(super) fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
        self.with(|c| {
            c.prepare_cached("SELECT 1 FROM friendships WHERE user_id = ?1 AND friend_id = ?2")?
                .exists([a.as_str(), b.as_str()])
        })
    }

    /// The same page as the sqlx path: one index range scan, newest first.
    pub(super) fn images_by_owner(
        &self,
        owner: &UserId,
        status: ImageStatus,
        visibilities: &[Visibility],
        after: Option<&PageAfter>,
        limit: u32,
    ) -> Result<Vec<Image>, StoreError> {
        let sql = if after.is_some() { PAGE_AFTER } else { PAGE };
        self.page(sql, owner, status, visibilities, after, limit, |r| {
            Ok(image_from_row(r))
        })?
        .into_iter()
        .collect()
    }

    /// `EXPLAIN QUERY PLAN` of the statement `images_by_owner` runs with these arguments.
    pub(super) fn explain_images_by_owner(
        &self,
        owner: &UserId,
        status: ImageStatus,
        visibilities: &[Visibility],
        after: Option<&PageAfter>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let sql = if after.is_some() {
            EXPLAIN_PAGE_AFTER
        } else {
            EXPLAIN_PAGE
        };
        // EXPLAIN QUERY PLAN's columns: id, parent, notused, detail.
        self.page(sql, owner, status, visibilities, after, limit, |r| r.get(3))
    }

    /// Runs a page statement (or its plan) with `images_by_owner`'s arguments.
    #[allow(clippy::too_many_arguments)]
    fn page<T>(
        &self,
        sql: &str,
        owner: &UserId,
        status: ImageStatus,
        visibilities: &[Visibility],
        after: Option<&PageAfter>,
        limit: u32,
        row: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let [v1, v2, v3] = visibility_slots(visibilities);
        let (owner, status) = (owner.as_str(), status.as_str());
        self.with(|c| {
            let mut statement = c.prepare_cached(sql)?;
            match after {
                None => gather(
                    statement.query_map(params![owner, status, v1, v2, v3, limit], row)?,
                    limit,
                ),
                Some(a) => gather(
                    statement.query_map(
                        params![
                            owner,
                            status,
                            v1,
                            v2,
                            v3,
                            a.created_at_ms,
                            a.id.as_str(),
                            limit
                        ],
                        row,
                    )?,
                    limit,
                ),
            }
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

/// An image row in column order (also how a sqlx JSON page carries it).
pub(super) type ImageTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    i64,
    i64,
);

/// An image row (`image_columns!` order) read straight from SQLite's buffers: each text is
/// checked and copied once, and the enums not at all. (Through `String`s it was twice the
/// allocations, and a third of a gallery page's time.)
fn image_from_row(r: &Row<'_>) -> Result<Image, StoreError> {
    let text = |i: usize| -> Result<&str, StoreError> {
        r.get_ref(i)?
            .as_str()
            .map_err(|e| StoreError::Corrupt(format!("image column {i}: {e}")))
    };
    let sha256 = match r.get_ref(7)? {
        ValueRef::Null => None,
        _ => Some(text(7)?.to_owned()),
    };
    Ok(Image {
        id: parse_stored("image id", text(0)?, ImageId::parse)?,
        owner_id: parse_stored("owner id", text(1)?, UserId::parse)?,
        key: text(2)?.to_owned(),
        visibility: parse_stored("visibility", text(3)?, Visibility::parse)?,
        status: parse_stored("status", text(4)?, ImageStatus::parse)?,
        content_type: text(5)?.to_owned(),
        size: r.get(6)?,
        sha256,
        created_at_ms: r.get(8)?,
        updated_at_ms: r.get(9)?,
    })
}

pub(super) fn image_from_tuple(t: ImageTuple) -> Result<Image, StoreError> {
    let (id, owner, key, visibility, status, content_type, size, sha256, created, updated) = t;
    Ok(Image {
        id: parse_stored("image id", &id, ImageId::parse)?,
        owner_id: parse_stored("owner id", &owner, UserId::parse)?,
        key,
        visibility: parse_stored("visibility", &visibility, Visibility::parse)?,
        status: parse_stored("status", &status, ImageStatus::parse)?,
        content_type,
        size,
        sha256,
        created_at_ms: created,
        updated_at_ms: updated,
    })
}
