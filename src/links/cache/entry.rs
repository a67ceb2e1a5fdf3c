//! One cached signature, what it was signed for, and how quick_cache weighs and hashes it.

use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::cloudfront::{Epoch, HashAlgorithm};

/// What a signature is a function of: the key, the object and its link version, the expiry and
/// the hash. The resource URL follows from the object key and the version, so it is not part of
/// the key.
#[derive(Debug, Clone, Copy)]
pub struct SignatureKey<'a> {
    /// The key that signs.
    pub key_pair_id: &'a Arc<str>,
    /// The object key.
    pub object: &'a str,
    /// The image's link version (`?v=`): a revoked version is never asked for again.
    pub version: i64,
    /// The expiry.
    pub expires: Epoch,
    /// The hash.
    pub hash: HashAlgorithm,
}

/// A signed URL as the cache keeps it. The key id, the object key and the URL share one
/// allocation, so a hit touches one cache line run instead of three scattered allocations: on a
/// gallery that was most of a hit's time.
#[derive(Debug, Clone)]
pub struct CachedUrl {
    /// `{key_pair_id}{object}{url}`.
    text: Arc<str>,
    key_pair_id_len: usize,
    object_len: usize,
    version: i64,
    expires: Epoch,
    hash: HashAlgorithm,
}

impl CachedUrl {
    pub(super) fn new(key: &SignatureKey<'_>, url: &str) -> CachedUrl {
        let mut text = String::with_capacity(key.key_pair_id.len() + key.object.len() + url.len());
        text.push_str(key.key_pair_id);
        text.push_str(key.object);
        text.push_str(url);
        CachedUrl {
            text: text.into(),
            key_pair_id_len: key.key_pair_id.len(),
            object_len: key.object.len(),
            version: key.version,
            expires: key.expires,
            hash: key.hash,
        }
    }

    /// The signed URL.
    pub fn url(&self) -> &str {
        self.text
            .get(self.key_pair_id_len + self.object_len..)
            .unwrap_or_default()
    }

    pub(super) fn is_for(&self, key: &SignatureKey<'_>) -> bool {
        let text = self.text.as_bytes();
        let (id, rest) = text.split_at(self.key_pair_id_len.min(text.len()));
        let object = &rest[..self.object_len.min(rest.len())];
        self.expires == key.expires
            && self.version == key.version
            && self.hash == key.hash
            && id == key.key_pair_id.as_bytes()
            && object == key.object.as_bytes()
    }
}

/// Keys are already seeded 64-bit hashes; hashing them again would only cost time.
#[derive(Default, Clone)]
pub(super) struct PassThrough(u64);

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

/// An entry's weight: its text (key id, object key, URL), plus roughly this much bookkeeping
/// (the table slot, the `Arc`'s counts).
pub(super) const ENTRY_OVERHEAD: u64 = 160;

#[derive(Debug, Clone)]
pub(super) struct Bytes;

impl quick_cache::Weighter<u64, CachedUrl> for Bytes {
    fn weight(&self, _: &u64, v: &CachedUrl) -> u64 {
        v.text.len() as u64 + ENTRY_OVERHEAD
    }
}

pub(super) type Entries =
    quick_cache::sync::Cache<u64, CachedUrl, Bytes, BuildHasherDefault<PassThrough>>;
