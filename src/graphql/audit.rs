//! The audit trail in the schema: `auditLog(first, after)`, the events about the viewer's own
//! images and friendships, newest first. The store decides whose events they are
//! (`AuditQuery::user`); nothing here widens it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use juniper::{GraphQLObject, ID};

use super::types::{PageInfo, rfc3339};
use crate::error::Error;
use crate::store::AuditEvent;

/// `first` above this is refused.
pub const MAX_AUDIT_PAGE: i32 = 100;

/// One change, as the audit trail recorded it.
#[derive(Debug, GraphQLObject)]
#[graphql(name = "AuditEvent")]
pub struct AuditEventNode {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who: a user id, or `system` (the reaper, an operator).
    pub actor: String,
    /// What, e.g. `image.visibility_changed`, `friend.ended`, `image.links_revoked`.
    pub action: String,
    /// Whose image, or who acted on a friendship.
    pub owner_id: Option<ID>,
    /// The other user of a friendship.
    pub other_user_id: Option<ID>,
    /// Which image.
    pub image_id: Option<ID>,
    /// The value before, where it applies (a visibility, a status).
    pub before: Option<String>,
    /// The value after, where it applies.
    pub after: Option<String>,
    /// The request that made the change (its `x-request-id`).
    pub request_id: Option<String>,
}

impl From<AuditEvent> for AuditEventNode {
    fn from(e: AuditEvent) -> AuditEventNode {
        AuditEventNode {
            at: rfc3339(e.at_ms),
            actor: e.actor,
            action: e.action.as_str().to_owned(),
            owner_id: e.owner.map(|u| ID::new(u.as_str())),
            other_user_id: e.other.map(|u| ID::new(u.as_str())),
            image_id: e.image.map(|i| ID::new(i.as_str())),
            before: e.before,
            after: e.after,
            request_id: e.request_id,
        }
    }
}

/// A page of events.
#[derive(Debug, GraphQLObject)]
pub struct AuditEventConnection {
    /// The events, newest first.
    pub nodes: Vec<AuditEventNode>,
    /// Where the next (older) page starts.
    pub page_info: PageInfo,
}

/// The cursor after event `id`.
pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("a1:{id}"))
}

/// The event id a cursor names; BAD_USER_INPUT for anything this service did not hand out.
pub fn decode_cursor(cursor: &str) -> Result<i64, Error> {
    let bad = || Error::bad_input("after is not a cursor this service handed out");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    text.strip_prefix("a1:")
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        assert_eq!(decode_cursor(&encode_cursor(42)).ok(), Some(42));
        for forged in [
            "",
            "a1:5",
            &URL_SAFE_NO_PAD.encode("a1:"),
            &URL_SAFE_NO_PAD.encode("a1:-5"),
            &URL_SAFE_NO_PAD.encode("a2:5"),
            &URL_SAFE_NO_PAD.encode("v1:1700000000000:u0001-0003"),
        ] {
            assert!(decode_cursor(forged).is_err(), "{forged:?}");
        }
    }
}
