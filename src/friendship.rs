//! Friendship, which takes both sides' consent: one user asks, the other accepts (or declines),
//! and either can end it. Only an acceptance writes a friendship; the access rules
//! (`crate::access`) then let each see the other's FRIENDS images.

use crate::cloudfront::Epoch;
use crate::error::{Code, Error};
use crate::state::AppState;
use crate::store::{Actor, Befriend, Change, ImageStatus, PageAfter, UserId, Visibility};

/// Unanswered requests one user may have out at once: enough for any real use, and a cap on how
/// many strangers one account can pester.
pub const MAX_OUTGOING_REQUESTS: u32 = 100;

/// Requests listed per call of `friendRequests` (incoming and outgoing together).
pub const MAX_LISTED_REQUESTS: u32 = 2 * MAX_OUTGOING_REQUESTS;

/// Images read per page when queueing a friendship's invalidations.
const INVALIDATION_PAGE: u32 = 500;

/// `me` asks `other`. Asking someone who has asked you is accepting.
pub async fn request(
    state: &AppState,
    actor: &Actor,
    me: &UserId,
    other: &UserId,
    now_ms: i64,
) -> Result<Befriend, Error> {
    if me == other {
        return Err(Error::bad_input("you cannot befriend yourself"));
    }
    let outcome = state
        .store
        .request_friendship(me, other, MAX_OUTGOING_REQUESTS, &Change::by(actor, now_ms))
        .await?;
    if outcome == Befriend::TooManyRequests {
        return Err(Error::new(
            Code::RateLimited,
            format!(
                "you have {MAX_OUTGOING_REQUESTS} friend requests waiting for an answer; \
                 withdraw some (declineFriend) before asking anyone else"
            ),
        ));
    }
    Ok(outcome)
}

/// `me` accepts the request `from` sent; NOT_FOUND when there is none.
pub async fn accept(
    state: &AppState,
    actor: &Actor,
    me: &UserId,
    from: &UserId,
    now_ms: i64,
) -> Result<(), Error> {
    if state
        .store
        .accept_friendship(me, from, &Change::by(actor, now_ms))
        .await?
    {
        Ok(())
    } else {
        Err(Error::not_found(format_args!(
            "friend request from user {:?}",
            from.as_str()
        )))
    }
}

/// `me` declines `other`'s request, or withdraws their own. `false` when there was none.
pub async fn decline(
    state: &AppState,
    actor: &Actor,
    me: &UserId,
    other: &UserId,
    now_ms: i64,
) -> Result<bool, Error> {
    Ok(state
        .store
        .remove_friend_request(me, other, &Change::by(actor, now_ms))
        .await?)
}

/// Ends the friendship of `a` and `b`, from either side. Their FRIENDS images stop being visible
/// across it at once (every request asks the store; no replica caches a friendship), the links
/// to them handed out so far are revoked in the same transaction, and, as narrowing an image's
/// visibility does, their paths are queued for a CloudFront invalidation. `false` when they were
/// not friends.
pub async fn end(
    state: &AppState,
    actor: &Actor,
    a: &UserId,
    b: &UserId,
    now_ms: i64,
) -> Result<bool, Error> {
    let change = Change::by(actor, now_ms).revoking(Some(crate::lifecycle::revoke(state)));
    if !state.store.remove_friendship(a, b, &change).await? {
        return Ok(false);
    }
    state.revocations.wake();
    if state.invalidations.is_enabled() {
        for owner in [a, b] {
            queue_friends_images(state, owner, state.clock.now()).await?;
        }
    }
    Ok(true)
}

/// Queues an invalidation for every READY FRIENDS image of `owner`, a page at a time.
async fn queue_friends_images(state: &AppState, owner: &UserId, now: Epoch) -> Result<(), Error> {
    let mut after: Option<PageAfter> = None;
    loop {
        let page = state
            .store
            .images_by_owner(
                owner,
                ImageStatus::Ready,
                &[Visibility::Friends],
                after.as_ref(),
                INVALIDATION_PAGE,
            )
            .await?;
        for image in &page {
            state.invalidations.queue_key(&image.key, now).await?;
        }
        match page.last() {
            Some(last) if page.len() == INVALIDATION_PAGE as usize => {
                after = Some(PageAfter {
                    created_at_ms: last.created_at_ms,
                    id: last.id.clone(),
                });
            }
            _ => return Ok(()),
        }
    }
}
