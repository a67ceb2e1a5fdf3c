//! Presigned URLs and the credentials that sign them.

use std::time::{Duration, SystemTime};

use mediagate::clock::{Clock as _, SystemClock};
use mediagate::cloudfront::Epoch;
use mediagate::s3::{ObjectStore, S3Target};

use crate::support::query_param;

#[tokio::test]
async fn presigned_urls_never_outlive_their_credentials_nor_seven_days() {
    let target = S3Target {
        bucket: "b".into(),
        region: "us-east-1".into(),
        endpoint: Some("http://127.0.0.1:9".into()),
        force_path_style: true,
        static_key: None,
    };
    let now = SystemClock.now();
    let temporary = |expires_in: u64| {
        Some(aws_credential_types::Credentials::new(
            "ASIATEMP",
            "secret",
            Some("session".into()),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(now.seconds() + expires_in)),
            "test",
        ))
    };
    let store = ObjectStore::connect_with(&target, temporary(30))
        .await
        .expect("store");
    let put = store
        .presign_put("k/i/a.png", "image/png", 10, &[7; 32], now, 60)
        .await
        .expect("presign");
    assert_eq!(put.expires_at, Epoch(now.seconds() + 30));
    assert_eq!(query_param(&put.url, "X-Amz-Expires"), Some("30"));
    assert!(put.url.contains("X-Amz-Security-Token=session"));
    let delete = store
        .presign_delete("k/i/a.png", now, 60)
        .await
        .expect("presign");
    assert_eq!(delete.expires_at, Epoch(now.seconds() + 30));

    let long = ObjectStore::connect_with(&target, temporary(30 * 24 * 3600))
        .await
        .expect("store");
    let put = long
        .presign_put("k/i/a.png", "image/png", 10, &[7; 32], now, 10 * 24 * 3600)
        .await
        .expect("presign");
    assert_eq!(query_param(&put.url, "X-Amz-Expires"), Some("604800"));

    let expired = ObjectStore::connect_with(&target, temporary(0))
        .await
        .expect("store");
    // As a client would see it, through the boundary error.
    let err = mediagate::error::Error::from(
        expired
            .presign_put("k/i/a.png", "image/png", 10, &[7; 32], now, 60)
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code(), mediagate::error::Code::Upstream);
    assert!(err.message().contains("expired"), "{}", err.message());
}
