//! The root mutation: access decisions here, the image lifecycle in `crate::lifecycle`.

use juniper::{ID, graphql_object};

use super::Context;
use super::friends::{FriendRequestNode, GqlFriendRequestStatus};
use super::types::{
    CreateUploadInput, GqlVisibility, ImageNode, PresignedRequestNode, UploadTicket, UserNode,
};
use crate::access::{self, Action, Relation};
use crate::error::Error;
use crate::store::{Befriend, FriendRequest, Image, ImageId, User, UserId};
use crate::{friendship, lifecycle};

/// The root mutation.
#[derive(Debug, Clone, Copy)]
pub struct Mutation;

fn now_ms(context: &Context) -> i64 {
    context.now.millis()
}

/// The user `user_id` names, or NOT_FOUND.
async fn existing_user(context: &Context, user_id: &ID) -> Result<User, Error> {
    let not_found = || Error::not_found(format_args!("user {:?}", user_id.to_string()));
    let id = UserId::parse(user_id).ok_or_else(not_found)?;
    context.state.store.user(&id).await?.ok_or_else(not_found)
}

/// The image if the viewer may `action` it: NOT_FOUND when they may not even see it,
/// FORBIDDEN when they see it but are not the owner.
async fn owned_image(
    context: &Context,
    image_id: &ID,
    action: Action,
) -> Result<(Image, Relation), Error> {
    context.require_user()?;
    let (image, relation) = context
        .visible_image(image_id)
        .await?
        .ok_or_else(|| Error::image_not_found(image_id))?;
    if !access::allows(relation, image.visibility, action) {
        return Err(Error::forbidden(match action {
            Action::Delete => "only the owner may delete an image",
            _ => "only the owner may change an image's visibility",
        }));
    }
    Ok((image, relation))
}

#[graphql_object(context = Context)]
impl Mutation {
    /// Starts an upload: checks type, size and name, creates a PENDING image and returns a
    /// presigned PUT (valid `uploads.url_ttl_secs`) that S3 accepts only for exactly the declared
    /// Content-Type, Content-Length and SHA-256 (required).
    async fn create_upload(
        context: &Context,
        input: CreateUploadInput,
    ) -> Result<UploadTicket, Error> {
        let me = context.require_user()?;
        if !access::may_upload(&context.viewer, me) {
            return Err(Error::forbidden("you may upload only to your own account"));
        }
        let checked = context.state.upload_rules.check(
            &input.filename,
            &input.content_type,
            input.size,
            input.sha256.as_deref(),
        )?;
        let (image, put) = lifecycle::create_upload(
            &context.state,
            &context.actor(),
            me,
            checked,
            input.visibility.unwrap_or(GqlVisibility::Private).into(),
            context.now,
        )
        .await?;
        Ok(UploadTicket {
            image: ImageNode::new(image, Relation::Owner),
            upload: put.into(),
        })
    }

    /// Confirms an upload: S3 must hold exactly what was declared, then the image is READY.
    /// Harmless to call twice. Someone else's image is NOT_FOUND.
    async fn complete_upload(context: &Context, image_id: ID) -> Result<ImageNode, Error> {
        context.require_user()?;
        let not_found = || Error::image_not_found(&image_id);
        let id = ImageId::parse(&image_id).ok_or_else(not_found)?;
        let image = context
            .state
            .store
            .image(&id)
            .await?
            // Completing an upload is uploading: only into your own account.
            .filter(|i| access::may_upload(&context.viewer, &i.owner_id))
            .ok_or_else(not_found)?;
        let ready =
            lifecycle::complete_upload(&context.state, &context.actor(), image, context.now)
                .await?;
        Ok(ImageNode::new(ready, Relation::Owner))
    }

    /// Changes who may see one of your images. When fewer people may see it, every link handed
    /// out so far is refused at the edge from now on (new links carry a new version).
    async fn set_visibility(
        context: &Context,
        image_id: ID,
        visibility: GqlVisibility,
    ) -> Result<ImageNode, Error> {
        let (image, relation) = owned_image(context, &image_id, Action::ChangeVisibility).await?;
        let updated = lifecycle::set_visibility(
            &context.state,
            &context.actor(),
            &image,
            visibility.into(),
            context.now,
        )
        .await?
        .ok_or_else(|| Error::image_not_found(&image_id))?;
        Ok(ImageNode::new(updated, relation))
    }

    /// Takes back every link to one of your images handed out so far, before it expires: the
    /// edge refuses them from now on; links asked for afterwards work.
    async fn revoke_links(context: &Context, image_id: ID) -> Result<ImageNode, Error> {
        let (image, relation) = owned_image(context, &image_id, Action::ChangeVisibility).await?;
        let revoked =
            lifecycle::revoke_links(&context.state, &context.actor(), &image, context.now).await?;
        Ok(ImageNode::new(revoked, relation))
    }

    /// Deletes one of your images: it disappears from every query at once, and you get a
    /// presigned DELETE to remove the object yourself (the reaper does it otherwise).
    async fn delete_image(context: &Context, image_id: ID) -> Result<PresignedRequestNode, Error> {
        let (image, _) = owned_image(context, &image_id, Action::Delete).await?;
        Ok(
            lifecycle::delete_image(&context.state, &context.actor(), &image, context.now)
                .await?
                .into(),
        )
    }
    /// Asks `userId` to be your friend. Nothing changes until they accept; if they had already
    /// asked you, this accepts their request (status ACCEPTED). Asking again is harmless.
    async fn request_friend(context: &Context, user_id: ID) -> Result<FriendRequestNode, Error> {
        let me = context.require_user()?;
        let other = existing_user(context, &user_id).await?;
        let now = now_ms(context);
        let outcome =
            friendship::request(&context.state, &context.actor(), me, &other.id, now).await?;
        context.forget_friendships();
        Ok(FriendRequestNode {
            request: FriendRequest {
                from: me.clone(),
                to: other.id,
                created_at_ms: now,
            },
            status: match outcome {
                Befriend::Requested | Befriend::TooManyRequests => GqlFriendRequestStatus::Pending,
                Befriend::Accepted | Befriend::AlreadyFriends => GqlFriendRequestStatus::Accepted,
            },
        })
    }

    /// Accepts the friend request `userId` sent you: from now on each sees the other's FRIENDS
    /// images. NOT_FOUND when they have not asked.
    async fn accept_friend(context: &Context, user_id: ID) -> Result<UserNode, Error> {
        let me = context.require_user()?;
        let other = existing_user(context, &user_id).await?;
        friendship::accept(
            &context.state,
            &context.actor(),
            me,
            &other.id,
            now_ms(context),
        )
        .await?;
        context.forget_friendships();
        Ok(UserNode(other))
    }

    /// Declines the request `userId` sent you, or withdraws the one you sent them. True when
    /// there was one.
    async fn decline_friend(context: &Context, user_id: ID) -> Result<bool, Error> {
        let me = context.require_user()?;
        let other = existing_user(context, &user_id).await?;
        friendship::decline(
            &context.state,
            &context.actor(),
            me,
            &other.id,
            now_ms(context),
        )
        .await
    }

    /// Ends a friendship, from either side: their FRIENDS images and yours are hidden from each
    /// other at once. Harmless when you were not friends.
    async fn remove_friend(context: &Context, user_id: ID) -> Result<UserNode, Error> {
        let me = context.require_user()?;
        let other = existing_user(context, &user_id).await?;
        friendship::end(
            &context.state,
            &context.actor(),
            me,
            &other.id,
            now_ms(context),
        )
        .await?;
        context.forget_friendships();
        Ok(UserNode(other))
    }
}
