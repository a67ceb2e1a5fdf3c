//! Metadata: users, images and friendships, in SQLite (the embedded default) or PostgreSQL.
//!
//! The backend is picked from the database URL's scheme (`sqlite:` or `postgres:`); both run the
//! same contract test suite (`tests/it/store_contract/`).
//!
//! - `contract.rs`: the [`Store`] trait, what every backend promises.
//! - `sql/`: what the two backends share: every statement text (`$N` parameters, which both
//!   sqlx drivers and SQLite itself bind by number), the one row decoder, and the statements run
//!   the same way on both (writes, friendships).
//! - `sqlite/`, `postgres/`: connecting, and what differs (SQLite reads on the caller's thread;
//!   PostgreSQL's row locks).
//! - `shared.rs`: what replicas share through the store (upload allowance, reaper claims, the
//!   invalidation outbox).
//! - `seed.rs`: the benchmark dataset, loaded in bulk; outside [`Store`], which holds only what the
//!   service does.
//!
//! Queries are runtime `sqlx::query` calls: the `query!` macros bind a crate to one database.

use std::sync::Arc;

mod audit;
mod contract;
mod error;
mod model;
mod postgres;
mod seed;
mod shared;
mod sql;
mod sqlite;

pub use audit::{
    Actor, AuditAction, AuditEvent, AuditQuery, Change, EdgeDue, RevocationEntry, Revoke, SYSTEM,
    image_revocation_prefix, owner_revocation_prefix,
};
pub use contract::Store;
pub use error::StoreError;
pub use model::{
    Befriend, FriendRequest, GalleryQuery, Image, ImageId, ImageStatus, PageAfter, User, UserId,
    Visibility,
};
pub use postgres::PostgresStore;
pub use seed::{Seed, SeedReport};
pub use shared::{Admission, BatchClaim, BatchInProgress, OutboxBacklog, ReapClaim, UploadLimits};
pub use sqlite::SqliteStore;

/// The backend a database URL names.
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn of(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            let scheme = url.split(':').next().unwrap_or("").to_owned();
            Err(StoreError::UnsupportedUrl(scheme))
        }
    }
}

/// Connects to `url` (`sqlite:path` / `sqlite://path`, `sqlite::memory:`, or `postgres://…`),
/// creating a SQLite file (and its directory) when missing, and runs the migrations.
pub async fn connect(url: &str, max_connections: u32) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match Backend::of(url)? {
        Backend::Sqlite => Arc::new(SqliteStore::connect(url, max_connections).await?),
        Backend::Postgres => Arc::new(PostgresStore::connect(url, max_connections).await?),
    })
}

/// Connects to `url` as [`connect`] does, for loading the benchmark dataset.
pub async fn seeder(url: &str) -> Result<Box<dyn Seed>, StoreError> {
    const CONNECTIONS: u32 = 4;
    Ok(match Backend::of(url)? {
        Backend::Sqlite => Box::new(SqliteStore::connect(url, CONNECTIONS).await?),
        Backend::Postgres => Box::new(PostgresStore::connect(url, CONNECTIONS).await?),
    })
}
