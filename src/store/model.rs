//! What the store holds: ids, users, images, friend requests.

use std::fmt;

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
    /// The highest link version any revocation gave this user's media (0: never revoked); the
    /// user's signed cookies carry it.
    pub links_revised: i64,
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
    /// The version its links carry (`?v=`, inside the signed resource); raised by a revocation,
    /// so links issued before it are refused at the edge. 0 until then.
    pub link_version: i64,
}

/// Where a page of images starts: strictly after this (created_at, id) in newest-first order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAfter {
    /// `created_at_ms` of the last image of the previous page.
    pub created_at_ms: i64,
    /// `id` of the last image of the previous page.
    pub id: ImageId,
}

/// A page of an owner's images as a signed-in viewer who is not the owner sees it: which
/// visibilities they see depends on whether they are the owner's friend, and the store finds
/// that out in the same statement as the page.
#[derive(Debug, Clone, Copy)]
pub struct GalleryQuery<'a> {
    /// Whose images.
    pub owner: &'a UserId,
    /// Who asks.
    pub viewer: &'a UserId,
    /// Which status.
    pub status: ImageStatus,
    /// The visibilities shown when the viewer is the owner's friend.
    pub if_friend: &'a [Visibility],
    /// The visibilities shown when not.
    pub otherwise: &'a [Visibility],
    /// Strictly after this, newest first.
    pub after: Option<&'a PageAfter>,
    /// Most images.
    pub limit: u32,
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
