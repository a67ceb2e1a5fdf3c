//! Presigned upload tickets per second on one core: `ObjectStore::presign_put` (aws-sdk-s3's
//! presigner, SigV4 over Content-Type, Content-Length and the SHA-256), no network.
//! Compare with the `createUpload` mutation in `loadtests/upload.js` (README, "Speed").

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mediagate::cloudfront::Epoch;
use mediagate::s3::{ObjectStore, S3Target};

fn presign(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = runtime
        .block_on(ObjectStore::connect(&S3Target {
            bucket: "mediagate-bench".into(),
            region: "eu-west-1".into(),
            endpoint: None,
            force_path_style: false,
            static_key: Some((
                "AKIDEXAMPLE".into(),
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            )),
        }))
        .expect("store");
    let now = Epoch(1_763_000_000);
    let key = "u0042/0195f0c8a1b27c3d9e4f5a6b7c8d9e0f/holiday.jpg";
    let sum = [7u8; 32];
    let mut group = c.benchmark_group("presign");
    group.bench_function("put_with_sha256", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(store.presign_put(key, "image/jpeg", 1_234_567, &sum, now, 60))
                    .expect("presign"),
            )
        })
    });
    group.bench_function("delete", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(store.presign_delete(key, now, 60))
                    .expect("presign"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, presign);
criterion_main!(benches);
