//! Friend requests in the schema. The rules are in `crate::friendship`.

use juniper::{GraphQLEnum, graphql_object};

use super::Context;
use super::types::{UserNode, rfc3339};
use crate::error::Error;
use crate::store::{FriendRequest, UserId};

/// Where a friend request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "FriendRequestStatus")]
pub enum GqlFriendRequestStatus {
    /// Waiting for the other side to accept or decline.
    Pending,
    /// Accepted: the two are friends (also when the other side had asked first).
    Accepted,
}

/// A request for a friendship.
#[derive(Debug)]
pub struct FriendRequestNode {
    /// The request (or, once accepted, what it was).
    pub request: FriendRequest,
    /// Where it stands.
    pub status: GqlFriendRequestStatus,
}

/// The user `id` names, for a request's ends; NOT_FOUND only if the row went meanwhile.
async fn user_node(context: &Context, id: &UserId) -> Result<UserNode, Error> {
    context
        .state
        .user(id)
        .await?
        .map(UserNode)
        .ok_or_else(|| Error::not_found(format_args!("user {:?}", id.as_str())))
}

#[graphql_object(context = Context, name = "FriendRequest")]
impl FriendRequestNode {
    /// Who asked.
    async fn from(&self, context: &Context) -> Result<UserNode, Error> {
        user_node(context, &self.request.from).await
    }

    /// Who is asked.
    async fn to(&self, context: &Context) -> Result<UserNode, Error> {
        user_node(context, &self.request.to).await
    }

    /// Where it stands.
    fn status(&self) -> GqlFriendRequestStatus {
        self.status
    }

    /// When it was made (RFC 3339, UTC).
    fn created_at(&self) -> String {
        rfc3339(self.request.created_at_ms)
    }
}

/// The viewer's friend requests that wait for an answer.
#[derive(Debug)]
pub struct FriendRequests {
    /// Sent to the viewer: `acceptFriend` or `declineFriend` them.
    pub incoming: Vec<FriendRequestNode>,
    /// Sent by the viewer: `declineFriend` withdraws one.
    pub outgoing: Vec<FriendRequestNode>,
}

#[graphql_object(context = Context)]
impl FriendRequests {
    /// Sent to the viewer, newest first: `acceptFriend` or `declineFriend` them.
    fn incoming(&self) -> &[FriendRequestNode] {
        &self.incoming
    }

    /// Sent by the viewer, newest first: `declineFriend` withdraws one.
    fn outgoing(&self) -> &[FriendRequestNode] {
        &self.outgoing
    }
}

impl FriendRequests {
    /// Splits `me`'s pending requests into incoming and outgoing.
    pub fn of(me: &UserId, requests: Vec<FriendRequest>) -> FriendRequests {
        let (incoming, outgoing) = requests
            .into_iter()
            .map(|request| FriendRequestNode {
                request,
                status: GqlFriendRequestStatus::Pending,
            })
            .partition(|node| node.request.to == *me);
        FriendRequests { incoming, outgoing }
    }
}
