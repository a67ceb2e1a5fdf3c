//! Stable links: the expiry-window arithmetic, and the signature cache that makes it pay.
//!
//! Expiry is bucketed: `E = (floor(now / window) + 1) * window + ttl`. Everyone asking for the
//! same object within one window gets the same expiry, so the same URL (RSA is deterministic), so
//! browsers and CDNs cache it and the signature cache hits. An entry lives until its window ends:
//! after that, new requests need the next window's expiry anyway.

use std::hash::{BuildHasher as _, BuildHasherDefault, Hasher};
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

/// What a signature is a function of: the key, the object, the expiry and the hash. The
/// resource URL follows from the object key, so it is not part of the key.
#[derive(Debug, Clone, Copy)]
pub struct SignatureKey<'a> {
    /// The key that signs.
    pub key_pair_id: &'a Arc<str>,
    /// The object key.
    pub object: &'a str,
    /// The expiry.
    pub expires: Epoch,
    /// The hash.
    pub hash: HashAlgorithm,
}

#[derive(Debug, Clone)]
struct Cached {
    url: Arc<str>,
    key_pair_id: Arc<str>,
    object: Box<str>,
    expires: Epoch,
    hash: HashAlgorithm,
    lifetime: Duration,
}

impl Cached {
    fn is_for(&self, key: &SignatureKey<'_>) -> bool {
        *self.object == *key.object
            && self.expires == key.expires
            && self.hash == key.hash
            && self.key_pair_id == *key.key_pair_id
    }
}

struct UntilWindowEnd;

impl moka::Expiry<u64, Cached> for UntilWindowEnd {
    fn expire_after_create(
        &self,
        _: &u64,
        value: &Cached,
        _: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.lifetime)
    }
}

/// moka re-hashes keys; ours are already 64-bit hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Signed URLs by what they sign, bounded in bytes.
///
/// Entries are keyed by a seeded 64-bit hash of [`SignatureKey`], so a hit allocates nothing.
/// The entry keeps what it was signed for and is checked on every hit: a hash collision costs a
/// signature, never a wrong link.
#[derive(Clone)]
pub struct SignatureCache {
    cache: Cache<u64, Cached, BuildHasherDefault<PassThrough>>,
    hasher: foldhash::quality::RandomState,
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
    /// A cache holding at most about `capacity_bytes` of URLs and keys.
    pub fn new(capacity_bytes: u64) -> SignatureCache {
        let cache = Cache::builder()
            .max_capacity(capacity_bytes)
            // Per-entry bookkeeping (moka's node, the Arcs) is roughly this many bytes.
            .weigher(|_: &u64, v: &Cached| {
                u32::try_from(v.url.len() + v.object.len() + 160).unwrap_or(u32::MAX)
            })
            .expire_after(UntilWindowEnd)
            .support_invalidation_closures()
            .build_with_hasher(BuildHasherDefault::default());
        SignatureCache {
            cache,
            hasher: foldhash::quality::RandomState::default(),
        }
    }

    /// The cached URL for `key`, or `sign()`'s, cached until `window_end`. Concurrent misses
    /// for the same key sign once.
    pub fn get_or_sign<E: Send + Sync + 'static>(
        &self,
        key: &SignatureKey<'_>,
        now: Epoch,
        window_end: Epoch,
        sign: impl FnOnce() -> Result<String, E>,
    ) -> Result<(Arc<str>, Lookup), Arc<E>> {
        let lifetime = Duration::from_secs(window_end.0.saturating_sub(now.0).max(1));
        let id = self
            .hasher
            .hash_one((&**key.key_pair_id, key.object, key.expires.0, key.hash));
        // Hits take the plain read path; the entry API (which dedups concurrent signing) costs
        // more and is only needed on a miss.
        if let Some(cached) = self.cache.get(&id)
            && cached.is_for(key)
        {
            return Ok((cached.url, Lookup::Hit));
        }
        let mut sign = Some(sign);
        let entry = self.cache.entry(id).or_try_insert_with(|| {
            let Some(sign) = sign.take() else {
                unreachable!("moka runs init at most once")
            };
            Ok(Cached {
                url: sign()?.into(),
                key_pair_id: key.key_pair_id.clone(),
                object: key.object.into(),
                expires: key.expires,
                hash: key.hash,
                lifetime,
            })
        })?;
        if entry.is_fresh() {
            return Ok((entry.into_value().url, Lookup::Miss));
        }
        if entry.value().is_for(key) {
            return Ok((entry.into_value().url, Lookup::Hit));
        }
        // A 64-bit collision with another entry: sign without caching rather than hand out
        // another object's link. (A fresh entry was signed here, so `sign` is still unused.)
        match sign {
            Some(sign) => Ok((sign().map_err(Arc::new)?.into(), Lookup::Miss)),
            None => unreachable!("init ran, so the entry was fresh"),
        }
    }

    /// Drops every cached signature for the object `key` (its visibility narrowed, or it was
    /// deleted).
    pub fn forget(&self, object: &str) {
        let object: Box<str> = object.into();
        // Only fails when closures are not enabled, which `new` does.
        let _ = self
            .cache
            .invalidate_entries_if(move |_, v| v.object == object);
    }

    /// Drops every cached signature (the origin changed).
    pub fn clear(&self) {
        self.cache.invalidate_all();
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

    fn key<'a>(id: &'a Arc<str>, object: &'a str) -> SignatureKey<'a> {
        SignatureKey {
            key_pair_id: id,
            object,
            expires: Epoch(10),
            hash: HashAlgorithm::Sha1,
        }
    }

    #[test]
    fn hits_after_first_sign_and_forgets_by_object() {
        let cache = SignatureCache::new(1 << 20);
        let id: Arc<str> = "K".into();
        let calls = std::cell::Cell::new(0);
        let sign = || {
            calls.set(calls.get() + 1);
            Ok::<_, std::convert::Infallible>("https://d/u1/a.jpg?sig".to_owned())
        };
        let (a, l1) = cache
            .get_or_sign(&key(&id, "u1/a.jpg"), Epoch(0), Epoch(300), sign)
            .unwrap();
        let (b, l2) = cache
            .get_or_sign(&key(&id, "u1/a.jpg"), Epoch(1), Epoch(300), sign)
            .unwrap();
        assert_eq!((l1, l2, calls.get()), (Lookup::Miss, Lookup::Hit, 1));
        assert_eq!(a, b);
        // Another key id, expiry or hash is another signature.
        let other: Arc<str> = "K2".into();
        assert_eq!(
            cache
                .get_or_sign(&key(&other, "u1/a.jpg"), Epoch(1), Epoch(300), sign)
                .unwrap()
                .1,
            Lookup::Miss
        );
        let later = SignatureKey {
            expires: Epoch(11),
            ..key(&id, "u1/a.jpg")
        };
        assert_eq!(
            cache
                .get_or_sign(&later, Epoch(1), Epoch(300), sign)
                .unwrap()
                .1,
            Lookup::Miss
        );
        cache.forget("u1/a.jpg");
        let (_, l3) = cache
            .get_or_sign(&key(&id, "u1/a.jpg"), Epoch(2), Epoch(300), sign)
            .unwrap();
        assert_eq!(l3, Lookup::Miss);
    }

    #[test]
    fn a_hash_collision_never_returns_another_objects_link() {
        // Force a collision by inserting an entry under the id the lookup will compute, but
        // recorded for another object.
        let cache = SignatureCache::new(1 << 20);
        let id: Arc<str> = "K".into();
        let wanted = key(&id, "u1/mine.jpg");
        let h = cache
            .hasher
            .hash_one((&*id, "u1/mine.jpg", 10u64, HashAlgorithm::Sha1));
        cache.cache.insert(
            h,
            Cached {
                url: "https://d/u2/theirs.jpg?sig".into(),
                key_pair_id: id.clone(),
                object: "u2/theirs.jpg".into(),
                expires: Epoch(10),
                hash: HashAlgorithm::Sha1,
                lifetime: Duration::from_secs(60),
            },
        );
        let (url, lookup) = cache
            .get_or_sign(&wanted, Epoch(0), Epoch(300), || {
                Ok::<_, std::convert::Infallible>("https://d/u1/mine.jpg?sig".into())
            })
            .unwrap();
        assert_eq!((&*url, lookup), ("https://d/u1/mine.jpg?sig", Lookup::Miss));
    }

    #[test]
    fn capacity_is_bounded_in_bytes() {
        let cache = SignatureCache::new(64 * 1024);
        let id: Arc<str> = "K".into();
        for i in 0..10_000 {
            let object = format!("u{i}/{}", "x".repeat(100));
            let url = format!("https://d/{object}?{}", "s".repeat(300));
            cache
                .get_or_sign(&key(&id, &object), Epoch(0), Epoch(300), || {
                    Ok::<_, std::convert::Infallible>(url)
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
        let id: Arc<str> = "K".into();
        let err = cache.get_or_sign(&key(&id, "r"), Epoch(0), Epoch(300), || {
            Err::<String, _>("boom")
        });
        assert_eq!(*err.unwrap_err(), "boom");
        let ok = cache.get_or_sign(&key(&id, "r"), Epoch(0), Epoch(300), || {
            Ok::<_, &str>("u".into())
        });
        assert_eq!(ok.unwrap().1, Lookup::Miss);
    }
}
