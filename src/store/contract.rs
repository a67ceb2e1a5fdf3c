//! The store's contract: what every backend promises, one round trip (or transaction) a call.

use std::fmt;

use async_trait::async_trait;

use super::{
    Befriend, FriendRequest, Image, ImageId, ImageStatus, PageAfter, StoreError, User, UserId,
    Visibility,
};

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
}
