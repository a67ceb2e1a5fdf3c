//! GraphQL object types. Nodes are built only after the access rules said the viewer may see
//! them, and carry the viewer's relation so fields can ask `access` again (e.g. for a link).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use juniper::{GraphQLEnum, GraphQLObject, ID, graphql_object};

use super::Context;
use super::sync_list::{SyncFields, SyncList};
use crate::access::{self, Relation};
use crate::error::Error;
use crate::store::{Image, ImageId, ImageStatus, PageAfter, User, Visibility};

/// `first` above this is refused.
pub const MAX_PAGE: i32 = 100;

/// Who may see an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "Visibility")]
pub enum GqlVisibility {
    /// The owner only.
    Private,
    /// The owner and the owner's friends.
    Friends,
    /// Everyone.
    Public,
}

impl From<Visibility> for GqlVisibility {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Private => GqlVisibility::Private,
            Visibility::Friends => GqlVisibility::Friends,
            Visibility::Public => GqlVisibility::Public,
        }
    }
}

impl From<GqlVisibility> for Visibility {
    fn from(v: GqlVisibility) -> Self {
        match v {
            GqlVisibility::Private => Visibility::Private,
            GqlVisibility::Friends => Visibility::Friends,
            GqlVisibility::Public => Visibility::Public,
        }
    }
}

/// Where an image is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "ImageStatus")]
pub enum GqlImageStatus {
    /// Upload ticket issued, bytes not confirmed.
    Pending,
    /// Confirmed and linkable.
    Ready,
    /// The upload did not match what was declared.
    Failed,
    /// Deleted.
    Deleted,
}

impl From<ImageStatus> for GqlImageStatus {
    fn from(s: ImageStatus) -> Self {
        match s {
            ImageStatus::Pending => GqlImageStatus::Pending,
            ImageStatus::Ready => GqlImageStatus::Ready,
            ImageStatus::Failed => GqlImageStatus::Failed,
            ImageStatus::Deleted => GqlImageStatus::Deleted,
        }
    }
}

/// A user (public profile; `images` shows only what the viewer may see).
#[derive(Debug)]
pub struct UserNode(pub User);

/// Decodes an `after` cursor; anything not made by `encode_cursor` is BAD_USER_INPUT.
pub fn decode_cursor(cursor: &str) -> Result<PageAfter, Error> {
    let bad =
        || Error::bad_input("after: not a cursor returned by this API (use pageInfo.endCursor)");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let rest = text.strip_prefix("v1:").ok_or_else(bad)?;
    let (ms, id) = rest.split_once(':').ok_or_else(bad)?;
    if ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    Ok(PageAfter {
        created_at_ms: ms.parse().map_err(|_| bad())?,
        id: ImageId::parse(id).ok_or_else(bad)?,
    })
}

/// The cursor after `image`.
pub fn encode_cursor(image: &Image) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{}:{}", image.created_at_ms, image.id))
}

#[graphql_object(context = Context, name = "User")]
impl UserNode {
    fn id(&self) -> ID {
        ID::new(self.0.id.as_str())
    }

    fn username(&self) -> &str {
        &self.0.username
    }

    /// Whether you and this user are friends (false when you are not signed in, or it is you).
    async fn is_friend(&self, context: &Context) -> Result<bool, Error> {
        Ok(context.relation_to(&self.0.id).await? == Relation::Friend)
    }

    /// The user's READY images the viewer may see, newest first.
    async fn images(
        &self,
        context: &Context,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> Result<ImageConnection, Error> {
        let first = first.unwrap_or(20);
        if !(0..=MAX_PAGE).contains(&first) {
            return Err(Error::bad_input(format!(
                "first must be between 0 and {MAX_PAGE} (got {first})"
            )));
        }
        let after = after.as_deref().map(decode_cursor).transpose()?;
        let limit = first as u32;
        let (mut images, relation) = context
            .visible_page(&self.0.id, after.as_ref(), limit + 1)
            .await?;
        let has_next_page = images.len() > limit as usize;
        images.truncate(limit as usize);
        let end_cursor = images.last().map(encode_cursor);
        // The query already asked only for what `access` allows; asking again per image costs a
        // match and means a store bug shortens a page instead of leaking an image.
        let nodes = SyncList(
            images
                .into_iter()
                .filter(|i| access::may_see(relation, i))
                .map(|image| ImageNode::new(image, relation))
                .collect(),
        );
        Ok(ImageConnection {
            nodes,
            page_info: PageInfo {
                end_cursor,
                has_next_page,
            },
        })
    }
}

/// An image the viewer may see.
#[derive(Debug)]
pub struct ImageNode {
    image: Image,
    relation: Relation,
}

impl ImageNode {
    /// Wraps an image the access rules let the viewer see.
    pub fn new(image: Image, relation: Relation) -> ImageNode {
        ImageNode { image, relation }
    }

    /// NOT_FOUND unless the access rules let this image be linked.
    fn may_link(&self) -> Result<(), Error> {
        if access::may_link(self.relation, &self.image) {
            return Ok(());
        }
        Err(Error::not_found(format_args!(
            "a link for image {:?} (it is {})",
            self.image.id.as_str(),
            self.image.status.as_str()
        )))
    }
}

impl SyncFields for ImageNode {
    // Every field below but `owner`, which reads the store.
    const SYNC_FIELDS: &'static [&'static str] = &[
        "id",
        "key",
        "visibility",
        "status",
        "contentType",
        "size",
        "sha256",
        "createdAt",
        "url",
        "urlExpiresAt",
    ];
}

pub(super) use crate::clock::rfc3339;

#[graphql_object(context = Context, name = "Image")]
impl ImageNode {
    fn id(&self) -> ID {
        ID::new(self.image.id.as_str())
    }

    /// The object key, `{ownerId}/{imageId}/{filename}`.
    fn key(&self) -> &str {
        &self.image.key
    }

    async fn owner(&self, context: &Context) -> Result<UserNode, Error> {
        let owner = context.state.user(&self.image.owner_id).await?;
        owner.map(UserNode).ok_or_else(|| {
            Error::internal(anyhow::anyhow!("image {} has no owner row", self.image.id))
        })
    }

    fn visibility(&self) -> GqlVisibility {
        self.image.visibility.into()
    }

    fn status(&self) -> GqlImageStatus {
        self.image.status.into()
    }

    fn content_type(&self) -> &str {
        &self.image.content_type
    }

    fn size(&self) -> i32 {
        i32::try_from(self.image.size).unwrap_or(i32::MAX)
    }

    /// Declared SHA-256, lower-case hex.
    fn sha256(&self) -> Option<&str> {
        self.image.sha256.as_deref()
    }

    /// RFC 3339, UTC.
    fn created_at(&self) -> String {
        rfc3339(self.image.created_at_ms)
    }

    /// A CloudFront signed URL (canned policy). Identical for every viewer within one expiry window.
    fn url(&self, context: &Context) -> Result<String, Error> {
        self.may_link()?;
        Ok(context
            .state
            .links
            .link(&self.image.key, self.image.link_version, context.now)?
            .url()
            .to_owned())
    }

    /// When `url` stops working, epoch seconds.
    fn url_expires_at(&self, context: &Context) -> Result<i32, Error> {
        self.may_link()?;
        // The expiry of every link made in this request (one `now`), so the same as `url`'s.
        let expires = context.state.links.expires_at(context.now).seconds();
        Ok(i32::try_from(expires).unwrap_or(i32::MAX))
    }
}

/// A page of images.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct ImageConnection {
    /// The images.
    pub nodes: SyncList<ImageNode>,
    /// Where the next page starts.
    pub page_info: PageInfo,
}

/// Pagination state.
#[derive(Debug, GraphQLObject)]
pub struct PageInfo {
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
    /// Whether there is a next page.
    pub has_next_page: bool,
}

/// One CloudFront signed cookie.
#[derive(Debug, GraphQLObject)]
pub struct SignedCookie {
    /// Cookie name.
    pub name: String,
    /// Cookie value.
    pub value: String,
    /// Cookie Domain; empty means host-only.
    pub domain: String,
    /// Cookie Path: the viewer's own prefix.
    pub path: String,
    /// When the grant ends, epoch seconds.
    pub expires_at: i32,
}

/// An HTTP header the client must send.
#[derive(Debug, GraphQLObject)]
pub struct Header {
    /// Header name.
    pub name: String,
    /// Header value, to be sent exactly so.
    pub value: String,
}

/// A request the client makes straight to S3 (presigned; the bytes never pass through us).
#[derive(Debug, GraphQLObject)]
#[graphql(name = "PresignedRequest")]
pub struct PresignedRequestNode {
    /// `PUT` or `DELETE`.
    pub method: String,
    /// The presigned URL.
    pub url: String,
    /// Every header the signature covers; send them all, unchanged (browsers set
    /// Content-Length themselves).
    pub headers: Vec<Header>,
    /// When `url` stops working, epoch seconds.
    pub expires_at: i32,
}

impl From<crate::s3::PresignedRequest> for PresignedRequestNode {
    fn from(r: crate::s3::PresignedRequest) -> Self {
        PresignedRequestNode {
            method: r.method.to_owned(),
            url: r.url,
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| Header { name, value })
                .collect(),
            expires_at: i32::try_from(r.expires_at.seconds()).unwrap_or(i32::MAX),
        }
    }
}

/// A new PENDING image and where to PUT its bytes.
#[derive(Debug, GraphQLObject)]
#[graphql(context = Context)]
pub struct UploadTicket {
    /// The image, PENDING until `completeUpload`.
    pub image: ImageNode,
    /// The presigned PUT.
    pub upload: PresignedRequestNode,
}

/// What the client is about to upload.
#[derive(Debug, juniper::GraphQLInputObject)]
pub struct CreateUploadInput {
    /// The file's name; it is sanitised into the last part of the object key.
    pub filename: String,
    /// Its MIME type; must be one the service accepts (images by default).
    pub content_type: String,
    /// Its exact size in bytes.
    pub size: i32,
    /// Its SHA-256 (64 hex digits or S3's base64). Required: S3 then refuses any other bytes,
    /// so a confirmed image's bytes can never be replaced through its upload URL. Nullable only
    /// so that a missing one gets a message that says how to compute it.
    pub sha256: Option<String>,
    /// Who may see it once complete.
    #[graphql(default = GqlVisibility::Private)]
    pub visibility: Option<GqlVisibility>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let after = decode_cursor(&URL_SAFE_NO_PAD.encode("v1:1700000000000:u0001-0003")).unwrap();
        assert_eq!(after.created_at_ms, 1_700_000_000_000);
        assert_eq!(after.id.as_str(), "u0001-0003");
        for forged in [
            "",
            "garbage!",
            &URL_SAFE_NO_PAD.encode("v2:1:x"),
            &URL_SAFE_NO_PAD.encode("v1:-1:x"),
            &URL_SAFE_NO_PAD.encode("v1:1:a/b"),
            &URL_SAFE_NO_PAD.encode("v1:99999999999999999999:x"),
        ] {
            assert_eq!(
                decode_cursor(forged).unwrap_err().code(),
                crate::error::Code::BadUserInput,
                "{forged}"
            );
        }
    }
}
