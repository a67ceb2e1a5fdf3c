//! Custom policies: a resource pattern, an expiry, an optional start and an optional IP range.

use super::{Cidr, Epoch, PolicyError, Resource, check_expiry, push_u64};
use crate::cloudfront::json;

/// A custom policy: a resource pattern, an expiry, and optionally a start time and an IP range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomPolicy {
    resource: Resource,
    expires: Epoch,
    not_before: Option<Epoch>,
    ip: Option<Cidr>,
}

impl CustomPolicy {
    /// A custom policy; the expiry must be after `now` and after `not_before`.
    pub fn new(
        resource: Resource,
        expires: Epoch,
        not_before: Option<Epoch>,
        ip: Option<Cidr>,
        now: Epoch,
    ) -> Result<CustomPolicy, PolicyError> {
        check_expiry(expires, now)?;
        if let Some(not_before) = not_before
            && not_before >= expires
        {
            return Err(PolicyError::NotBeforeAfterExpiry {
                not_before,
                expires,
            });
        }
        Ok(CustomPolicy {
            resource,
            expires,
            not_before,
            ip,
        })
    }

    /// The resource pattern.
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// When it expires.
    pub fn expires(&self) -> Epoch {
        self.expires
    }

    /// When it starts to be valid, if restricted.
    pub fn not_before(&self) -> Option<Epoch> {
        self.not_before
    }

    /// The client range it is restricted to, if any.
    pub fn ip(&self) -> Option<Cidr> {
        self.ip
    }

    /// The policy JSON, keys in botocore's order (DateLessThan, IpAddress, DateGreaterThan) so an
    /// RSA signature of ours equals AWS's byte for byte.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(160 + self.resource.0.len());
        out.push_str("{\"Statement\":[{\"Resource\":");
        json::push_string(&mut out, &self.resource.0);
        out.push_str(",\"Condition\":{\"DateLessThan\":{\"AWS:EpochTime\":");
        push_u64(&mut out, self.expires.0);
        out.push('}');
        if let Some(ip) = self.ip {
            out.push_str(",\"IpAddress\":{\"AWS:SourceIp\":\"");
            out.push_str(&ip.to_string());
            out.push_str("\"}");
        }
        if let Some(not_before) = self.not_before {
            out.push_str(",\"DateGreaterThan\":{\"AWS:EpochTime\":");
            push_u64(&mut out, not_before.0);
            out.push('}');
        }
        out.push_str("}}]}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Epoch = Epoch(1_700_000_000);

    #[test]
    fn custom_policy_bytes_follow_botocore_key_order() {
        let policy = CustomPolicy::new(
            Resource::parse("https://d.example/u1/*").unwrap(),
            Epoch(1_800_000_000),
            Some(Epoch(1_700_000_100)),
            Some(Cidr::parse("192.0.2.0/24").unwrap()),
            NOW,
        )
        .unwrap();
        assert_eq!(
            policy.to_json(),
            r#"{"Statement":[{"Resource":"https://d.example/u1/*","Condition":{"DateLessThan":{"AWS:EpochTime":1800000000},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"},"DateGreaterThan":{"AWS:EpochTime":1700000100}}}]}"#
        );
    }
}
