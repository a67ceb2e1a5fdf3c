//! Signing throughput on one core: full signed URLs per key type and hash, and the non-crypto
//! part alone (policy bytes, CloudFront base64, URL assembly). `scripts/bench` runs this pinned to
//! one core beside `openssl speed` and prints the ratios README quotes.
//!
//! Either signing backend: `cargo bench --bench signing` (OpenSSL) or
//! `cargo bench --bench signing --features rust-crypto` (pure Rust); the first line says which.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mediagate::cloudfront::signed_url::assemble_canned;
use mediagate::cloudfront::{
    BaseUrl, CannedPolicy, Epoch, HashAlgorithm, KeyAlgorithm, KeyPairId, PrivateKey, SigningKey,
    sign_canned,
};

const NOW: Epoch = Epoch(1_763_000_000);
const URL: &str = "https://d111111abcdef8.cloudfront.net/u0042/u0042-0007/0007.jpg";

fn key(algorithm: KeyAlgorithm) -> SigningKey {
    SigningKey {
        id: KeyPairId::parse("K2JCJMDEHXQW5F").expect("id"),
        key: PrivateKey::generate(algorithm).expect("key"),
    }
}

fn sign_url(c: &mut Criterion) {
    eprintln!(
        "signing backend: {}",
        mediagate::cloudfront::keys::backend_name()
    );
    let url = BaseUrl::parse(URL).expect("url");
    let mut group = c.benchmark_group("sign_url");
    for (name, algorithm) in [
        ("rsa2048", KeyAlgorithm::Rsa2048),
        ("ecdsa_p256", KeyAlgorithm::EcdsaP256),
    ] {
        let key = key(algorithm);
        for (hash_name, hash) in [
            ("sha1", HashAlgorithm::Sha1),
            ("sha256", HashAlgorithm::Sha256),
        ] {
            group.bench_function(format!("{name}_{hash_name}"), |b| {
                b.iter(|| {
                    let policy =
                        CannedPolicy::new(url.clone(), Epoch(NOW.0 + 3600), NOW).expect("policy");
                    black_box(sign_canned(&policy, &key, hash).expect("sign"))
                })
            });
        }
    }
    group.finish();
}

fn non_crypto(c: &mut Criterion) {
    let url = BaseUrl::parse(URL).expect("url");
    let id = KeyPairId::parse("K2JCJMDEHXQW5F").expect("id");
    let raw_signature = [0xa5u8; 256]; // an RSA-2048 signature's size
    c.bench_function("non_crypto/canned_url_assembly", |b| {
        b.iter(|| {
            let policy = CannedPolicy::new(black_box(url.clone()), Epoch(NOW.0 + 3600), NOW)
                .expect("policy");
            let json = policy.to_json();
            black_box(assemble_canned(
                policy.url(),
                policy.expires(),
                json,
                black_box(&raw_signature),
                &id,
                HashAlgorithm::Sha1,
            ))
        })
    });
}

criterion_group!(benches, sign_url, non_crypto);
criterion_main!(benches);
