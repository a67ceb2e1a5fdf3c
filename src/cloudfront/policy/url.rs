//! What may be signed: an exact URL for a canned policy, a pattern for a custom one.

use std::fmt;

use super::PolicyError;

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
pub struct BaseUrl(pub(super) String);

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
pub struct Resource(pub(super) String);

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
        crate::cloudfront::wildcard::matches(self.0.as_bytes(), url.as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

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
