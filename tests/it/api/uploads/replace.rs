//! Once an image is READY its bytes never change: every upload declares its SHA-256, the
//! presigned PUT signs it, and S3 refuses any other bytes for the rest of the URL's life.

use serde_json::json;
use sha2::Digest as _;

use super::super::helpers::code;
use super::{Setup, complete, create, id_of, input, png, put, put_with, setup, sha256_hex, ticket};

/// Headers replaced (`Some`) or dropped (`None`) on a PUT.
type Tweak<'a> = Vec<(&'a str, Option<&'a str>)>;

async fn the_bytes_of_a_ready_image_never_change(real_server: bool) {
    let Setup { app, _server } = setup(real_server, |c| c.cloudfront.domain = None).await;
    app.user("alice").await;
    let alice = app.token("alice");
    let bytes = png(500);
    let mut inp = input(
        "keep.png",
        "image/png",
        bytes.len(),
        Some(&sha256_hex(&bytes)),
    );
    inp["visibility"] = json!("PUBLIC");
    let t = ticket(&app, &alice, inp).await;
    assert_eq!(put(&app, &t, bytes.clone()).await.status(), 200);
    let done = complete(&app, &alice, &id_of(&t)).await;
    assert_eq!(done["data"]["completeUpload"]["status"], "READY", "{done}");
    let link = done["data"]["completeUpload"]["url"]
        .as_str()
        .expect("url")
        .to_owned();

    // The same URL, still within its lifetime, with other bytes of the same length.
    let url = t["upload"]["url"].as_str().expect("url").to_owned();
    let mut other = bytes.clone();
    other[100] ^= 0xff;
    let other_sum = mediagate::s3::standard_base64(&sha2::Sha256::digest(&other));
    let attempts: Vec<(&str, Tweak)> = vec![
        ("as told", vec![]),
        (
            "with the new bytes' checksum",
            vec![("x-amz-checksum-sha256", Some(&other_sum))],
        ),
        (
            "without the checksum",
            vec![("x-amz-checksum-sha256", None)],
        ),
    ];
    for (what, tweak) in attempts {
        let res = put_with(&app, &t, &url, other.clone(), &tweak).await;
        let status = res.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{what}: S3 answered {status}: {}",
            res.text().await.unwrap_or_default()
        );
        let served = app.client.get(&link).send().await.expect("GET");
        assert_eq!(served.status(), 200, "{what}");
        assert_eq!(
            served.bytes().await.expect("body").to_vec(),
            bytes,
            "{what}: the bytes changed"
        );
    }

    // Which is why the checksum is required: without one the URL would take any bytes.
    let body = create(&app, &alice, input("a.png", "image/png", 10, None)).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    for says in ["sha256 is required", "SHA-256", "hex"] {
        assert!(message.contains(says), "{says:?} missing from {message:?}");
    }
}

#[tokio::test]
async fn the_bytes_of_a_ready_image_never_change_on_s3s_fs() {
    the_bytes_of_a_ready_image_never_change(true).await;
}

#[tokio::test]
async fn the_bytes_of_a_ready_image_never_change_on_the_embedded_s3() {
    the_bytes_of_a_ready_image_never_change(false).await;
}
