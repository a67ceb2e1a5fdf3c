//! Per-request context: the app, the viewer and the request's `now`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::access::{
    Relation, Viewer, may_see, needs_friendship_lookup, relation, visible_visibilities,
};
use crate::cloudfront::Epoch;
use crate::error::Error;
use crate::state::AppState;
use crate::store::{Actor, GalleryQuery, Image, ImageId, ImageStatus, PageAfter, UserId};

/// What resolvers see.
#[derive(Debug)]
pub struct Context {
    /// The app.
    pub state: Arc<AppState>,
    /// Who is asking.
    pub viewer: Viewer,
    /// One `now` per request, so every link in a response shares one expiry window.
    pub now: Epoch,
    /// The request's id and the client's address, for [`Context::actor`].
    request_id: Option<Arc<str>>,
    client: Option<IpAddr>,
    friendships: Mutex<HashMap<UserId, bool>>,
}

impl juniper::Context for Context {}

impl Context {
    /// A context for one request: `request_id` and `client` are what the audit trail records
    /// beside the viewer.
    pub fn new(
        state: Arc<AppState>,
        viewer: Viewer,
        now: Epoch,
        request_id: Option<Arc<str>>,
        client: Option<IpAddr>,
    ) -> Context {
        Context {
            state,
            viewer,
            now,
            request_id,
            client,
            friendships: Mutex::new(HashMap::new()),
        }
    }

    /// Who is asking and from where, as the audit trail records a change: built only by the
    /// resolvers that write, so a read costs none of it.
    pub fn actor(&self) -> Actor {
        Actor {
            user: self.viewer.user_id().cloned(),
            request_id: self.request_id.as_deref().map(str::to_owned),
            client: self.client.map(|ip| ip.to_string()),
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

    /// Up to `limit` of `owner`'s READY images the viewer may see, newest first, strictly after
    /// `after`, and the viewer's relation to `owner`. One store round trip whoever asks: for a
    /// signed-in visitor whose friendship is not known yet, the page and the friendship come
    /// from one statement, which picks between the two visibility lists the access table gives.
    pub async fn visible_page(
        &self,
        owner: &UserId,
        after: Option<&PageAfter>,
        limit: u32,
    ) -> Result<(Vec<Image>, Relation), Error> {
        let known = self
            .friendships
            .lock()
            .ok()
            .and_then(|m| m.get(owner).copied());
        let viewer = self.viewer.user_id().filter(|_| known.is_none());
        if let Some(viewer) = viewer.filter(|_| needs_friendship_lookup(&self.viewer, owner)) {
            let (images, friends) = self
                .state
                .store
                .gallery_for(GalleryQuery {
                    owner,
                    viewer,
                    status: ImageStatus::Ready,
                    if_friend: visible_visibilities(relation(&self.viewer, owner, true)),
                    otherwise: visible_visibilities(relation(&self.viewer, owner, false)),
                    after,
                    limit,
                })
                .await?;
            if let Some(f) = friends
                && let Ok(mut m) = self.friendships.lock()
            {
                m.insert(owner.clone(), f);
            }
            // An empty page needs no relation; "not a friend" then shows nothing more.
            return Ok((
                images,
                relation(&self.viewer, owner, friends.unwrap_or(false)),
            ));
        }
        let relation = self.relation_to(owner).await?;
        let images = self
            .state
            .store
            .images_by_owner(
                owner,
                ImageStatus::Ready,
                visible_visibilities(relation),
                after,
                limit,
            )
            .await?;
        Ok((images, relation))
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
