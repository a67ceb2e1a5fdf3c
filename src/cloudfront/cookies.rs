//! Signed cookies: the same policies as signed URLs, carried in `CloudFront-*` cookies so one
//! signature covers every object under a path.

use super::base64;
use super::keys::{HashAlgorithm, KeyError, SigningKey};
use super::policy::{CannedPolicy, Epoch};
use super::signed_url::SignedPolicy;

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Sent only to the same site.
    Strict,
    /// Sent to the same site and on top-level navigation (the default: a CDN under the app's
    /// domain is the same site, which is what signed cookies need anyway).
    #[default]
    Lax,
    /// Sent cross-site too (requires `Secure`).
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// Where the cookies apply and how the browser must guard them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieAttributes {
    domain: Option<String>,
    path: String,
    secure: bool,
    same_site: SameSite,
}

/// Why cookie attributes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CookieError {
    /// Not a host name.
    #[error(
        "cookie domain {0:?} is not a host name (letters, digits, '-' and '.', e.g. media.example.com)"
    )]
    BadDomain(String),
    /// Not an absolute path.
    #[error("cookie path {0:?} must start with '/' and hold no ';', spaces or control characters")]
    BadPath(String),
    /// Browsers drop `SameSite=None` without `Secure`.
    #[error("SameSite=None cookies must be Secure; browsers drop them otherwise")]
    NoneWithoutSecure,
}

impl CookieAttributes {
    /// Cookies for `domain` (host-only when `None`) under `path`; Secure, HttpOnly, SameSite=Lax.
    pub fn new(domain: Option<&str>, path: &str) -> Result<CookieAttributes, CookieError> {
        if let Some(d) = domain {
            let d2 = d.strip_prefix('.').unwrap_or(d);
            let ok = !d2.is_empty()
                && d2.len() <= 253
                && d2
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                && !d2.starts_with('-')
                && !d2.contains("..");
            if !ok {
                return Err(CookieError::BadDomain(d.to_owned()));
            }
        }
        if !path.starts_with('/') || path.bytes().any(|b| b == b';' || b <= b' ' || b == 0x7f) {
            return Err(CookieError::BadPath(path.to_owned()));
        }
        Ok(CookieAttributes {
            domain: domain.map(str::to_owned),
            path: path.to_owned(),
            secure: true,
            same_site: SameSite::Lax,
        })
    }

    /// The same attributes with another path.
    pub fn with_path(mut self, path: &str) -> Result<CookieAttributes, CookieError> {
        self.path = CookieAttributes::new(None, path)?.path;
        Ok(self)
    }

    /// Sets `SameSite`.
    pub fn with_same_site(mut self, same_site: SameSite) -> Result<CookieAttributes, CookieError> {
        if same_site == SameSite::None && !self.secure {
            return Err(CookieError::NoneWithoutSecure);
        }
        self.same_site = same_site;
        Ok(self)
    }

    /// Drops `Secure`, for a local edge on plain http that is not `localhost`.
    pub fn without_secure(mut self) -> Result<CookieAttributes, CookieError> {
        if self.same_site == SameSite::None {
            return Err(CookieError::NoneWithoutSecure);
        }
        self.secure = false;
        Ok(self)
    }

    /// The cookie domain, if any.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The cookie path.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// One `CloudFront-*` cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCookie {
    /// Its name, e.g. `CloudFront-Signature`.
    pub name: &'static str,
    /// Its value (CloudFront base64, an epoch, or a key-pair id: never needs quoting).
    pub value: String,
}

/// The three (four with SHA-256) cookies that make a signed-cookie grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCookies {
    /// The cookies, in the order they are set.
    pub cookies: Vec<SignedCookie>,
    /// The policy JSON that was signed.
    pub policy: String,
    /// When the grant ends.
    pub expires: Epoch,
    /// Domain, path and flags.
    pub attributes: CookieAttributes,
}

impl SignedCookies {
    /// `Set-Cookie` header values; `Max-Age` counts from `now` so the browser drops the cookies
    /// when the grant ends.
    pub fn set_cookie_headers(&self, now: Epoch) -> Vec<String> {
        let max_age = self.expires.0.saturating_sub(now.0);
        let a = &self.attributes;
        self.cookies
            .iter()
            .map(|c| {
                let mut h = format!("{}={}", c.name, c.value);
                if let Some(domain) = &a.domain {
                    h.push_str("; Domain=");
                    h.push_str(domain);
                }
                h.push_str("; Path=");
                h.push_str(&a.path);
                h.push_str(&format!("; Max-Age={max_age}"));
                if a.secure {
                    h.push_str("; Secure");
                }
                h.push_str("; HttpOnly; SameSite=");
                h.push_str(a.same_site.as_str());
                h
            })
            .collect()
    }

    /// The cookies as `(name, value)` pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cookies.iter().map(|c| (c.name, c.value.as_str()))
    }
}

fn finish(
    mut cookies: Vec<SignedCookie>,
    signature: String,
    key: &SigningKey,
    hash: HashAlgorithm,
    policy: String,
    expires: Epoch,
    attributes: &CookieAttributes,
) -> SignedCookies {
    cookies.push(SignedCookie {
        name: "CloudFront-Signature",
        value: signature,
    });
    cookies.push(SignedCookie {
        name: "CloudFront-Key-Pair-Id",
        value: key.id.to_string(),
    });
    if hash != HashAlgorithm::Sha1 {
        cookies.push(SignedCookie {
            name: "CloudFront-Hash-Algorithm",
            value: hash.parameter().to_owned(),
        });
    }
    SignedCookies {
        cookies,
        policy,
        expires,
        attributes: attributes.clone(),
    }
}

/// Canned-policy cookies: valid for exactly the one URL of the policy.
pub fn canned_cookies(
    policy: &CannedPolicy,
    key: &SigningKey,
    hash: HashAlgorithm,
    attributes: &CookieAttributes,
) -> Result<SignedCookies, KeyError> {
    let json = policy.to_json();
    let signature = base64::encode(&key.key.sign(hash, json.as_bytes())?);
    let expires = vec![SignedCookie {
        name: "CloudFront-Expires",
        value: policy.expires().to_string(),
    }];
    Ok(finish(
        expires,
        signature,
        key,
        hash,
        json,
        policy.expires(),
        attributes,
    ))
}

impl SignedPolicy {
    /// Custom-policy cookies carrying this signed policy.
    pub fn cookies(
        &self,
        key: &SigningKey,
        attributes: &CookieAttributes,
    ) -> Result<SignedCookies, KeyError> {
        if key.id != *self.key_pair_id() {
            return Err(KeyError::BadKeyPairId(format!(
                "{} (the policy was signed by {})",
                key.id,
                self.key_pair_id()
            )));
        }
        let policy = vec![SignedCookie {
            name: "CloudFront-Policy",
            value: self.encoded_policy().to_owned(),
        }];
        Ok(finish(
            policy,
            self.signature().to_owned(),
            key,
            self.hash(),
            self.json().to_owned(),
            self.policy().expires(),
            attributes,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::keys::{KeyAlgorithm, KeyPairId, PrivateKey};
    use crate::cloudfront::policy::{BaseUrl, CustomPolicy, Resource};

    const NOW: Epoch = Epoch(1_700_000_000);

    fn key() -> SigningKey {
        SigningKey {
            id: KeyPairId::parse("KCOOKIE").unwrap(),
            key: PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        }
    }

    #[test]
    fn custom_cookie_headers() {
        let key = key();
        let policy = CustomPolicy::new(
            Resource::parse("https://m.example.com/u1/*").unwrap(),
            Epoch(NOW.0 + 600),
            None,
            None,
            NOW,
        )
        .unwrap();
        let signed = SignedPolicy::sign(policy, &key, HashAlgorithm::Sha256).unwrap();
        let attrs = CookieAttributes::new(Some("example.com"), "/u1/").unwrap();
        let cookies = signed.cookies(&key, &attrs).unwrap();
        let names: Vec<_> = cookies.pairs().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "CloudFront-Policy",
                "CloudFront-Signature",
                "CloudFront-Key-Pair-Id",
                "CloudFront-Hash-Algorithm"
            ]
        );
        let headers = cookies.set_cookie_headers(NOW);
        assert_eq!(
            headers[2],
            "CloudFront-Key-Pair-Id=KCOOKIE; Domain=example.com; Path=/u1/; Max-Age=600; Secure; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            headers[3],
            "CloudFront-Hash-Algorithm=SHA256; Domain=example.com; Path=/u1/; Max-Age=600; Secure; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn canned_cookies_carry_expires_and_sha1_has_three() {
        let key = key();
        let policy = CannedPolicy::new(
            BaseUrl::parse("https://m.example.com/a.jpg").unwrap(),
            Epoch(NOW.0 + 60),
            NOW,
        )
        .unwrap();
        let attrs = CookieAttributes::new(None, "/")
            .unwrap()
            .without_secure()
            .unwrap();
        let cookies = canned_cookies(&policy, &key, HashAlgorithm::Sha1, &attrs).unwrap();
        assert_eq!(cookies.cookies.len(), 3);
        assert_eq!(cookies.cookies[0].value, (NOW.0 + 60).to_string());
        assert_eq!(
            cookies.set_cookie_headers(NOW)[0],
            format!(
                "CloudFront-Expires={}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax",
                NOW.0 + 60
            )
        );
    }

    #[test]
    fn attribute_refusals() {
        assert!(matches!(
            CookieAttributes::new(Some("exa mple.com"), "/"),
            Err(CookieError::BadDomain(_))
        ));
        assert!(matches!(
            CookieAttributes::new(Some("a..b"), "/"),
            Err(CookieError::BadDomain(_))
        ));
        assert!(matches!(
            CookieAttributes::new(None, "u1"),
            Err(CookieError::BadPath(_))
        ));
        assert!(matches!(
            CookieAttributes::new(None, "/a;b"),
            Err(CookieError::BadPath(_))
        ));
        let insecure = CookieAttributes::new(None, "/")
            .unwrap()
            .without_secure()
            .unwrap();
        assert_eq!(
            insecure.with_same_site(SameSite::None),
            Err(CookieError::NoneWithoutSecure)
        );
        assert!(CookieAttributes::new(Some(".example.com"), "/").is_ok());
    }
}
