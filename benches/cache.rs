//! The signature cache on the request path: one hit among 50,000 cached links (the load test's
//! dataset), keys taken in a random order so the CPU caches do not flatter it.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use mediagate::cloudfront::{Epoch, HashAlgorithm};
use mediagate::links::cache::{SignatureCache, SignatureKey};

const ENTRIES: usize = 50_000;
const WINDOW_END: Epoch = Epoch(1_763_000_300);

fn hits(c: &mut Criterion) {
    let cache = SignatureCache::new(256 << 20);
    let id: Arc<str> = "K2JCJMDEHXQW5F".into();
    let objects: Vec<String> = (0..ENTRIES)
        .map(|i| {
            format!(
                "u{:04}/u{:04}-{:04}/{:04}.jpg",
                i / 50,
                i / 50,
                i % 50,
                i % 50
            )
        })
        .collect();
    fn key<'a>(id: &'a Arc<str>, object: &'a str) -> SignatureKey<'a> {
        SignatureKey {
            key_pair_id: id,
            object,
            version: 0,
            expires: Epoch(WINDOW_END.0 + 3600),
            hash: HashAlgorithm::Sha1,
        }
    }
    for object in &objects {
        let url = format!(
            "https://d111111abcdef8.cloudfront.net/{object}?{}",
            "s".repeat(380)
        );
        cache
            .get_or_sign(&key(&id, object), WINDOW_END, || Ok::<_, ()>(url))
            .expect("sign");
    }
    // A fixed permutation (an LCG walk), the same every run.
    let order: Vec<usize> = (0..ENTRIES).map(|i| (i * 7_919 + 13) % ENTRIES).collect();
    let mut next = 0;
    c.bench_function("signature_cache/hit_of_50k", |b| {
        b.iter(|| {
            next = (next + 1) % ENTRIES;
            let object = &objects[order[next]];
            black_box(
                cache
                    .get_or_sign(&key(&id, object), WINDOW_END, || Err(()))
                    .expect("a hit"),
            )
        })
    });
}

criterion_group!(benches, hits);
criterion_main!(benches);
