//! What a change records about itself (the audit trail) and what a revocation writes (the floors
//! the edge enforces). Every write method of [`Store`](super::Store) takes a [`Change`] and
//! records its event in the same transaction as the change, so no crash keeps one without the
//! other.

use super::{ImageId, UserId};

/// Who made a change, and from where. Never a token, a signature or a URL: only ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in user, or `None` for the service itself (the reaper, an operator's command).
    pub user: Option<UserId>,
    /// The request's `x-request-id`.
    pub request_id: Option<String>,
    /// The client's address as the service saw it.
    pub client: Option<String>,
}

impl Actor {
    /// The service itself (the reaper, `mediagate revoke`).
    pub fn system() -> Actor {
        Actor::default()
    }

    /// A signed-in user, outside any request (tests, tools).
    pub fn user(id: &UserId) -> Actor {
        Actor {
            user: Some(id.clone()),
            ..Actor::default()
        }
    }

    /// What the `actor` column holds.
    pub fn name(&self) -> &str {
        self.user.as_ref().map_or(SYSTEM, UserId::as_str)
    }
}

/// The `actor` of changes the service makes itself.
pub const SYSTEM: &str = "system";

/// What happened. The stored spelling is [`AuditAction::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// `createUpload`: a PENDING image.
    UploadStarted,
    /// `completeUpload`: READY.
    UploadCompleted,
    /// `completeUpload` found the object did not match: FAILED.
    UploadFailed,
    /// `setVisibility`.
    VisibilityChanged,
    /// `deleteImage`: DELETED, hidden at once.
    ImageDeleted,
    /// `revokeLinks`: every link handed out so far stops working.
    LinksRevoked,
    /// `mediagate revoke --user`: every link to the account's media stops working.
    AccountLinksRevoked,
    /// `requestFriend` (waiting for the other side).
    FriendRequested,
    /// `acceptFriend`, or two crossing requests.
    FriendAccepted,
    /// `declineFriend`: a request declined or withdrawn.
    FriendDeclined,
    /// `removeFriend`.
    FriendshipEnded,
    /// The reaper hid an upload nobody completed.
    UploadAbandoned,
    /// The reaper removed an image's object and row for good.
    ImageRemoved,
}

impl AuditAction {
    /// Every action, for the parser and the docs.
    pub const ALL: [AuditAction; 13] = [
        AuditAction::UploadStarted,
        AuditAction::UploadCompleted,
        AuditAction::UploadFailed,
        AuditAction::VisibilityChanged,
        AuditAction::ImageDeleted,
        AuditAction::LinksRevoked,
        AuditAction::AccountLinksRevoked,
        AuditAction::FriendRequested,
        AuditAction::FriendAccepted,
        AuditAction::FriendDeclined,
        AuditAction::FriendshipEnded,
        AuditAction::UploadAbandoned,
        AuditAction::ImageRemoved,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::UploadStarted => "upload.started",
            AuditAction::UploadCompleted => "upload.completed",
            AuditAction::UploadFailed => "upload.failed",
            AuditAction::VisibilityChanged => "image.visibility_changed",
            AuditAction::ImageDeleted => "image.deleted",
            AuditAction::LinksRevoked => "image.links_revoked",
            AuditAction::AccountLinksRevoked => "account.links_revoked",
            AuditAction::FriendRequested => "friend.requested",
            AuditAction::FriendAccepted => "friend.accepted",
            AuditAction::FriendDeclined => "friend.declined",
            AuditAction::FriendshipEnded => "friend.ended",
            AuditAction::UploadAbandoned => "upload.abandoned",
            AuditAction::ImageRemoved => "image.removed",
        }
    }

    /// Reads the stored spelling.
    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Links to revoke along with a change, and how long the revocation must be enforced: until
/// every link issued before it has expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoke {
    /// The longest a link or cookie issued now stays valid, in milliseconds (window + TTL).
    pub link_lifetime_ms: i64,
    /// A friendship's end revokes each FRIENDS image of both sides; an owner with more than
    /// this many has their whole account revoked instead (one edge entry, not thousands).
    pub max_entries: u32,
}

/// One change, as a write method of the store receives it: who, the audit fields the caller
/// knows (the store adds the target from the row it changed), and what goes with it in the same
/// transaction.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// Who, from where.
    pub actor: &'a Actor,
    /// When, epoch milliseconds.
    pub now_ms: i64,
    /// The value before, where it applies (a visibility, a status).
    pub before: Option<&'a str>,
    /// A CloudFront invalidation of this path, queued when the change happens.
    pub invalidate: Option<&'a str>,
    /// Revoke the links handed out so far.
    pub revoke: Option<Revoke>,
}

impl<'a> Change<'a> {
    /// A change by `actor` at `now_ms`, with nothing attached.
    pub fn by(actor: &'a Actor, now_ms: i64) -> Change<'a> {
        Change {
            actor,
            now_ms,
            before: None,
            invalidate: None,
            revoke: None,
        }
    }

    /// The same, with the value before the change.
    pub fn before(self, before: &'a str) -> Change<'a> {
        Change {
            before: Some(before),
            ..self
        }
    }

    /// The same, queueing an invalidation of `path` when it is `Some`.
    pub fn invalidating(self, path: Option<&'a str>) -> Change<'a> {
        Change {
            invalidate: path,
            ..self
        }
    }

    /// The same, revoking links.
    pub fn revoking(self, revoke: Option<Revoke>) -> Change<'a> {
        Change { revoke, ..self }
    }
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Increasing: newer events have larger ids (the cursor).
    pub id: i64,
    /// When, epoch milliseconds.
    pub at_ms: i64,
    /// A user id or `system`.
    pub actor: String,
    /// What happened.
    pub action: AuditAction,
    /// Whose image, or who acted on a friendship.
    pub owner: Option<UserId>,
    /// The other user of a friendship.
    pub other: Option<UserId>,
    /// Which image.
    pub image: Option<ImageId>,
    /// The value before, where it applies.
    pub before: Option<String>,
    /// The value after, where it applies.
    pub after: Option<String>,
    /// The request's id.
    pub request_id: Option<String>,
    /// The client's address.
    pub client: Option<String>,
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only events this user may see: about their images, or a friendship on either side.
    pub user: Option<UserId>,
    /// Only events at or after this time, epoch milliseconds.
    pub since_ms: Option<i64>,
    /// Only events older than this id (the cursor).
    pub before_id: Option<i64>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// A floor the edge enforces: links under `prefix` with a version below `floor` are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationEntry {
    /// `{owner}/` or `{owner}/{image}/`.
    pub prefix: String,
    /// The lowest version still valid (the revocation's time, epoch seconds, or just above the
    /// previous floor when revocations come faster than one a second).
    pub floor: i64,
    /// When, epoch milliseconds.
    pub revoked_at_ms: i64,
    /// When every link it outlaws has expired, epoch milliseconds.
    pub expires_at_ms: i64,
}

/// An entry the edge store must be told about: put (live) or deleted (expired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeDue {
    /// `{owner}/` or `{owner}/{image}/`.
    pub prefix: String,
    /// The floor to put.
    pub floor: i64,
    /// Expired: delete it at the edge, then here.
    pub expired: bool,
}

/// The KeyValueStore key of a whole account's floor.
pub fn owner_revocation_prefix(owner: &UserId) -> String {
    format!("{owner}/")
}

/// The KeyValueStore key of one image's floor.
pub fn image_revocation_prefix(owner: &UserId, image: &ImageId) -> String {
    format!("{owner}/{image}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_spelling() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        let mut spellings: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        spellings.sort_unstable();
        spellings.dedup();
        assert_eq!(spellings.len(), AuditAction::ALL.len());
        assert_eq!(AuditAction::parse("image.visibility-changed"), None);
    }
}
