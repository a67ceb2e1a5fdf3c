//! Signed links for objects: bucketed expiry and the signature cache ([`cache`]), and the key
//! ring that can be swapped while the service runs (key rotation without a restart).

use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use prometheus::IntCounter;

pub mod cache;

use cache::{CachedUrl, ExpiryWindow, Lookup, SignatureCache, SignatureKey};

use crate::access::{key_to_url_path, owner_prefix};
use crate::cloudfront::{
    BaseUrl, CannedPolicy, CookieAttributes, CustomPolicy, Epoch, Grant, HashAlgorithm, KeyRing,
    Rejection, Request, Resource, SignError, SignedCookies, SignedPolicy, TrustedKeys, sign_canned,
    verify,
};
use crate::error::Error;
use crate::metrics::Metrics;
use crate::store::UserId;

/// The query parameter that carries a link's version inside the signed resource.
pub const VERSION_PARAM: &str = "v";

/// A signed link (its expiry is [`Linker::expires_at`] of the same `now`).
#[derive(Debug, Clone)]
pub struct Link {
    signed: CachedUrl,
}

impl Link {
    /// The URL.
    pub fn url(&self) -> &str {
        self.signed.url()
    }
}

/// The key ring and its active id, swapped together.
#[derive(Debug)]
struct Keys {
    ring: KeyRing,
    active_id: Arc<str>,
}

impl Keys {
    fn new(ring: KeyRing) -> Keys {
        let active_id = ring.active().id.as_str().into();
        Keys { ring, active_id }
    }
}

/// Makes signed links for object keys.
#[derive(Debug)]
pub struct Linker {
    keys: ArcSwap<Keys>,
    cache: SignatureCache,
    window: ExpiryWindow,
    hash: HashAlgorithm,
    origin: Origin,
    cookies: CookieAttributes,
    metrics: Metrics,
    urls_signed: IntCounter,
    cookies_signed: IntCounter,
}

/// Where object keys are appended: `https://d111111abcdef8.cloudfront.net`, or the local edge's
/// `http://127.0.0.1:8080/edge` (whose path prefix cookie paths must include).
#[derive(Debug)]
struct Origin {
    url: String,
    path: String,
}

impl Origin {
    fn new(url: String) -> Origin {
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let path = after_scheme.find('/').map_or(String::new(), |i| {
            after_scheme[i..].trim_end_matches('/').to_owned()
        });
        Origin {
            url: url.trim_end_matches('/').to_owned(),
            path,
        }
    }
}

/// What a `Linker` is made of.
#[derive(Debug)]
pub struct LinkerSettings {
    /// The keys; the active one signs.
    pub keys: KeyRing,
    /// Expiry bucketing.
    pub window: ExpiryWindow,
    /// The hash signed over policies.
    pub hash: HashAlgorithm,
    /// `https://d111111abcdef8.cloudfront.net`: where object keys are appended.
    pub origin: String,
    /// Domain, SameSite and Secure for signed cookies (the path is set per owner).
    pub cookies: CookieAttributes,
    /// Signature cache capacity in bytes.
    pub cache_bytes: u64,
}

impl Linker {
    /// A linker with an empty cache.
    pub fn new(settings: LinkerSettings, metrics: Metrics) -> Linker {
        Linker {
            keys: ArcSwap::from_pointee(Keys::new(settings.keys)),
            cache: SignatureCache::new(settings.cache_bytes),
            window: settings.window,
            hash: settings.hash,
            origin: Origin::new(settings.origin),
            cookies: settings.cookies,
            urls_signed: metrics.links_signed.with_label_values(&["url"]),
            cookies_signed: metrics.links_signed.with_label_values(&["cookies"]),
            metrics,
        }
    }

    /// The URL of an object without a signature.
    pub fn object_url(&self, key: &str) -> String {
        format!("{}/{}", self.origin.url, key_to_url_path(key))
    }

    /// The resource a link to `key` at link `version` signs: the object's URL with `?v=`, so
    /// the version is covered by the signature and the edge can refuse a revoked one.
    pub fn versioned_url(&self, key: &str, version: i64) -> String {
        format!("{}?{VERSION_PARAM}={version}", self.object_url(key))
    }

    /// The expiry of every link made at `now`.
    pub fn expires_at(&self, now: Epoch) -> Epoch {
        self.window.expires_at(now)
    }

    /// A canned-policy signed URL for the object `key` at link `version`, identical for everyone
    /// within a window. A cache hit allocates nothing; it takes one `Arc` clone.
    pub fn link(&self, key: &str, version: i64, now: Epoch) -> Result<Link, Error> {
        let expires = self.window.expires_at(now);
        let keys = self.keys.load();
        let cache_key = SignatureKey {
            key_pair_id: &keys.active_id,
            object: key,
            version,
            expires,
            hash: self.hash,
        };
        let (signed, lookup) = self
            .cache
            .get_or_sign(&cache_key, self.window.window_end(now), || {
                let started = Instant::now();
                let policy = CannedPolicy::new(
                    BaseUrl::parse(&self.versioned_url(key, version))?,
                    expires,
                    now,
                )?;
                let signed = sign_canned(&policy, keys.ring.active(), self.hash)?;
                self.metrics
                    .signing_seconds
                    .observe(started.elapsed().as_secs_f64());
                Ok::<_, SignError>(signed.url)
            })
            .map_err(|e| {
                Error::internal(anyhow::Error::new(e).context(format!("signing {key:?}")))
            })?;
        match lookup {
            Lookup::Hit => self.metrics.cache_hits.inc(),
            Lookup::Miss => self.metrics.cache_misses.inc(),
        }
        self.urls_signed.inc();
        Ok(Link { signed })
    }

    /// Custom-policy cookies granting everything under `owner`'s prefix, scoped to that path.
    /// `version` (the owner's `links_revised`) goes into the policy as `DateGreaterThan =
    /// version - 1`: signed, so the edge reads the cookies' link version back as the first second
    /// they admit. It is never at or after now (CloudFront admits only after `DateGreaterThan`),
    /// so cookies work the moment they are made: a floor is the second of its revocation, and
    /// only when several revocations of one owner fall in one second (or a replica's clock is
    /// behind) is it ahead of now; then these cookies are refused for the prefixes of those
    /// floors alone, until cookies made once the clock has passed them.
    pub fn owner_cookies(
        &self,
        owner: &UserId,
        version: i64,
        now: Epoch,
    ) -> Result<SignedCookies, Error> {
        let origin = &self.origin;
        let path = format!("{}/{}", origin.path, key_to_url_path(&owner_prefix(owner)));
        let resource = Resource::parse(&format!(
            "{}/{}*",
            origin.url,
            key_to_url_path(&owner_prefix(owner))
        ))?;
        let not_before = u64::try_from(version)
            .ok()
            .filter(|v| *v > 0)
            .map(|v| Epoch((v - 1).min(now.seconds().saturating_sub(1))));
        let policy =
            CustomPolicy::new(resource, self.window.expires_at(now), not_before, None, now)?;
        let keys = self.keys.load();
        let key = keys.ring.active();
        let attributes = self.cookies.clone().with_path(&path)?;
        let cookies = SignedPolicy::sign(policy, key, self.hash)
            .and_then(|signed| signed.cookies(key, &attributes))?;
        self.cookies_signed.inc();
        Ok(cookies)
    }

    /// Forgets every cached signature for the object `key` at link `version` (its visibility
    /// narrowed, it was deleted, its links revoked). Links already handed out are refused at the
    /// edge only when a revocation raised the version.
    pub fn forget(&self, key: &str, version: i64) {
        self.cache.forget(key, version);
    }

    /// Swaps in a new key ring; new links are signed with its active key from now on.
    pub fn replace_keys(&self, ring: KeyRing) {
        self.keys.store(Arc::new(Keys::new(ring)));
    }

    /// The public keys of the ring (a copy, for tests and tools).
    pub fn trusted(&self) -> TrustedKeys {
        self.keys.load().ring.trusted().clone()
    }

    /// Decides `request` as CloudFront with this ring's key group would (the local edge), without
    /// copying the keys.
    pub fn verify(&self, request: &Request<'_>) -> Result<Grant, Rejection> {
        verify(request, self.keys.load().ring.trusted())
    }

    /// The id of the key new links are signed with.
    pub fn active_key_id(&self) -> String {
        self.keys.load().active_id.to_string()
    }

    /// The signature cache (for tests and metrics).
    pub fn cache(&self) -> &SignatureCache {
        &self.cache
    }
}
