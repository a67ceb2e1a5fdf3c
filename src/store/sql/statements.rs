//! Every statement text both backends run, in one place.
//!
//! Parameters are `$N`: PostgreSQL's spelling, which sqlx-sqlite also binds by number (it reads
//! each parameter's name). The SQLite reader binds by position, so the statements it runs
//! ([`READER`]) number their parameters in the order they first appear, which is how SQLite
//! numbers them; a unit test holds them to it. Column lists come from
//! [`image_columns!`] and [`user_columns!`], in the order the row decoder ([`super::rows`])
//! reads them.

/// Columns of `users`, in the order [`super::rows::user`] reads them.
macro_rules! user_columns {
    () => {
        "id, subject, username, created_at_ms"
    };
}

/// Columns of `images`, in the order [`super::rows::image`] reads them.
macro_rules! image_columns {
    () => {
        "id, owner_id, key, visibility, status, content_type, size, sha256, created_at_ms, updated_at_ms"
    };
}
pub(in crate::store) use image_columns;

/// How many columns [`image_columns!`] names: a column after them (as in [`IMAGE_FOR_VIEWER`])
/// is at this index.
pub(in crate::store) const IMAGE_COLUMN_COUNT: usize = 10;

/// One page of `images_by_owner`, newest first: one index range scan. The visibility test is
/// spelled with `=` and `OR` over three slots (see [`super::visibility_slots`]): SQLite built and
/// dropped an ephemeral b-tree of the values for `IN (…)` on every call, and one spelling serves
/// both databases (on both, visibility is a filter on the index range, not part of its key).
macro_rules! page_select {
    ($filter:expr, $limit:expr) => {
        concat!(
            "SELECT ",
            image_columns!(),
            " FROM images WHERE owner_id = $1 AND status = $2",
            " AND (visibility = $3 OR visibility = $4 OR visibility = $5)",
            $filter,
            " ORDER BY created_at_ms DESC, id DESC LIMIT ",
            $limit
        )
    };
}

/// The first page of an owner's images.
pub(in crate::store) const PAGE: &str = page_select!("", "$6");

// A row value, not `created_at_ms < ? OR (created_at_ms = ? AND id < ?)`: both databases turn the
// row value into a range on the index (created_at_ms DESC, id DESC), so a deep page starts where
// the cursor is; the OR form was a filter over the owner's whole range on SQLite.
/// A later page: strictly after ($6, $7).
pub(in crate::store) const PAGE_AFTER: &str =
    page_select!(" AND (created_at_ms, id) < ($6, $7)", "$8");

/// One image by id.
pub(in crate::store) const IMAGE_BY_ID: &str =
    concat!("SELECT ", image_columns!(), " FROM images WHERE id = $1");

/// Whether $1 is a friend of its owner, and one image by id ($2). The viewer is $1 because it
/// appears first: SQLite numbers parameters by first appearance, and the reader binds by
/// position. The friendship is a primary-key probe inside the same statement, so a hidden image
/// costs what a missing one does.
pub(in crate::store) const IMAGE_FOR_VIEWER: &str = concat!(
    "SELECT ",
    image_columns!(),
    ", EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = images.owner_id)",
    " FROM images WHERE id = $2"
);

/// One user by id.
pub(in crate::store) const USER_BY_ID: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");

/// Whether $1 counts $2 as a friend (stored in both directions: one primary-key probe).
pub(in crate::store) const ARE_FRIENDS: &str =
    "SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2";

pub(in crate::store) const UPSERT_USER: &str = concat!(
    "INSERT INTO users (id, subject, username, created_at_ms) VALUES ($1, $2, $3, $4)",
    " ON CONFLICT (subject) DO UPDATE SET username = excluded.username",
    " RETURNING ",
    user_columns!()
);

pub(in crate::store) const INSERT_IMAGE: &str = concat!(
    "INSERT INTO images (",
    image_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
);

/// A PENDING image, unless its owner ($2) has $10 PENDING ones already. One statement: on SQLite
/// the write lock is taken before the count runs; on PostgreSQL the caller holds the owner's row
/// lock, and this new statement counts what the previous holder committed (READ COMMITTED).
pub(in crate::store) const INSERT_PENDING_IMAGE: &str = concat!(
    "INSERT INTO images (",
    image_columns!(),
    ") SELECT $1, $2, $3, $4, 'PENDING', $5, $6, $7, $8, $9",
    " WHERE (SELECT count(*) FROM images WHERE owner_id = $2 AND status = 'PENDING') < $10"
);

pub(in crate::store) const SET_VISIBILITY: &str = concat!(
    "UPDATE images SET visibility = $1, updated_at_ms = $2 WHERE id = $3 RETURNING ",
    image_columns!()
);

/// Compare-and-set: only from status $4.
pub(in crate::store) const SET_STATUS: &str = concat!(
    "UPDATE images SET status = $1, updated_at_ms = $2 WHERE id = $3 AND status = $4 RETURNING ",
    image_columns!()
);

pub(in crate::store) const COUNT_PENDING: &str =
    "SELECT COUNT(*) FROM images WHERE owner_id = $1 AND status = 'PENDING'";

/// Three index range scans (one per status), each already in order.
pub(in crate::store) const REAPABLE: &str = concat!(
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

pub(in crate::store) const REMOVE_IMAGE: &str = "DELETE FROM images WHERE id = $1";

// Friendships.

pub(in crate::store) const REQUEST_EXISTS: &str =
    "SELECT 1 FROM friend_requests WHERE from_id = $1 AND to_id = $2";

pub(in crate::store) const TAKE_REQUEST: &str =
    "DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2";

/// A request from $1 to $2, unless $1 has $4 unanswered ones already.
pub(in crate::store) const INSERT_REQUEST: &str =
    "INSERT INTO friend_requests (from_id, to_id, created_at_ms)
     SELECT $1, $2, $3 WHERE (SELECT count(*) FROM friend_requests WHERE from_id = $1) < $4";

pub(in crate::store) const REMOVE_REQUESTS_BETWEEN: &str = "DELETE FROM friend_requests
     WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)";

pub(in crate::store) const REMOVE_FRIENDSHIP: &str = "DELETE FROM friendships
     WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)";

/// Both directions, so "is b a friend of a" is one primary-key lookup.
pub(in crate::store) const INSERT_FRIENDSHIP: &str =
    "INSERT INTO friendships (user_id, friend_id, created_at_ms)
     VALUES ($1, $2, $3), ($2, $1, $3) ON CONFLICT DO NOTHING";

pub(in crate::store) const FRIEND_REQUESTS: &str =
    "SELECT from_id, to_id, created_at_ms FROM friend_requests
     WHERE from_id = $1 OR to_id = $1
     ORDER BY created_at_ms DESC, from_id, to_id LIMIT $2";

/// The statements the SQLite reader runs, bound by position.
#[cfg(test)]
pub(in crate::store) const READER: &[&str] = &[
    PAGE,
    PAGE_AFTER,
    IMAGE_BY_ID,
    IMAGE_FOR_VIEWER,
    USER_BY_ID,
    ARE_FRIENDS,
];

/// Every statement above, for the test that prepares each on SQLite.
#[cfg(test)]
pub(in crate::store) const ALL: &[&str] = &[
    PAGE,
    PAGE_AFTER,
    IMAGE_BY_ID,
    IMAGE_FOR_VIEWER,
    USER_BY_ID,
    ARE_FRIENDS,
    UPSERT_USER,
    INSERT_IMAGE,
    INSERT_PENDING_IMAGE,
    SET_VISIBILITY,
    SET_STATUS,
    COUNT_PENDING,
    REAPABLE,
    REMOVE_IMAGE,
    REQUEST_EXISTS,
    TAKE_REQUEST,
    INSERT_REQUEST,
    REMOVE_REQUESTS_BETWEEN,
    REMOVE_FRIENDSHIP,
    INSERT_FRIENDSHIP,
    FRIEND_REQUESTS,
];
