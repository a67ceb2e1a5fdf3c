//! The root query.

use juniper::{ID, graphql_object};

use super::Context;
use super::audit::{AuditEventConnection, MAX_AUDIT_PAGE, decode_cursor, encode_cursor};
use super::friends::FriendRequests;
use super::types::{ImageNode, PageInfo, SignedCookie, UserNode};
use crate::access::Viewer;
use crate::error::Error;
use crate::friendship::MAX_LISTED_REQUESTS;
use crate::store::{AuditQuery, UserId};

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

    /// What happened to the viewer's images and friendships, newest first: uploads, visibility
    /// changes, deletes, revocations, friend requests and their answers, the reaper's removals.
    /// Each event says who, when, and from which request. Kept `audit.retention_days`.
    async fn audit_log(
        context: &Context,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<AuditEventConnection, Error> {
        let me = context.require_user()?;
        let first = first.unwrap_or(20);
        if !(0..=MAX_AUDIT_PAGE).contains(&first) {
            return Err(Error::bad_input(format!(
                "first must be between 0 and {MAX_AUDIT_PAGE} (got {first})"
            )));
        }
        let before_id = after.as_deref().map(decode_cursor).transpose()?;
        let limit = u32::try_from(first).unwrap_or(0);
        // One more than asked, to know whether there is a next page.
        let mut events = context
            .state
            .store
            .audit_events(&AuditQuery {
                user: Some(me.clone()),
                since_ms: None,
                before_id,
                limit: limit + 1,
            })
            .await?;
        let has_next_page = events.len() > limit as usize;
        events.truncate(limit as usize);
        let end_cursor = events.last().map(|e| encode_cursor(e.id));
        Ok(AuditEventConnection {
            nodes: events.into_iter().map(Into::into).collect(),
            page_info: PageInfo {
                end_cursor,
                has_next_page,
            },
        })
    }

    /// An image by id; null when it does not exist or the viewer may not see it (the two are
    /// indistinguishable on purpose).
    async fn image(context: &Context, id: ID) -> Result<Option<ImageNode>, Error> {
        let visible = context.visible_image(&id).await?;
        Ok(visible.map(|(image, relation)| ImageNode::new(image, relation)))
    }

    /// CloudFront signed cookies (a wildcard custom policy) for the viewer's own media, scoped to
    /// its path. `POST /cookies` sets the same cookies with Set-Cookie.
    async fn signed_cookies(context: &Context) -> Result<Vec<SignedCookie>, Error> {
        let owner = context.require_user()?;
        let cookies = context.state.owner_cookies(owner, context.now).await?;
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
