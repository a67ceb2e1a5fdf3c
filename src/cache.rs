//! Stable links: the expiry-window arithmetic, and the signature cache that makes it pay.
//!
//! Expiry is bucketed: `E = (floor(now / window) + 1) * window + ttl`. Everyone asking for the
//! same object within one window gets the same expiry, so the same URL (RSA is deterministic), so
//! browsers and CDNs cache it and the signature cache hits. An entry lives until its window ends:
//! after that, new requests need the next window's expiry anyway.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use crate::cloudfront::{Epoch, HashAlgorithm};

/// The bucketing of expiries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryWindow {
    window: u64,
    ttl: u64,
}

impl ExpiryWindow {
    /// A window of `window` seconds and a TTL of `ttl` seconds after it; both at least 1.
    pub fn new(window: u64, ttl: u64) -> Option<ExpiryWindow> {
        (window > 0 && ttl > 0).then_some(ExpiryWindow { window, ttl })
    }

    /// The end of the window `now` falls in (exclusive).
    pub fn window_end(self, now: Epoch) -> Epoch {
        Epoch((now.0 / self.window + 1) * self.window)
    }

    /// The expiry of every link made at `now`: the window's end plus the TTL. A link is valid for
    /// at least `ttl` and at most `window + ttl` seconds.
    pub fn expires_at(self, now: Epoch) -> Epoch {
        Epoch(self.window_end(now).0 + self.ttl)
    }
}

/// What a signature is a function of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignatureKey {
    /// The key that signs.
    pub key_pair_id: Arc<str>,
    /// The URL signed (canned policy resource).
    pub resource: String,
    /// The expiry.
    pub expires: Epoch,
    /// The hash.
    pub hash: HashAlgorithm,
}

#[derive(Debug, Clone)]
struct Cached {
    url: Arc<str>,
    lifetime: Duration,
}

struct UntilWindowEnd;

impl moka::Expiry<SignatureKey, Cached> for UntilWindowEnd {
    fn expire_after_create(
        &self,
        _: &SignatureKey,
        value: &Cached,
        _: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.lifetime)
    }
}

/// Signed URLs by what they sign, bounded in bytes.
#[derive(Clone)]
pub struct SignatureCache {
    cache: Cache<SignatureKey, Cached>,
}

impl std::fmt::Debug for SignatureCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureCache")
            .field("entries", &self.cache.entry_count())
            .finish()
    }
}

/// Whether a lookup was served from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Already signed.
    Hit,
    /// Signed just now.
    Miss,
}

impl SignatureCache {
    /// A cache holding at most about `capacity_bytes` of keys and URLs.
    pub fn new(capacity_bytes: u64) -> SignatureCache {
        let cache = Cache::builder()
            .max_capacity(capacity_bytes)
            // Per-entry bookkeeping (moka's node, the Arcs) is roughly this many bytes.
            .weigher(|k: &SignatureKey, v: &Cached| {
                u32::try_from(k.resource.len() + v.url.len() + k.key_pair_id.len() + 160)
                    .unwrap_or(u32::MAX)
            })
            .expire_after(UntilWindowEnd)
            .support_invalidation_closures()
            .build();
        SignatureCache { cache }
    }

    /// The cached URL for `key`, or `sign()`'s, cached until `window_end`. Concurrent misses
    /// for the same key sign once.
    pub fn get_or_sign<E: Send + Sync + 'static>(
        &self,
        key: &SignatureKey,
        now: Epoch,
        window_end: Epoch,
        sign: impl FnOnce() -> Result<String, E>,
    ) -> Result<(Arc<str>, Lookup), Arc<E>> {
        let lifetime = Duration::from_secs(window_end.0.saturating_sub(now.0).max(1));
        let entry = self.cache.entry_by_ref(key).or_try_insert_with(|| {
            sign().map(|url| Cached {
                url: url.into(),
                lifetime,
            })
        })?;
        let lookup = if entry.is_fresh() {
            Lookup::Miss
        } else {
            Lookup::Hit
        };
        Ok((entry.into_value().url, lookup))
    }

    /// Drops every cached signature whose resource contains `fragment` (an object key's URL path),
    /// e.g. when its visibility narrows.
    pub fn invalidate_containing(&self, fragment: &str) {
        let fragment = fragment.to_owned();
        // Only fails when closures are not enabled, which `new` does.
        let _ = self
            .cache
            .invalidate_entries_if(move |k, _| k.resource.contains(&fragment));
    }

    /// Entries currently held (approximate; moka applies writes lazily).
    pub fn entry_count(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }

    /// Bytes currently held (approximate).
    pub fn weighted_size(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.weighted_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_bucketed() {
        let w = ExpiryWindow::new(300, 3600).unwrap();
        assert_eq!(w.expires_at(Epoch(0)), Epoch(3900));
        assert_eq!(w.expires_at(Epoch(299)), Epoch(3900));
        assert_eq!(w.expires_at(Epoch(300)), Epoch(4200));
        assert_eq!(w.window_end(Epoch(1_700_000_123)), Epoch(1_700_000_400));
        for now in 1_700_000_000..1_700_000_700 {
            let left = w.expires_at(Epoch(now)).0 - now;
            assert!((3601..=3900).contains(&left), "{now}: {left}");
        }
        assert!(ExpiryWindow::new(0, 1).is_none());
    }

    fn key(resource: &str) -> SignatureKey {
        SignatureKey {
            key_pair_id: "K".into(),
            resource: resource.into(),
            expires: Epoch(10),
            hash: HashAlgorithm::Sha1,
        }
    }

    #[test]
    fn hits_after_first_sign_and_invalidates_by_path() {
        let cache = SignatureCache::new(1 << 20);
        let calls = std::cell::Cell::new(0);
        let sign = || {
            calls.set(calls.get() + 1);
            Ok::<_, std::convert::Infallible>("https://d/u1/a.jpg?sig".to_owned())
        };
        let (a, l1) = cache
            .get_or_sign(&key("https://d/u1/a.jpg"), Epoch(0), Epoch(300), sign)
            .unwrap();
        let (b, l2) = cache
            .get_or_sign(&key("https://d/u1/a.jpg"), Epoch(1), Epoch(300), sign)
            .unwrap();
        assert_eq!((l1, l2, calls.get()), (Lookup::Miss, Lookup::Hit, 1));
        assert_eq!(a, b);
        cache.invalidate_containing("/u1/a.jpg");
        let (_, l3) = cache
            .get_or_sign(&key("https://d/u1/a.jpg"), Epoch(2), Epoch(300), sign)
            .unwrap();
        assert_eq!((l3, calls.get()), (Lookup::Miss, 2));
    }

    #[test]
    fn capacity_is_bounded_in_bytes() {
        let cache = SignatureCache::new(64 * 1024);
        for i in 0..10_000 {
            let r = format!("https://d/u{i}/{}", "x".repeat(100));
            cache
                .get_or_sign(&key(&r), Epoch(0), Epoch(300), || {
                    Ok::<_, std::convert::Infallible>(format!("{r}?{}", "s".repeat(300)))
                })
                .unwrap();
        }
        assert!(
            cache.weighted_size() <= 64 * 1024,
            "{}",
            cache.weighted_size()
        );
        assert!(cache.entry_count() < 200);
    }

    #[test]
    fn sign_errors_are_not_cached() {
        let cache = SignatureCache::new(1 << 20);
        let err = cache.get_or_sign(&key("r"), Epoch(0), Epoch(300), || Err::<String, _>("boom"));
        assert_eq!(*err.unwrap_err(), "boom");
        let ok = cache.get_or_sign(&key("r"), Epoch(0), Epoch(300), || {
            Ok::<_, &str>("u".into())
        });
        assert_eq!(ok.unwrap().1, Lookup::Miss);
    }
}
