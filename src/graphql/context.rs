//! Per-request context: the app, the viewer and the request's `now`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::access::{Relation, Viewer, may_see, needs_friendship_lookup, relation};
use crate::cloudfront::Epoch;
use crate::error::Error;
use crate::state::AppState;
use crate::store::{Image, ImageId, UserId};

/// What resolvers see.
#[derive(Debug)]
pub struct Context {
    /// The app.
    pub state: Arc<AppState>,
    /// Who is asking.
    pub viewer: Viewer,
    /// One `now` per request, so every link in a response shares one expiry window.
    pub now: Epoch,
    friendships: Mutex<HashMap<UserId, bool>>,
}

impl juniper::Context for Context {}

impl Context {
    /// A context for one request.
    pub fn new(state: Arc<AppState>, viewer: Viewer, now: Epoch) -> Context {
        Context {
            state,
            viewer,
            now,
            friendships: Mutex::new(HashMap::new()),
        }
    }

    /// The viewer's relation to `owner`; a friendship is looked up at most once per request.
    pub async fn relation_to(&self, owner: &UserId) -> Result<Relation, Error> {
        if !needs_friendship_lookup(&self.viewer, owner) {
            return Ok(relation(&self.viewer, owner, false));
        }
        let known = self
            .friendships
            .lock()
            .ok()
            .and_then(|m| m.get(owner).copied());
        let friends = match known {
            Some(f) => f,
            None => {
                let viewer = self
                    .viewer
                    .user_id()
                    .ok_or_else(|| Error::internal(anyhow::anyhow!("lookup without a user")))?;
                let f = self.state.store.are_friends(viewer, owner).await?;
                if let Ok(mut m) = self.friendships.lock() {
                    m.insert(owner.clone(), f);
                }
                f
            }
        };
        Ok(relation(&self.viewer, owner, friends))
    }

    /// The image `id` names and the viewer's relation to its owner, if the viewer may see it;
    /// `None` both when it does not exist and when it is hidden from this viewer.
    pub async fn visible_image(&self, id: &str) -> Result<Option<(Image, Relation)>, Error> {
        let Some(id) = ImageId::parse(id) else {
            return Ok(None);
        };
        // One lookup whatever the answer: an image hidden from this viewer must cost what a
        // missing one costs, or timing would tell them apart.
        let viewer = self.viewer.user_id();
        let Some((image, friends)) = self.state.store.image_for(&id, viewer).await? else {
            return Ok(None);
        };
        if needs_friendship_lookup(&self.viewer, &image.owner_id)
            && let Ok(mut known) = self.friendships.lock()
        {
            known.insert(image.owner_id.clone(), friends);
        }
        let relation = relation(&self.viewer, &image.owner_id, friends);
        Ok(may_see(relation, &image).then_some((image, relation)))
    }

    /// The signed-in user's id, or `UNAUTHENTICATED`.
    pub fn require_user(&self) -> Result<&UserId, Error> {
        self.viewer.user_id().ok_or_else(|| {
            Error::unauthenticated("sign in first: send Authorization: Bearer <token>")
        })
    }

    /// Forgets cached friendship answers (after addFriend/removeFriend in the same request).
    pub fn forget_friendships(&self) {
        if let Ok(mut m) = self.friendships.lock() {
            m.clear();
        }
    }
}
