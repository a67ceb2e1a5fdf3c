//! The root mutation. Uploads and deletes arrive with issue 4.

use juniper::{ID, graphql_object};

use super::Context;
use super::types::{GqlVisibility, ImageNode, UserNode};
use crate::access::{self, Action};
use crate::error::Error;
use crate::store::{ImageId, User, UserId, Visibility};

/// The root mutation.
#[derive(Debug, Clone, Copy)]
pub struct Mutation;

fn now_ms(context: &Context) -> i64 {
    i64::try_from(context.now.seconds()).unwrap_or(i64::MAX / 1000) * 1000
}

/// The user `user_id` names, or NOT_FOUND.
async fn existing_user(context: &Context, user_id: &ID) -> Result<User, Error> {
    let not_found = || Error::not_found(format_args!("user {:?}", user_id.to_string()));
    let id = UserId::parse(user_id).ok_or_else(not_found)?;
    context.state.store.user(&id).await?.ok_or_else(not_found)
}

#[graphql_object(context = Context)]
impl Mutation {
    /// Changes who may see one of your images. Cached links for it are dropped at once; links
    /// already handed out work until they expire, which is why link TTLs are short.
    async fn set_visibility(
        context: &Context,
        image_id: ID,
        visibility: GqlVisibility,
    ) -> Result<ImageNode, Error> {
        context.require_user()?;
        let not_found = || Error::not_found(format_args!("image {:?}", image_id.to_string()));
        let id = ImageId::parse(&image_id).ok_or_else(not_found)?;
        let image = context
            .state
            .store
            .image(&id)
            .await?
            .ok_or_else(not_found)?;
        let relation = context.relation_to(&image.owner_id).await?;
        if !access::may_see(relation, &image) {
            return Err(not_found());
        }
        let visibility = Visibility::from(visibility);
        if !access::allows(relation, image.visibility, Action::ChangeVisibility) {
            return Err(Error::forbidden(
                "only the owner may change an image's visibility",
            ));
        }
        let updated = context
            .state
            .store
            .set_visibility(&id, visibility, now_ms(context))
            .await?
            .ok_or_else(not_found)?;
        context.state.links.forget(&updated.key);
        Ok(ImageNode::new(updated, relation))
    }

    /// Makes you and `userId` friends (both ways): each sees the other's FRIENDS images.
    async fn add_friend(context: &Context, user_id: ID) -> Result<UserNode, Error> {
        let me = context.require_user()?;
        let other = existing_user(context, &user_id).await?;
        if other.id == *me {
            return Err(Error::bad_input("you cannot befriend yourself"));
        }
        context
            .state
            .store
            .add_friendship(me, &other.id, now_ms(context))
            .await?;
        context.forget_friendships();
        Ok(UserNode(other))
    }

    /// Ends a friendship (both ways); harmless when there was none.
    async fn remove_friend(context: &Context, user_id: ID) -> Result<UserNode, Error> {
        let me = context.require_user()?;
        let other = existing_user(context, &user_id).await?;
        context.state.store.remove_friendship(me, &other.id).await?;
        context.forget_friendships();
        Ok(UserNode(other))
    }
}
