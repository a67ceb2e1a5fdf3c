//! Canned policies: one URL, one expiry, and the exact JSON CloudFront rebuilds from them.

use super::{BaseUrl, Epoch, PolicyError, check_expiry, push_u64};
use crate::cloudfront::json;

/// Appends the canned policy for `resource` to `out`: the very bytes CloudFront rebuilds from a
/// canned URL, so they must not gain or lose a single space.
pub fn write_canned(out: &mut String, resource: &str, expires: Epoch) {
    out.push_str("{\"Statement\":[{\"Resource\":");
    json::push_string(out, resource);
    out.push_str(",\"Condition\":{\"DateLessThan\":{\"AWS:EpochTime\":");
    push_u64(out, expires.0);
    out.push_str("}}}]}");
}

/// A canned policy: one URL, one expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedPolicy {
    url: BaseUrl,
    expires: Epoch,
}

impl CannedPolicy {
    /// A canned policy for `url` that expires at `expires`, which must be after `now`.
    pub fn new(url: BaseUrl, expires: Epoch, now: Epoch) -> Result<CannedPolicy, PolicyError> {
        check_expiry(expires, now)?;
        Ok(CannedPolicy { url, expires })
    }

    /// The URL it grants.
    pub fn url(&self) -> &BaseUrl {
        &self.url
    }

    /// When it expires.
    pub fn expires(&self) -> Epoch {
        self.expires
    }

    /// The policy JSON.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(96 + self.url.0.len());
        write_canned(&mut out, &self.url.0, self.expires);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Epoch = Epoch(1_700_000_000);

    #[test]
    fn canned_policy_bytes() {
        let url =
            BaseUrl::parse("https://d111111abcdef8.cloudfront.net/image.jpg?color=red").unwrap();
        let policy = CannedPolicy::new(url, Epoch(1_767_290_400), NOW).unwrap();
        assert_eq!(
            policy.to_json(),
            r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/image.jpg?color=red","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400}}}]}"#
        );
    }
}
