//! The revocation rule at the local edge, as CloudFront's revocation function applies it
//! (`infra/functions/revocation.js`): a link whose version is below a floor of its image or its
//! owner is refused, from the same floors the KeyValueStore is fed from.

use actix_web::HttpResponse;

use crate::access::ObjectKey;
use crate::cloudfront::{Grant, Source};
use crate::links::VERSION_PARAM;
use crate::revocation::{self, Revoked};
use crate::store::{ImageId, Store, UserId};

/// The version of the credential that admitted the request: the signed URL's `v` (absent or
/// not a plain decimal: 0), or one more than the cookie policy's `DateGreaterThan`, the first
/// second the cookies admit (absent: 0).
pub fn version(grant: &Grant, query: &str) -> i64 {
    match grant.source {
        Source::Url => query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| *name == VERSION_PARAM)
            .map_or(0, |(_, value)| decimal(value)),
        Source::Cookies => grant.not_before.map_or(0, |e| {
            i64::try_from(e.seconds())
                .unwrap_or(i64::MAX)
                .saturating_add(1)
        }),
    }
}

/// `value` as a version: only ASCII digits, at most 18 of them; anything else is 0 (the lowest,
/// so an odd spelling never gets past a floor).
fn decimal(value: &str) -> i64 {
    if value.is_empty() || value.len() > 18 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    value.parse().unwrap_or(0)
}

/// The owner and image a key is under, when it is a key mediagate built.
fn ids(key: &ObjectKey) -> Option<(UserId, ImageId)> {
    let mut segments = key.as_str().splitn(3, '/');
    let owner = UserId::parse(segments.next()?)?;
    let image = ImageId::parse(segments.next()?)?;
    segments.next()?;
    Some((owner, image))
}

/// Why `key` at `version` is refused, if it is. A store that cannot answer refuses (the edge
/// fails closed, as the function does when its KeyValueStore cannot be read).
pub async fn check(store: &dyn Store, key: &ObjectKey, version: i64) -> Result<(), HttpResponse> {
    let Some((owner, image)) = ids(key) else {
        return Ok(());
    };
    match revocation::refusal(store, &owner, &image, version).await {
        Ok(None) => Ok(()),
        Ok(Some(revoked)) => Err(refuse(&revoked)),
        Err(e) => {
            crate::error::Error::from(e).log();
            Err(super::refuse_because("revocation check failed"))
        }
    }
}

fn refuse(revoked: &Revoked) -> HttpResponse {
    super::refuse_because(&revoked.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_decimal_is_a_version() {
        assert_eq!(decimal("1796327880"), 1_796_327_880);
        for odd in [
            "",
            "-1",
            "+5",
            "1e9",
            "0x10",
            " 5",
            "5 ",
            "9999999999999999999",
            "１",
        ] {
            assert_eq!(decimal(odd), 0, "{odd:?}");
        }
    }

    #[test]
    fn keys_outside_mediagate_s_layout_have_no_floors() {
        let key = |k: &str| ObjectKey::parse(k).expect("a key");
        assert!(ids(&key("u1/i1/a.jpg")).is_some());
        assert!(ids(&key("u1/a.jpg")).is_none());
        assert!(ids(&key("u.1/i1/a.jpg")).is_none());
    }
}
