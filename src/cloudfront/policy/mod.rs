//! Policy statements: what a signature grants, and the exact bytes that get signed.
//!
//! The two policy kinds share the expiry rules and the number writer below; the URL and resource
//! checks, the CIDR and the epoch each have their own file.

mod canned;
mod cidr;
mod custom;
mod epoch;
mod url;

pub use canned::{CannedPolicy, write_canned};
pub use cidr::Cidr;
pub use custom::CustomPolicy;
pub use epoch::Epoch;
pub use url::{BaseUrl, Resource, SIGNING_PARAMETERS};

/// Why a policy, resource, URL or CIDR was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The expiry is not in the future.
    #[error(
        "expiry {expires} is not in the future (now is {now}); links must expire after they are made"
    )]
    ExpiryNotInFuture {
        /// The expiry asked for.
        expires: Epoch,
        /// The time of signing.
        now: Epoch,
    },
    /// The expiry is past what we sign.
    #[error("expiry {0} is after 2038-01-19T03:14:07Z ({max}), the latest expiry CloudFront links can carry", max = Epoch::MAX)]
    ExpiryTooLate(Epoch),
    /// `DateGreaterThan` must come before `DateLessThan`.
    #[error("not-before {not_before} must be earlier than the expiry {expires}")]
    NotBeforeAfterExpiry {
        /// The start asked for.
        not_before: Epoch,
        /// The expiry asked for.
        expires: Epoch,
    },
    /// Not an IPv4 CIDR.
    #[error("{0:?} is not an IPv4 address or CIDR such as 192.0.2.0/24 ({1})")]
    BadCidr(String, &'static str),
    /// A CIDR with bits set past its prefix; CloudFront's meaning would be a guess.
    #[error("{given:?} has host bits set past the /{prefix}; did you mean {suggested}?")]
    CidrHostBits {
        /// The text given.
        given: String,
        /// Its prefix length.
        prefix: u8,
        /// The network the text probably meant.
        suggested: Cidr,
    },
    /// A URL that cannot be signed as given.
    #[error("URL {url:?} {why}")]
    BadUrl {
        /// The URL given (it never holds secrets: signing parameters are refused).
        url: String,
        /// What is wrong and how to fix it.
        why: String,
    },
    /// A policy resource that cannot match any request.
    #[error("policy resource {resource:?} {why}")]
    BadResource {
        /// The resource given.
        resource: String,
        /// What is wrong.
        why: String,
    },
}

fn check_expiry(expires: Epoch, now: Epoch) -> Result<(), PolicyError> {
    if expires <= now {
        return Err(PolicyError::ExpiryNotInFuture { expires, now });
    }
    if expires > Epoch::MAX {
        return Err(PolicyError::ExpiryTooLate(expires));
    }
    Ok(())
}

fn push_u64(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(b as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Epoch = Epoch(1_700_000_000);

    #[test]
    fn expiry_rules() {
        let url = || BaseUrl::parse("https://d.example/a").unwrap();
        assert_eq!(
            CannedPolicy::new(url(), NOW, NOW),
            Err(PolicyError::ExpiryNotInFuture {
                expires: NOW,
                now: NOW
            })
        );
        assert_eq!(
            CannedPolicy::new(url(), Epoch(Epoch::MAX.0 + 1), NOW),
            Err(PolicyError::ExpiryTooLate(Epoch(Epoch::MAX.0 + 1)))
        );
        assert!(CannedPolicy::new(url(), Epoch::MAX, NOW).is_ok());
        let r = Resource::parse("*").unwrap();
        assert!(matches!(
            CustomPolicy::new(r, Epoch(NOW.0 + 10), Some(Epoch(NOW.0 + 10)), None, NOW),
            Err(PolicyError::NotBeforeAfterExpiry { .. })
        ));
    }
}
