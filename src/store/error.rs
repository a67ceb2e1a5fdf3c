//! What can go wrong in the store.

/// Store failures. Messages never contain connection strings or passwords.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one we can use.
    #[error("database URL must start with sqlite: or postgres:// (got scheme {0:?})")]
    UnsupportedUrl(String),
    /// A uniqueness rule was broken (e.g. an image id that exists).
    #[error("{0} already exists")]
    Conflict(String),
    /// A stored value we cannot read (corrupt row, unknown enum spelling).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Migrations failed.
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Anything else the database said.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Anything else SQLite said on the read path.
    #[error("database error: {0}")]
    Read(#[from] rusqlite::Error),
    /// Anything else PostgreSQL said on the read path (or its connection failing).
    #[error("database error: {0}")]
    PgRead(#[from] tokio_postgres::Error),
}

/// Reads a stored enum or id back; a value no parser accepts is a corrupt row.
pub(super) fn parse_stored<T>(
    what: &str,
    stored: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(stored).ok_or_else(|| StoreError::Corrupt(format!("{what} {stored:?}")))
}

/// A unique violation becomes `Conflict(what)`; anything else stays a database error.
pub(super) fn conflict_or_database(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what()),
        _ => StoreError::Database(e),
    }
}
