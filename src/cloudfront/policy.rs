//! Policy statements: what a signature grants, and the exact bytes that get signed.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use super::json;

/// Seconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Epoch(pub u64);

impl Epoch {
    /// The latest expiry we sign. CloudFront documents no maximum; this is the largest value every
    /// 32-bit `time_t` consumer along the way (players, proxies, older SDKs) can still represent.
    pub const MAX: Epoch = Epoch(i32::MAX as u64);

    /// The number of seconds.
    pub fn seconds(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

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

/// An IPv4 network in CIDR notation; a bare address means `/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: Ipv4Addr,
    prefix: u8,
}

impl Cidr {
    /// Parses a CIDR, refusing host bits set past the prefix.
    pub fn parse(s: &str) -> Result<Cidr, PolicyError> {
        let cidr = Self::parse_lenient(s)?;
        if cidr.network != cidr.masked() {
            return Err(PolicyError::CidrHostBits {
                given: s.to_owned(),
                prefix: cidr.prefix,
                suggested: Cidr {
                    network: cidr.masked(),
                    prefix: cidr.prefix,
                },
            });
        }
        Ok(cidr)
    }

    /// Parses a CIDR as found in someone else's policy: host bits are masked off, as a router would.
    pub fn parse_lenient(s: &str) -> Result<Cidr, PolicyError> {
        let bad = |why| PolicyError::BadCidr(s.to_owned(), why);
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => {
                if prefix.is_empty()
                    || prefix.len() > 2
                    || !prefix.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(bad("the prefix length must be a number from 0 to 32"));
                }
                let prefix: u8 = prefix.parse().map_err(|_| bad("bad prefix length"))?;
                if prefix > 32 {
                    return Err(bad("the prefix length must be a number from 0 to 32"));
                }
                (addr, prefix)
            }
            None => (s, 32),
        };
        if addr.contains(':') {
            return Err(bad("CloudFront policies take IPv4 ranges only"));
        }
        let network =
            Ipv4Addr::from_str(addr).map_err(|_| bad("not a dotted-quad IPv4 address"))?;
        Ok(Cidr { network, prefix })
    }

    fn mask(self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }

    fn masked(self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) & self.mask())
    }

    /// Whether `ip` lies in this network.
    pub fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network) & self.mask()
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Names of the query parameters CloudFront reads for signed URLs.
pub const SIGNING_PARAMETERS: [&str; 5] = [
    "Expires",
    "Policy",
    "Signature",
    "Key-Pair-Id",
    "Hash-Algorithm",
];

/// Checks the characters of a URL or resource; returns what is wrong, if anything.
fn url_characters_problem(s: &str) -> Option<String> {
    for (i, b) in s.bytes().enumerate() {
        let why = match b {
            b' ' => "contains a space; percent-encode it as %20",
            b'#' => {
                "has a fragment (#...); browsers never send fragments, so CloudFront could never match it"
            }
            0..=0x1f | 0x7f => "contains a control character; percent-encode it",
            0x80.. => {
                "contains a non-ASCII character; percent-encode its UTF-8 bytes (é is %C3%A9)"
            }
            _ => continue,
        };
        return Some(format!("{why} (at byte {i})"));
    }
    None
}

/// An absolute `http(s)` URL ready to be signed: no fragment, nothing a browser would re-encode,
/// and none of CloudFront's signing parameters already in its query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Parses a URL without normalising a single byte: the policy must hold exactly what the
    /// client will send.
    pub fn parse(url: &str) -> Result<BaseUrl, PolicyError> {
        let bad = |why: &str| PolicyError::BadUrl {
            url: url.to_owned(),
            why: why.to_owned(),
        };
        let rest = if url.len() >= 8 && url[..8].eq_ignore_ascii_case("https://") {
            &url[8..]
        } else if url.len() >= 7 && url[..7].eq_ignore_ascii_case("http://") {
            &url[7..]
        } else {
            return Err(bad("must be an absolute http:// or https:// URL"));
        };
        if let Some(why) = url_characters_problem(url) {
            return Err(bad(&why));
        }
        let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if host_end == 0 {
            return Err(bad("has no host"));
        }
        if let Some((_, query)) = url.split_once('?') {
            for part in query.split('&') {
                let name = part.split_once('=').map_or(part, |(n, _)| n);
                if SIGNING_PARAMETERS.contains(&name) {
                    return Err(bad(&format!(
                        "already carries the CloudFront parameter {name}; sign the URL without it"
                    )));
                }
            }
        }
        Ok(BaseUrl(url.to_owned()))
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The resource of a custom policy: a URL, possibly with `*` (any run of characters, including
/// none) and `?` (exactly one character) matched against the whole request URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resource(String);

impl Resource {
    /// Parses a resource pattern.
    pub fn parse(pattern: &str) -> Result<Resource, PolicyError> {
        let bad = |why: String| PolicyError::BadResource {
            resource: pattern.to_owned(),
            why,
        };
        if pattern.is_empty() {
            return Err(bad("is empty; use * to mean every URL".to_owned()));
        }
        if let Some(why) = url_characters_problem(pattern) {
            return Err(bad(why));
        }
        Ok(Resource(pattern.to_owned()))
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `url` (without signing parameters) matches the pattern.
    pub fn matches(&self, url: &str) -> bool {
        super::wildcard::matches(self.0.as_bytes(), url.as_bytes())
    }
}

impl From<&BaseUrl> for Resource {
    fn from(url: &BaseUrl) -> Resource {
        Resource(url.0.clone())
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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

/// Appends the canned policy for `resource` to `out`: the very bytes CloudFront rebuilds from a
/// canned URL, so they must not gain or lose a single space.
pub fn write_canned(out: &mut String, resource: &str, expires: Epoch) {
    out.push_str("{\"Statement\":[{\"Resource\":");
    json::push_string(out, resource);
    out.push_str(",\"Condition\":{\"DateLessThan\":{\"AWS:EpochTime\":");
    push_u64(out, expires.0);
    out.push_str("}}}]}");
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
    fn canned_policy_bytes() {
        let url =
            BaseUrl::parse("https://d111111abcdef8.cloudfront.net/image.jpg?color=red").unwrap();
        let policy = CannedPolicy::new(url, Epoch(1_767_290_400), NOW).unwrap();
        assert_eq!(
            policy.to_json(),
            r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/image.jpg?color=red","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400}}}]}"#
        );
    }

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

    #[test]
    fn cidr_parsing() {
        assert_eq!(
            Cidr::parse("192.0.2.7").unwrap().to_string(),
            "192.0.2.7/32"
        );
        assert_eq!(Cidr::parse("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().to_string(), "0.0.0.0/0");
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "10.0.0/8",
            "256.1.1.1",
            "::1",
            "2001:db8::/32",
            "10.0.0.0/+8",
            "10.0.0.0/08x",
            "a.b.c.d",
            "1.2.3.4 ",
        ] {
            assert!(
                matches!(Cidr::parse(bad), Err(PolicyError::BadCidr(..))),
                "{bad} accepted"
            );
        }
        let err = Cidr::parse("192.0.2.7/24").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"192.0.2.7/24\" has host bits set past the /24; did you mean 192.0.2.0/24?"
        );
        assert_eq!(
            Cidr::parse_lenient("192.0.2.7/24").unwrap().to_string(),
            "192.0.2.7/24"
        );
    }

    #[test]
    fn cidr_membership() {
        let net = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(net.contains("192.0.2.255".parse().unwrap()));
        assert!(!net.contains("192.0.3.0".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        let host = Cidr::parse("192.0.2.7").unwrap();
        assert!(host.contains("192.0.2.7".parse().unwrap()));
        assert!(!host.contains("192.0.2.8".parse().unwrap()));
    }

    #[test]
    fn base_url_refusals_say_why() {
        let why = |u: &str| BaseUrl::parse(u).unwrap_err().to_string();
        assert!(why("ftp://x/a").contains("http:// or https://"));
        assert!(why("https:///a").contains("no host"));
        assert!(why("https://x/a b").contains("%20"));
        assert!(why("https://x/é").contains("non-ASCII"));
        assert!(why("https://x/a#frag").contains("fragment"));
        assert!(why("https://x/a?Expires=1").contains("Expires"));
        assert!(why("https://x/a?b=1&Key-Pair-Id=K").contains("Key-Pair-Id"));
        assert!(BaseUrl::parse("https://x/a?Signatures=1&KeyPairId=2").is_ok());
        assert!(BaseUrl::parse("HTTPS://x/%C3%A9?q=a%20b+c").is_ok());
    }
}
