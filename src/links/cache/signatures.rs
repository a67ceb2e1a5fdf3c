//! The signature cache: one generation of entries per expiry window, swapped whole when the
//! window closes.

use std::hash::{BuildHasher as _, BuildHasherDefault};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::entry::{Bytes, CachedUrl, Entries, SignatureKey};
use crate::cloudfront::{Epoch, HashAlgorithm};

/// The signatures of one window.
struct Generation {
    /// The window's end: every entry here expires then.
    window_end: Epoch,
    entries: Entries,
    /// Every (key, expiry, hash) that signed here, so `forget` can name an object's entries
    /// exactly instead of scanning them all. Almost always one.
    signers: Mutex<Vec<(Arc<str>, Epoch, HashAlgorithm)>>,
}

impl Generation {
    fn new(window_end: Epoch, capacity_bytes: u64) -> Generation {
        // A typical entry (RSA-2048 URL, short key) weighs about 600 bytes.
        let estimated = usize::try_from(capacity_bytes / 600)
            .unwrap_or(usize::MAX)
            .max(16);
        Generation {
            window_end,
            entries: Entries::with(
                estimated,
                capacity_bytes.max(1),
                Bytes,
                BuildHasherDefault::default(),
                Default::default(),
            ),
            signers: Mutex::new(Vec::new()),
        }
    }

    fn note_signer(&self, key: &SignatureKey<'_>) {
        if let Ok(mut signers) = self.signers.lock()
            && !signers
                .iter()
                .any(|(id, e, h)| id == key.key_pair_id && *e == key.expires && *h == key.hash)
        {
            signers.push((key.key_pair_id.clone(), key.expires, key.hash));
        }
    }
}

/// Signed URLs by what they sign, bounded in bytes, dropped when their window closes.
///
/// Entries are keyed by a seeded 64-bit hash of [`SignatureKey`], so a hit allocates nothing.
/// The entry keeps what it was signed for and is checked on every hit: a hash collision costs a
/// signature, never a wrong link.
pub struct SignatureCache {
    current: ArcSwap<Generation>,
    capacity_bytes: u64,
    hasher: foldhash::quality::RandomState,
}

impl std::fmt::Debug for SignatureCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let current = self.current.load();
        f.debug_struct("SignatureCache")
            .field("window_end", &current.window_end)
            .field("entries", &current.entries.len())
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
        SignatureCache {
            current: ArcSwap::from_pointee(Generation::new(Epoch(0), capacity_bytes)),
            capacity_bytes,
            hasher: foldhash::quality::RandomState::default(),
        }
    }

    fn id(&self, key: &SignatureKey<'_>) -> u64 {
        self.hasher.hash_one((
            &**key.key_pair_id,
            key.object,
            key.version,
            key.expires.0,
            key.hash,
        ))
    }

    /// The generation for the window ending at `window_end`, opening it (and dropping the one
    /// before, whose window has closed) when it is the first ask in that window. `None` for a
    /// request from a window that has already closed: it is signed without caching.
    fn generation(&self, window_end: Epoch) -> Option<arc_swap::Guard<Arc<Generation>>> {
        loop {
            // A guard, not an `Arc` clone: no shared reference count to bump on every lookup.
            let current = self.current.load();
            if current.window_end == window_end {
                return Some(current);
            }
            if current.window_end > window_end {
                return None;
            }
            self.current.compare_and_swap(
                &*current,
                Arc::new(Generation::new(window_end, self.capacity_bytes)),
            );
            // Whichever request opened the new generation, look again.
        }
    }

    /// The cached URL for `key`, or `sign()`'s, cached until `window_end`. Concurrent misses
    /// for the same key sign once.
    pub fn get_or_sign<E>(
        &self,
        key: &SignatureKey<'_>,
        window_end: Epoch,
        sign: impl FnOnce() -> Result<String, E>,
    ) -> Result<(CachedUrl, Lookup), E> {
        let id = self.id(key);
        let Some(generation) = self.generation(window_end) else {
            return Ok((CachedUrl::new(key, &sign()?), Lookup::Miss));
        };
        let guard = match generation.entries.get_value_or_guard(&id, None) {
            quick_cache::sync::GuardResult::Value(cached) if cached.is_for(key) => {
                return Ok((cached, Lookup::Hit));
            }
            // A 64-bit collision with another entry: sign without caching rather than hand out
            // another object's link.
            quick_cache::sync::GuardResult::Value(_) => {
                return Ok((CachedUrl::new(key, &sign()?), Lookup::Miss));
            }
            quick_cache::sync::GuardResult::Guard(guard) => Some(guard),
            quick_cache::sync::GuardResult::Timeout => None,
        };
        let signed = CachedUrl::new(key, &sign()?);
        if let Some(guard) = guard {
            generation.note_signer(key);
            let _ = guard.insert(signed.clone());
        }
        Ok((signed, Lookup::Miss))
    }

    /// Drops every cached signature for the object `key` at link version `version` (its
    /// visibility narrowed, it was deleted, its links revoked).
    pub fn forget(&self, object: &str, version: i64) {
        let generation = self.current.load();
        let Ok(signers) = generation.signers.lock() else {
            return;
        };
        for (key_pair_id, expires, hash) in signers.iter() {
            let key = SignatureKey {
                key_pair_id,
                object,
                version,
                expires: *expires,
                hash: *hash,
            };
            generation
                .entries
                .remove_if(&self.id(&key), |cached| cached.is_for(&key));
        }
    }

    /// Entries currently held.
    pub fn entry_count(&self) -> u64 {
        self.current.load().entries.len() as u64
    }

    /// Bytes currently held.
    pub fn weighted_size(&self) -> u64 {
        self.current.load().entries.weight()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::cache::entry::ENTRY_OVERHEAD;

    const END: Epoch = Epoch(300);

    fn key<'a>(id: &'a Arc<str>, object: &'a str) -> SignatureKey<'a> {
        SignatureKey {
            key_pair_id: id,
            object,
            version: 0,
            expires: Epoch(END.0 + 3600),
            hash: HashAlgorithm::Sha1,
        }
    }

    fn signer(url: &str) -> impl FnOnce() -> Result<String, std::convert::Infallible> + '_ {
        move || Ok(url.to_owned())
    }

    fn lookup(cache: &SignatureCache, key: &SignatureKey<'_>, end: Epoch) -> Lookup {
        cache
            .get_or_sign(key, end, signer("https://d/x?sig"))
            .unwrap()
            .1
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
        let (a, l1) = cache.get_or_sign(&key(&id, "u1/a.jpg"), END, sign).unwrap();
        let (b, l2) = cache.get_or_sign(&key(&id, "u1/a.jpg"), END, sign).unwrap();
        assert_eq!((l1, l2, calls.get()), (Lookup::Miss, Lookup::Hit, 1));
        assert_eq!(
            (a.url(), b.url()),
            ("https://d/u1/a.jpg?sig", "https://d/u1/a.jpg?sig")
        );
        // Another key id, expiry or hash is another signature.
        let other: Arc<str> = "K2".into();
        assert_eq!(lookup(&cache, &key(&other, "u1/a.jpg"), END), Lookup::Miss);
        let later = SignatureKey {
            expires: Epoch(END.0 + 3601),
            ..key(&id, "u1/a.jpg")
        };
        assert_eq!(lookup(&cache, &later, END), Lookup::Miss);
        let sha256 = SignatureKey {
            hash: HashAlgorithm::Sha256,
            ..key(&id, "u1/a.jpg")
        };
        assert_eq!(lookup(&cache, &sha256, END), Lookup::Miss);
        assert_eq!(lookup(&cache, &key(&id, "u1/b.jpg"), END), Lookup::Miss);
        // Another link version is another signature: a revoked one is never handed out again.
        let revised = SignatureKey {
            version: 7,
            ..key(&id, "u1/a.jpg")
        };
        assert_eq!(lookup(&cache, &revised, END), Lookup::Miss);
        assert_eq!(lookup(&cache, &revised, END), Lookup::Hit);
        cache.forget("u1/a.jpg", 7);
        assert_eq!(lookup(&cache, &revised, END), Lookup::Miss);
        cache.forget("u1/a.jpg", 7);
        assert_eq!(cache.entry_count(), 5);

        // Every signature of the object goes, whichever key, expiry or hash made it; other
        // objects stay.
        cache.forget("u1/a.jpg", 0);
        assert_eq!(cache.entry_count(), 1);
        for k in [key(&id, "u1/a.jpg"), key(&other, "u1/a.jpg"), later, sha256] {
            assert_eq!(lookup(&cache, &k, END), Lookup::Miss, "{k:?}");
        }
        assert_eq!(lookup(&cache, &key(&id, "u1/b.jpg"), END), Lookup::Hit);
    }

    #[test]
    fn a_window_closing_drops_its_generation() {
        let cache = SignatureCache::new(1 << 20);
        let id: Arc<str> = "K".into();
        for i in 0..10 {
            assert_eq!(
                lookup(&cache, &key(&id, &format!("o{i}")), END),
                Lookup::Miss
            );
        }
        assert_eq!(cache.entry_count(), 10);
        assert!(cache.weighted_size() > 10 * ENTRY_OVERHEAD);

        // The first ask in the next window opens a new generation; nothing of the old is kept.
        let next = Epoch(END.0 + 300);
        let next_key = SignatureKey {
            expires: Epoch(next.0 + 3600),
            ..key(&id, "o0")
        };
        assert_eq!(lookup(&cache, &next_key, next), Lookup::Miss);
        assert_eq!(cache.entry_count(), 1);
        assert_eq!(lookup(&cache, &next_key, next), Lookup::Hit);

        // A request whose `now` is still in the closed window is signed, not cached, and does
        // not bring the old generation back.
        let (url, l) = cache
            .get_or_sign(&key(&id, "o0"), END, signer("https://d/late?sig"))
            .unwrap();
        assert_eq!((url.url(), l), ("https://d/late?sig", Lookup::Miss));
        assert_eq!(lookup(&cache, &key(&id, "o0"), END), Lookup::Miss);
        assert_eq!(cache.entry_count(), 1);
        assert_eq!(lookup(&cache, &next_key, next), Lookup::Hit);
    }

    #[test]
    fn a_hash_collision_never_returns_another_objects_link() {
        // Force a collision by inserting an entry under the id the lookup will compute, but
        // recorded for another object.
        let cache = SignatureCache::new(1 << 20);
        let id: Arc<str> = "K".into();
        let wanted = key(&id, "u1/mine.jpg");
        let generation = cache.generation(END).expect("the current window");
        generation.entries.insert(
            cache.id(&wanted),
            CachedUrl::new(&key(&id, "u2/theirs.jpg"), "https://d/u2/theirs.jpg?sig"),
        );
        let (url, lookup) = cache
            .get_or_sign(&wanted, END, signer("https://d/u1/mine.jpg?sig"))
            .unwrap();
        assert_eq!(
            (url.url(), lookup),
            ("https://d/u1/mine.jpg?sig", Lookup::Miss)
        );
    }

    #[test]
    fn capacity_is_bounded_in_bytes() {
        let cache = SignatureCache::new(64 * 1024);
        let id: Arc<str> = "K".into();
        for i in 0..10_000 {
            let object = format!("u{i}/{}", "x".repeat(100));
            let url = format!("https://d/{object}?{}", "s".repeat(300));
            cache
                .get_or_sign(&key(&id, &object), END, signer(&url))
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
        let err = cache.get_or_sign(&key(&id, "r"), END, || Err::<String, _>("boom"));
        assert_eq!(err.unwrap_err(), "boom");
        assert_eq!(cache.entry_count(), 0);
        assert_eq!(lookup(&cache, &key(&id, "r"), END), Lookup::Miss);
        assert_eq!(lookup(&cache, &key(&id, "r"), END), Lookup::Hit);
    }

    #[test]
    fn concurrent_misses_sign_once() {
        let cache = SignatureCache::new(1 << 20);
        let id: Arc<str> = "K".into();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let barrier = std::sync::Barrier::new(8);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    barrier.wait();
                    cache
                        .get_or_sign(&key(&id, "hot.jpg"), END, || {
                            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            // Long enough that the other threads arrive while this one signs.
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            Ok::<_, std::convert::Infallible>("https://d/hot.jpg?sig".to_owned())
                        })
                        .unwrap()
                });
            }
        });
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
