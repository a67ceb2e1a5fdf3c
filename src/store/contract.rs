//! The store's contract: what every backend promises, one round trip (or transaction) a call.

use std::fmt;

use async_trait::async_trait;

use super::{
    Admission, AuditAction, AuditEvent, AuditQuery, BatchClaim, BatchInProgress, Befriend, Change,
    EdgeDue, FriendRequest, GalleryQuery, Image, ImageId, ImageStatus, OutboxBacklog, PageAfter,
    ReapClaim, RevocationEntry, StoreError, UploadLimits, User, UserId, Visibility,
};

/// The metadata store. Every method is one round trip (or one transaction).
///
/// Every method that changes something takes a [`Change`] and records its audit event in the
/// same transaction, only when something changed; with [`Change::revoke`] the links handed out so
/// far are revoked in it too (the image's link version and its edge floor).
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

    /// A page as `query.viewer` sees it, and whether they are the owner's friend (`None` when
    /// the page is empty), in one statement: the images `images_by_owner` gives for
    /// `query.if_friend` when they are friends, for `query.otherwise` when not. A gallery for a
    /// signed-in visitor is then one round trip, as the owner's and an anonymous one are.
    async fn gallery_for(
        &self,
        query: GalleryQuery<'_>,
    ) -> Result<(Vec<Image>, Option<bool>), StoreError>;

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
        change: &Change<'_>,
    ) -> Result<Befriend, StoreError>;

    /// `me` accepts `from`'s request: the request goes and the friendship (both directions) is
    /// written, in one transaction. `false` when `from` has not asked (nothing is written).
    async fn accept_friendship(
        &self,
        me: &UserId,
        from: &UserId,
        change: &Change<'_>,
    ) -> Result<bool, StoreError>;

    /// Removes a request between `a` and `b` in either direction (declined, or withdrawn by
    /// the one who asked). `false` when there was none.
    async fn remove_friend_request(
        &self,
        a: &UserId,
        b: &UserId,
        change: &Change<'_>,
    ) -> Result<bool, StoreError>;

    /// Ends a friendship (both directions), and any request between the two. `false` when they
    /// were not friends. With [`Change::revoke`], the links to both sides' READY FRIENDS images
    /// are revoked (each image's, or a side's whole account when it has more than
    /// [`Revoke::max_entries`](super::Revoke::max_entries) of them).
    async fn remove_friendship(
        &self,
        a: &UserId,
        b: &UserId,
        change: &Change<'_>,
    ) -> Result<bool, StoreError>;

    /// Requests to and from `user` still waiting for an answer, newest first, at most `limit`.
    async fn friend_requests(
        &self,
        user: &UserId,
        limit: u32,
    ) -> Result<Vec<FriendRequest>, StoreError>;

    /// Inserts an image; `Conflict` when the id or key exists.
    async fn insert_image(&self, image: &Image) -> Result<(), StoreError>;

    /// Inserts a PENDING upload if its owner may have one more at `now_ms`: one of their
    /// `per_minute` tickets is left, and they have fewer than `max_pending` PENDING images. The
    /// ticket, the count and the insert are one transaction, so parallel calls (from any
    /// number of replicas) never pass either limit. Nothing is written when refused (but a
    /// refusal for the cap still uses the ticket, as a successful one would).
    async fn insert_pending_image(
        &self,
        image: &Image,
        limits: UploadLimits,
        change: &Change<'_>,
    ) -> Result<Admission, StoreError>;

    /// Sets an image's visibility; returns the updated image, `None` when it does not exist.
    /// With [`Change::invalidate`], that path is queued in the invalidation outbox in the same
    /// transaction when the image was updated: no crash can keep the change and lose the
    /// invalidation (nor the revocation, nor the audit event).
    async fn set_visibility(
        &self,
        id: &ImageId,
        visibility: Visibility,
        change: &Change<'_>,
    ) -> Result<Option<Image>, StoreError>;

    /// Moves an image from status `from` to `to` in one statement; returns the updated image,
    /// `None` when it does not exist or is not in `from` (so two racing transitions cannot both
    /// win, and a deleted image is never revived). Recorded as `action`; the rest of `change` as
    /// for [`Store::set_visibility`].
    async fn set_status(
        &self,
        id: &ImageId,
        from: ImageStatus,
        to: ImageStatus,
        action: AuditAction,
        change: &Change<'_>,
    ) -> Result<Option<Image>, StoreError>;

    /// How many PENDING images `owner` has.
    async fn count_pending(&self, owner: &UserId) -> Result<u64, StoreError>;

    /// Claims, until `claim.until_ms`, up to `claim.limit` images the reaper should finish and
    /// no other pass holds: every DELETED one, and PENDING and FAILED ones created before
    /// `claim.pending_before_ms`; oldest first. A claimed image is not handed out again before
    /// its claim lapses, so concurrent passes never share one.
    async fn claim_reapable(&self, claim: ReapClaim) -> Result<Vec<Image>, StoreError>;

    /// Removes an image's row for good; `false` when there was none.
    async fn remove_image(&self, id: &ImageId, change: &Change<'_>) -> Result<bool, StoreError>;

    /// Revokes every link to image `id` handed out so far ([`Change::revoke`] says for how
    /// long; without it nothing is revoked); returns the image with its new link version,
    /// `None` when it does not exist.
    async fn revoke_image_links(
        &self,
        id: &ImageId,
        change: &Change<'_>,
    ) -> Result<Option<Image>, StoreError>;

    /// Revokes every link and cookie to `owner`'s media handed out so far (one floor for the
    /// whole account); `None` when there is no such user, else the new floor.
    async fn revoke_account_links(
        &self,
        owner: &UserId,
        change: &Change<'_>,
    ) -> Result<Option<i64>, StoreError>;

    /// The floors that apply to an object of `owner`'s image `image` (the account's, the
    /// image's), whichever exist.
    async fn revocation_floors(
        &self,
        owner: &UserId,
        image: &ImageId,
    ) -> Result<Vec<RevocationEntry>, StoreError>;

    /// Claims, until `until_ms`, up to `limit` floors the edge store must be told about at
    /// `now_ms` (new or raised ones to put, expired ones it holds to delete), oldest first.
    async fn claim_edge_due(
        &self,
        now_ms: i64,
        until_ms: i64,
        limit: u32,
    ) -> Result<Vec<EdgeDue>, StoreError>;

    /// The edge store holds `floor` for `prefix`.
    async fn edge_synced(&self, prefix: &str, floor: i64) -> Result<(), StoreError>;

    /// The edge store no longer holds the expired `prefix`: the entry goes.
    async fn edge_removed(&self, prefix: &str, now_ms: i64) -> Result<(), StoreError>;

    /// Removes expired floors no edge store holds; how many.
    async fn prune_revocations(&self, now_ms: i64) -> Result<u64, StoreError>;

    /// Events, newest first, as `query` says.
    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;

    /// Removes events older than `before_ms` (the retention); how many.
    async fn prune_audit(&self, before_ms: i64) -> Result<u64, StoreError>;

    /// Queues a CloudFront invalidation of `path` (durably: it is sent even if this process
    /// dies). A path already waiting is not queued twice.
    async fn queue_invalidation(&self, path: &str, now_ms: i64) -> Result<(), StoreError>;

    /// Claims the paths of one batch, oldest first: at most `max_paths`, and no more than leave
    /// the paths in flight (every replica's) within `max_in_flight`. Batches left unconfirmed
    /// by a dead sender are released first. Empty when nothing is due or there is no room;
    /// otherwise the batch is recorded and counts against the budget until it is confirmed
    /// failed or complete.
    async fn claim_invalidations(&self, claim: BatchClaim<'_>) -> Result<Vec<String>, StoreError>;

    /// CloudFront accepted batch `reference` as invalidation `cloudfront_id`: its paths are done.
    async fn invalidation_sent(
        &self,
        reference: &str,
        cloudfront_id: &str,
    ) -> Result<(), StoreError>;

    /// Sending batch `reference` failed at `now_ms`: its paths wait again, with a backoff that
    /// grows with each path's failures (`backoff_ms` × attempts², at most 100 × `backoff_ms`).
    async fn invalidation_failed(
        &self,
        reference: &str,
        now_ms: i64,
        backoff_ms: i64,
    ) -> Result<(), StoreError>;

    /// Up to `limit` batches CloudFront has accepted and not yet reported complete.
    async fn invalidations_in_progress(
        &self,
        limit: u32,
    ) -> Result<Vec<BatchInProgress>, StoreError>;

    /// CloudFront reports batch `reference` complete: its paths leave the in-flight budget.
    async fn invalidation_completed(&self, reference: &str) -> Result<(), StoreError>;

    /// How many paths wait and how many are in flight.
    async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError>;
}
