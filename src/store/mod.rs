//! Metadata: users, images and friendships, in SQLite (the embedded default) or PostgreSQL.
//!
//! The backend is picked from the database URL's scheme (`sqlite:` or `postgres:`); both run the
//! same contract test suite (`tests/it/store_contract.rs`). Queries are runtime `sqlx::query_as`
//! calls: the `query!` macros bind a crate to one database.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

mod postgres;
mod postgres_friends;
mod sqlite;
mod sqlite_friends;
mod sqlite_read;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// A user's id: `[A-Za-z0-9_-]{1,64}`, safe in object keys and URLs as-is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

/// An image's id: `[A-Za-z0-9_-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageId(String);

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

macro_rules! id_type {
    ($t:ident) => {
        impl $t {
            /// Parses an id; `None` when it has characters outside `[A-Za-z0-9_-]` or is too long.
            pub fn parse(s: &str) -> Option<$t> {
                is_id(s).then(|| $t(s.to_owned()))
            }

            /// The id.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
id_type!(UserId);
id_type!(ImageId);

/// Who may see an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// The owner only.
    Private,
    /// The owner and the owner's friends.
    Friends,
    /// Everyone, signed in or not.
    Public,
}

impl Visibility {
    /// The stored (and GraphQL) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "PRIVATE",
            Visibility::Friends => "FRIENDS",
            Visibility::Public => "PUBLIC",
        }
    }

    /// Reads the stored spelling.
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "PRIVATE" => Some(Visibility::Private),
            "FRIENDS" => Some(Visibility::Friends),
            "PUBLIC" => Some(Visibility::Public),
            _ => None,
        }
    }
}

/// Where an image is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageStatus {
    /// Upload ticket issued, bytes not confirmed.
    Pending,
    /// Confirmed; the only status that is ever linked.
    Ready,
    /// The upload did not match what was declared.
    Failed,
    /// Hidden at once; the object is removed by the client or the reaper.
    Deleted,
}

impl ImageStatus {
    /// The stored (and GraphQL) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::Pending => "PENDING",
            ImageStatus::Ready => "READY",
            ImageStatus::Failed => "FAILED",
            ImageStatus::Deleted => "DELETED",
        }
    }

    /// Reads the stored spelling.
    pub fn parse(s: &str) -> Option<ImageStatus> {
        match s {
            "PENDING" => Some(ImageStatus::Pending),
            "READY" => Some(ImageStatus::Ready),
            "FAILED" => Some(ImageStatus::Failed),
            "DELETED" => Some(ImageStatus::Deleted),
            _ => None,
        }
    }
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Our id (appears in object keys).
    pub id: UserId,
    /// The identity provider's `iss` + `sub` this user was created from, as `"{iss}|{sub}"`.
    pub subject: String,
    /// A display name.
    pub username: String,
    /// Creation time, epoch milliseconds.
    pub created_at_ms: i64,
}

/// An image's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Its id.
    pub id: ImageId,
    /// Its owner.
    pub owner_id: UserId,
    /// The object key, `{ownerId}/{imageId}/{filename}`; built by the server only.
    pub key: String,
    /// Who may see it.
    pub visibility: Visibility,
    /// Where it is in its life.
    pub status: ImageStatus,
    /// Declared MIME type.
    pub content_type: String,
    /// Declared size in bytes.
    pub size: i64,
    /// Declared SHA-256, lower-case hex, if the client gave one.
    pub sha256: Option<String>,
    /// Creation time, epoch milliseconds.
    pub created_at_ms: i64,
    /// Last change, epoch milliseconds.
    pub updated_at_ms: i64,
}

/// Where a page of images starts: strictly after this (created_at, id) in newest-first order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAfter {
    /// `created_at_ms` of the last image of the previous page.
    pub created_at_ms: i64,
    /// `id` of the last image of the previous page.
    pub id: ImageId,
}

/// A friend request waiting for an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendRequest {
    /// Who asked.
    pub from: UserId,
    /// Who is asked.
    pub to: UserId,
    /// When, epoch milliseconds.
    pub created_at_ms: i64,
}

/// What asking for a friendship did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Befriend {
    /// The request waits for the other side.
    Requested,
    /// The other side had asked too: they are friends now.
    Accepted,
    /// They were friends already; nothing changed.
    AlreadyFriends,
    /// The asker has too many unanswered requests; nothing was written.
    TooManyRequests,
}

/// What the seeder did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Users inserted.
    pub users: u64,
    /// Images inserted.
    pub images: u64,
}

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
}

/// The metadata store. Every method is one round trip (or one transaction).
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// Checks the database answers (`/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Returns the user for `subject`, creating it with `id` and `username` on first sight. An
    /// existing user keeps its id; its username is updated when it changed.
    async fn upsert_user(
        &self,
        subject: &str,
        id: &UserId,
        username: &str,
        now_ms: i64,
    ) -> Result<User, StoreError>;

    /// A user by id.
    async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError>;

    /// An image by id, whatever its status (access rules decide what to show).
    async fn image(&self, id: &ImageId) -> Result<Option<Image>, StoreError>;

    /// An image by id (whatever its status) and whether `viewer` is a friend of its owner, in
    /// one lookup: an image hidden from the viewer then costs what a missing id costs, so the
    /// two cannot be told apart by timing. `viewer` None (anonymous) is never a friend.
    async fn image_for(
        &self,
        id: &ImageId,
        viewer: Option<&UserId>,
    ) -> Result<Option<(Image, bool)>, StoreError>;

    /// Up to `limit` of `owner`'s images with `status` and one of `visibilities`, newest first
    /// (`created_at_ms` DESC, then `id` DESC), strictly after `after`. One indexed query.
    async fn images_by_owner(
        &self,
        owner: &UserId,
        status: ImageStatus,
        visibilities: &[Visibility],
        after: Option<&PageAfter>,
        limit: u32,
    ) -> Result<Vec<Image>, StoreError>;

    /// Whether `a` and `b` are friends (friendship is symmetric).
    async fn are_friends(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError>;

    /// `from` asks `to` for a friendship. Nothing is written to `friendships` unless `to` had
    /// already asked `from` (both sides asked: that is consent from both). A new request is
    /// refused once `from` has `max_outgoing` unanswered ones; asking again is harmless.
    async fn request_friendship(
        &self,
        from: &UserId,
        to: &UserId,
        max_outgoing: u32,
        now_ms: i64,
    ) -> Result<Befriend, StoreError>;

    /// `me` accepts `from`'s request: the request goes and the friendship (both directions) is
    /// written, in one transaction. `false` when `from` has not asked (nothing is written).
    async fn accept_friendship(
        &self,
        me: &UserId,
        from: &UserId,
        now_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Removes a request between `a` and `b` in either direction (declined, or withdrawn by
    /// the one who asked). `false` when there was none.
    async fn remove_friend_request(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError>;

    /// Ends a friendship (both directions), and any request between the two. `false` when they
    /// were not friends.
    async fn remove_friendship(&self, a: &UserId, b: &UserId) -> Result<bool, StoreError>;

    /// Requests to and from `user` still waiting for an answer, newest first, at most `limit`.
    async fn friend_requests(
        &self,
        user: &UserId,
        limit: u32,
    ) -> Result<Vec<FriendRequest>, StoreError>;

    /// Inserts an image; `Conflict` when the id or key exists.
    async fn insert_image(&self, image: &Image) -> Result<(), StoreError>;

    /// Inserts a PENDING upload unless its owner already has `max_pending` PENDING images; the
    /// count and the insert are one atomic step, so parallel calls never pass the cap. `false`
    /// (and nothing written) at the cap.
    async fn insert_pending_image(
        &self,
        image: &Image,
        max_pending: u32,
    ) -> Result<bool, StoreError>;

    /// Sets an image's visibility; returns the updated image, `None` when it does not exist.
    async fn set_visibility(
        &self,
        id: &ImageId,
        visibility: Visibility,
        now_ms: i64,
    ) -> Result<Option<Image>, StoreError>;

    /// Moves an image from status `from` to `to` in one statement; returns the updated image,
    /// `None` when it does not exist or is not in `from` (so two racing transitions cannot both
    /// win, and a deleted image is never revived).
    async fn set_status(
        &self,
        id: &ImageId,
        from: ImageStatus,
        to: ImageStatus,
        now_ms: i64,
    ) -> Result<Option<Image>, StoreError>;

    /// How many PENDING images `owner` has.
    async fn count_pending(&self, owner: &UserId) -> Result<u64, StoreError>;

    /// Up to `limit` images the reaper should finish: every DELETED one, and PENDING and FAILED
    /// ones created before `pending_before_ms`; oldest first within each status.
    async fn reapable(&self, pending_before_ms: i64, limit: u32) -> Result<Vec<Image>, StoreError>;

    /// Removes an image's row for good; `false` when there was none.
    async fn remove_image(&self, id: &ImageId) -> Result<bool, StoreError>;

    /// Loads the benchmark dataset: users `u0000`… (username = id, subject `{issuer}|u0000`, so a
    /// token of that issuer for `u0000` is that user), each with
    /// images `{user}-{n:04}` keyed `{user}/{user}-{n:04}/{n:04}.jpg`, all PUBLIC and READY,
    /// image/jpeg, size 1000 + n. Skips users that exist. Calls `progress(rows_done)` now and then.
    async fn seed(
        &self,
        users: u32,
        images_per_user: u32,
        issuer: &str,
        now_ms: i64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<SeedReport, StoreError>;
}

/// Reads a stored enum or id back; a value no parser accepts is a corrupt row.
fn parse_stored<T>(
    what: &str,
    stored: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(stored).ok_or_else(|| StoreError::Corrupt(format!("{what} {stored:?}")))
}

/// Connects to `url` (`sqlite:path` / `sqlite://path`, or `postgres://…`), creating a SQLite file
/// (and its directory) when missing, and runs the migrations.
pub async fn connect(url: &str, max_connections: u32) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, max_connections).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            PostgresStore::connect(url, max_connections).await?,
        ))
    } else {
        let scheme = url.split(':').next().unwrap_or("").to_owned();
        Err(StoreError::UnsupportedUrl(scheme))
    }
}
