//! Who may do what to which image, and where its bytes live. Every link decision goes through
//! here; resolvers ask, they never decide.
//!
//! | action \ viewer          | owner | friend of owner | other user | anonymous |
//! |--------------------------|-------|-----------------|------------|-----------|
//! | see / link PUBLIC image  | yes   | yes             | yes        | yes       |
//! | see / link FRIENDS image | yes   | yes             | no         | no        |
//! | see / link PRIVATE image | yes   | no              | no         | no        |
//! | upload (own account)     | yes   | —               | —          | no        |
//! | change visibility, delete| yes   | no              | no         | no        |
//!
//! An image the viewer may not see is answered exactly like one that does not exist, and images
//! that are not READY are never linked.

use crate::store::{Image, ImageStatus, User, UserId, Visibility};

mod object_key;
pub use object_key::{KeyError, MAX_KEY_BYTES, ObjectKey};

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// No token.
    Anonymous,
    /// A signed-in user.
    User(User),
}

impl Viewer {
    /// The user id, when signed in.
    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Viewer::Anonymous => None,
            Viewer::User(u) => Some(&u.id),
        }
    }
}

/// The viewer's relation to an image's owner: the column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The viewer owns it.
    Owner,
    /// The viewer is the owner's friend.
    Friend,
    /// Signed in, neither.
    Other,
    /// Not signed in.
    Anonymous,
}

/// The row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Know it exists, read its metadata, get a link.
    See,
    /// Change its visibility.
    ChangeVisibility,
    /// Delete it.
    Delete,
}

/// What a friendship lookup is needed for: only a signed-in viewer who is not the owner.
pub fn needs_friendship_lookup(viewer: &Viewer, owner: &UserId) -> bool {
    matches!(viewer, Viewer::User(u) if u.id != *owner)
}

/// The viewer's relation to `owner`, given whether they are friends (ignored unless it matters).
pub fn relation(viewer: &Viewer, owner: &UserId, friends: bool) -> Relation {
    match viewer {
        Viewer::Anonymous => Relation::Anonymous,
        Viewer::User(u) if u.id == *owner => Relation::Owner,
        Viewer::User(_) if friends => Relation::Friend,
        Viewer::User(_) => Relation::Other,
    }
}

/// The table itself.
pub fn allows(relation: Relation, visibility: Visibility, action: Action) -> bool {
    match action {
        Action::ChangeVisibility | Action::Delete => relation == Relation::Owner,
        Action::See => match visibility {
            Visibility::Public => true,
            Visibility::Friends => matches!(relation, Relation::Owner | Relation::Friend),
            Visibility::Private => relation == Relation::Owner,
        },
    }
}

/// Whether the viewer may upload to `account`: only signed in, only to their own account.
pub fn may_upload(viewer: &Viewer, account: &UserId) -> bool {
    viewer.user_id() == Some(account)
}

/// The visibilities a viewer with `relation` sees in the owner's gallery (for the store query).
pub fn visible_visibilities(relation: Relation) -> &'static [Visibility] {
    match relation {
        Relation::Owner => &[Visibility::Private, Visibility::Friends, Visibility::Public],
        Relation::Friend => &[Visibility::Friends, Visibility::Public],
        Relation::Other | Relation::Anonymous => &[Visibility::Public],
    }
}

/// Whether the viewer may see `image` at all. Only the owner sees an image that is not READY
/// (its own PENDING or FAILED uploads); DELETED images are gone for everyone.
pub fn may_see(relation: Relation, image: &Image) -> bool {
    match image.status {
        ImageStatus::Ready => allows(relation, image.visibility, Action::See),
        ImageStatus::Pending | ImageStatus::Failed => relation == Relation::Owner,
        ImageStatus::Deleted => false,
    }
}

/// Whether the viewer may have a signed link to `image`: it must be READY and visible.
pub fn may_link(relation: Relation, image: &Image) -> bool {
    image.status == ImageStatus::Ready && allows(relation, image.visibility, Action::See)
}

/// The object key of a new image: `{ownerId}/{imageId}/{filename}`, with the file name already
/// sanitised (`upload::sanitise_filename`); a client never names a key.
pub fn object_key(owner: &UserId, image: &crate::store::ImageId, filename: &str) -> String {
    format!("{owner}/{image}/{filename}")
}

/// The prefix every object of `owner` lives under (signed cookies grant exactly this).
pub fn owner_prefix(owner: &UserId) -> String {
    format!("{owner}/")
}

/// Percent-encodes an object key for a URL path: every byte outside RFC 3986's unreserved set
/// and `/` is escaped, upper-case hex, so the URL is what browsers send and the canned policy
/// matches it byte for byte. The only spelling the edge accepts ([`ObjectKey::from_url_path`]).
pub fn key_to_url_path(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 8);
    for &b in key.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELATIONS: [Relation; 4] = [
        Relation::Owner,
        Relation::Friend,
        Relation::Other,
        Relation::Anonymous,
    ];

    /// The table of DESIGN.md, transcribed row by row.
    #[test]
    fn the_table() {
        let see = |v| RELATIONS.map(|r| allows(r, v, Action::See));
        assert_eq!(see(Visibility::Public), [true, true, true, true]);
        assert_eq!(see(Visibility::Friends), [true, true, false, false]);
        assert_eq!(see(Visibility::Private), [true, false, false, false]);
        for v in [Visibility::Public, Visibility::Friends, Visibility::Private] {
            for a in [Action::ChangeVisibility, Action::Delete] {
                assert_eq!(
                    RELATIONS.map(|r| allows(r, v, a)),
                    [true, false, false, false]
                );
            }
        }
    }

    #[test]
    fn gallery_visibilities_agree_with_the_table() {
        for r in RELATIONS {
            for v in [Visibility::Public, Visibility::Friends, Visibility::Private] {
                assert_eq!(
                    visible_visibilities(r).contains(&v),
                    allows(r, v, Action::See),
                    "{r:?} {v:?}"
                );
            }
        }
    }

    #[test]
    fn key_paths_are_what_browsers_send() {
        assert_eq!(key_to_url_path("u1/i-1/a b.jpg"), "u1/i-1/a%20b.jpg");
        assert_eq!(
            key_to_url_path("u1/i_1/caf\u{e9}~.jpg"),
            "u1/i_1/caf%C3%A9~.jpg"
        );
        assert_eq!(
            key_to_url_path("u1/x/100%+#?.png"),
            "u1/x/100%25%2B%23%3F.png"
        );
    }
}
