//! The root query.

use juniper::{ID, graphql_object};

use super::Context;
use super::friends::FriendRequests;
use super::types::{ImageNode, SignedCookie, UserNode};
use crate::access::Viewer;
use crate::error::Error;
use crate::friendship::MAX_LISTED_REQUESTS;
use crate::store::UserId;

/// The root query.
#[derive(Debug, Clone, Copy)]
pub struct Query;

#[graphql_object(context = Context)]
impl Query {
    /// The signed-in user; null when anonymous.
    fn viewer(context: &Context) -> Option<UserNode> {
        match &context.viewer {
            Viewer::User(u) => Some(UserNode(u.clone())),
            Viewer::Anonymous => None,
        }
    }

    /// A user by id; null when there is none.
    async fn user(context: &Context, id: ID) -> Result<Option<UserNode>, Error> {
        let Some(id) = UserId::parse(&id) else {
            return Ok(None);
        };
        Ok(context.state.user(&id).await?.map(UserNode))
    }

    /// An image by id; null when it does not exist or the viewer may not see it (the two are
    /// indistinguishable on purpose).
    async fn image(context: &Context, id: ID) -> Result<Option<ImageNode>, Error> {
        let visible = context.visible_image(&id).await?;
        Ok(visible.map(|(image, relation)| ImageNode::new(image, relation)))
    }

    /// CloudFront signed cookies (a wildcard custom policy) for the viewer's own media, scoped to
    /// its path. `POST /cookies` sets the same cookies with Set-Cookie.
    fn signed_cookies(context: &Context) -> Result<Vec<SignedCookie>, Error> {
        let owner = context.require_user()?;
        let cookies = context.state.links.owner_cookies(owner, context.now)?;
        let expires_at = i32::try_from(cookies.expires.seconds()).unwrap_or(i32::MAX);
        let domain = cookies.attributes.domain().unwrap_or("").to_owned();
        let path = cookies.attributes.path().to_owned();
        Ok(cookies
            .cookies
            .into_iter()
            .map(|c| SignedCookie {
                name: c.name.to_owned(),
                value: c.value,
                domain: domain.clone(),
                path: path.clone(),
                expires_at,
            })
            .collect())
    }

    /// Your friend requests that wait for an answer: those sent to you (accept or decline them)
    /// and those you sent (decline withdraws one).
    async fn friend_requests(context: &Context) -> Result<FriendRequests, Error> {
        let me = context.require_user()?;
        let requests = context
            .state
            .store
            .friend_requests(me, MAX_LISTED_REQUESTS)
            .await?;
        Ok(FriendRequests::of(me, requests))
    }
}
