//! The one row decoder: a stored row back into a [`User`], [`Image`] or [`FriendRequest`],
//! whichever driver read it (sqlx on either database, rusqlite on SQLite's read path, or
//! tokio-postgres on PostgreSQL's).
//!
//! Columns are read by position, in the order of the statements' column lists
//! (`image_columns!`, `user_columns!`), and texts are borrowed from the driver's buffers: each is
//! checked and copied once, the enums not at all. (Through `String`s it was twice the
//! allocations, and a third of a gallery page's time.)

use sqlx::Row as _;

use crate::store::error::parse_stored;
use crate::store::{
    AuditAction, AuditEvent, EdgeDue, FriendRequest, Image, ImageId, ImageStatus, RevocationEntry,
    StoreError, User, UserId, Visibility,
};

/// A row, as each driver hands it over.
pub(in crate::store) trait Columns {
    /// A non-NULL text column.
    fn text(&self, i: usize) -> Result<&str, StoreError>;
    /// A text column that may be NULL.
    fn optional_text(&self, i: usize) -> Result<Option<&str>, StoreError>;
    /// An integer column.
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    /// A boolean (on SQLite, an integer 0 or 1).
    fn flag(&self, i: usize) -> Result<bool, StoreError>;
}

/// `Columns` for a row type whose `try_get(i)` decodes by position into any type (sqlx's rows,
/// tokio-postgres's), its error converting into `StoreError`.
macro_rules! try_get_columns {
    ($row:ty) => {
        impl Columns for $row {
            fn text(&self, i: usize) -> Result<&str, StoreError> {
                Ok(self.try_get(i)?)
            }
            fn optional_text(&self, i: usize) -> Result<Option<&str>, StoreError> {
                Ok(self.try_get(i)?)
            }
            fn int(&self, i: usize) -> Result<i64, StoreError> {
                Ok(self.try_get(i)?)
            }
            fn flag(&self, i: usize) -> Result<bool, StoreError> {
                Ok(self.try_get(i)?)
            }
        }
    };
}
try_get_columns!(sqlx::sqlite::SqliteRow);
try_get_columns!(sqlx::postgres::PgRow);
try_get_columns!(tokio_postgres::Row);

impl Columns for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<&str, StoreError> {
        self.get_ref(i)?
            .as_str()
            .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
    }
    fn optional_text(&self, i: usize) -> Result<Option<&str>, StoreError> {
        self.get_ref(i)?
            .as_str_or_null()
            .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        Ok(self.get(i)?)
    }
    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        Ok(self.get(i)?)
    }
}

/// A row of `user_columns!`.
pub(in crate::store) fn user(r: &impl Columns) -> Result<User, StoreError> {
    Ok(User {
        id: parse_stored("user id", r.text(0)?, UserId::parse)?,
        subject: r.text(1)?.to_owned(),
        username: r.text(2)?.to_owned(),
        created_at_ms: r.int(3)?,
        links_revised: r.int(4)?,
    })
}

/// A row of `image_columns!`.
pub(in crate::store) fn image(r: &impl Columns) -> Result<Image, StoreError> {
    Ok(Image {
        id: parse_stored("image id", r.text(0)?, ImageId::parse)?,
        owner_id: parse_stored("owner id", r.text(1)?, UserId::parse)?,
        key: r.text(2)?.to_owned(),
        visibility: parse_stored("visibility", r.text(3)?, Visibility::parse)?,
        status: parse_stored("status", r.text(4)?, ImageStatus::parse)?,
        content_type: r.text(5)?.to_owned(),
        size: r.int(6)?,
        sha256: r.optional_text(7)?.map(str::to_owned),
        created_at_ms: r.int(8)?,
        updated_at_ms: r.int(9)?,
        link_version: r.int(10)?,
    })
}

/// A row of `image_columns!` followed by whether the viewer is the owner's friend.
pub(in crate::store) fn image_for_viewer(r: &impl Columns) -> Result<(Image, bool), StoreError> {
    Ok((image(r)?, r.flag(super::statements::IMAGE_COLUMN_COUNT)?))
}

/// A row of `from_id, to_id, created_at_ms`.
pub(in crate::store) fn friend_request(r: &impl Columns) -> Result<FriendRequest, StoreError> {
    Ok(FriendRequest {
        from: parse_stored("user id", r.text(0)?, UserId::parse)?,
        to: parse_stored("user id", r.text(1)?, UserId::parse)?,
        created_at_ms: r.int(2)?,
    })
}

/// A row of `audit_columns!`.
pub(in crate::store) fn audit_event(r: &impl Columns) -> Result<AuditEvent, StoreError> {
    let user = |i| -> Result<Option<UserId>, StoreError> {
        r.optional_text(i)?
            .map(|t| parse_stored("user id", t, UserId::parse))
            .transpose()
    };
    Ok(AuditEvent {
        id: r.int(0)?,
        at_ms: r.int(1)?,
        actor: r.text(2)?.to_owned(),
        action: parse_stored("audit action", r.text(3)?, AuditAction::parse)?,
        owner: user(4)?,
        other: user(5)?,
        image: r
            .optional_text(6)?
            .map(|t| parse_stored("image id", t, ImageId::parse))
            .transpose()?,
        before: r.optional_text(7)?.map(str::to_owned),
        after: r.optional_text(8)?.map(str::to_owned),
        request_id: r.optional_text(9)?.map(str::to_owned),
        client: r.optional_text(10)?.map(str::to_owned),
    })
}

/// A row of `prefix, floor, revoked_at_ms, expires_at_ms`.
pub(in crate::store) fn revocation(r: &impl Columns) -> Result<RevocationEntry, StoreError> {
    Ok(RevocationEntry {
        prefix: r.text(0)?.to_owned(),
        floor: r.int(1)?,
        revoked_at_ms: r.int(2)?,
        expires_at_ms: r.int(3)?,
    })
}

/// A row of `prefix, floor, expired`.
pub(in crate::store) fn edge_due(r: &impl Columns) -> Result<EdgeDue, StoreError> {
    Ok(EdgeDue {
        prefix: r.text(0)?.to_owned(),
        floor: r.int(1)?,
        expired: r.int(2)? != 0,
    })
}
