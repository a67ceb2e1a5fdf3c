//! The embedded S3 server, asked directly with plain SigV4 requests (the aws-sdk-s3 client, which
//! sends keys as given): it refuses keys that are not plain `a/b/c` paths for every operation, so
//! a `..` can never reach s3s-fs, which would resolve it to another object; and it answers any
//! Range without falling over.

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use mediagate::dev::local_s3::{LOCAL_BUCKET, LocalS3};

use super::super::helpers::TestApp;
use super::{Setup, png, setup, uploaded_bytes};

/// A client of the app's embedded server with its own key pair, as any SigV4 client would be.
async fn client_of(app: &TestApp) -> aws_sdk_s3::Client {
    let target = app
        .state
        .sidecars
        .iter()
        .find_map(|s| s.as_any().downcast_ref::<LocalS3>())
        .expect("embedded S3")
        .target();
    let (id, secret) = target.static_key.clone().expect("static key");
    let credentials = aws_credential_types::Credentials::new(id, secret, None, None, "test");
    let http = aws_smithy_http_client::Builder::new().build_http();
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .load()
        .await;
    let config = aws_sdk_s3::config::Builder::from(&shared)
        .endpoint_url(target.endpoint.clone().expect("endpoint"))
        .force_path_style(true)
        // One attempt: a server that falls over must show, not be retried away.
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// What a failed call came back with: HTTP status and S3 error code.
fn refusal<E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<
        impl std::fmt::Debug,
        aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    >,
) -> (u16, String) {
    match result {
        Ok(ok) => (200, format!("ACCEPTED: {ok:?}")),
        Err(e) => {
            let status = e.raw_response().map_or(0, |r| r.status().as_u16());
            (status, e.code().unwrap_or("<no code>").to_owned())
        }
    }
}

const MARK: &[u8] = b"BOB-PRIVATE-BYTES";

fn bobs_bytes() -> Vec<u8> {
    let mut bytes = png(8);
    while bytes.len() < 400 {
        bytes.extend_from_slice(MARK);
    }
    bytes
}

#[tokio::test]
async fn the_embedded_s3_refuses_keys_that_are_not_plain_paths_for_every_operation() {
    let Setup { app, _server } = setup(false, |_| {}).await;
    app.user("carol").await;
    app.user("bob").await;
    let bob = app.token("bob");
    let (_, bobs_key) = uploaded_bytes(&app, &bob, "private.png", "PRIVATE", bobs_bytes()).await;
    let s3 = client_of(&app).await;
    let get = |key: String| s3.get_object().bucket(LOCAL_BUCKET).key(key).send();

    // A plain key is served.
    let out = get(bobs_key.clone()).await.expect("plain GET");
    assert_eq!(
        out.body.collect().await.expect("body").to_vec(),
        bobs_bytes()
    );

    let long = format!("{}{bobs_key}", "../".repeat(3000));
    let bad_keys = [
        format!("carol/../{bobs_key}"),
        format!("carol/x/../../{bobs_key}"),
        format!("./{bobs_key}"),
        format!("carol//../{bobs_key}"),
        format!("carol\\..\\{bobs_key}"),
        format!("carol/\u{0}/{bobs_key}"),
        format!("carol/\n/{bobs_key}"),
        "carol/dir/".to_owned(),
        "/carol/x.png".to_owned(),
        "..".to_owned(),
        long.clone(),
        "a/".repeat(600),
    ];
    let mut wrong = Vec::new();
    for key in &bad_keys {
        let shown: String = key
            .chars()
            .take(60)
            .collect::<String>()
            .escape_debug()
            .to_string();
        let checks = [
            ("GET", refusal(get(key.clone()).await)),
            (
                "HEAD",
                refusal(s3.head_object().bucket(LOCAL_BUCKET).key(key).send().await),
            ),
            (
                "PUT",
                refusal(
                    s3.put_object()
                        .bucket(LOCAL_BUCKET)
                        .key(key)
                        .content_type("image/png")
                        .body(ByteStream::from(png(50)))
                        .send()
                        .await,
                ),
            ),
            (
                "DELETE",
                refusal(
                    s3.delete_object()
                        .bucket(LOCAL_BUCKET)
                        .key(key)
                        .send()
                        .await,
                ),
            ),
        ];
        for (op, (status, code)) in checks {
            // HEAD answers carry no body, so no code; the status says it.
            let code_ok = op == "HEAD" || code == "InvalidArgument" || code == "KeyTooLongError";
            if status != 400 || !code_ok {
                wrong.push(format!("{op} {shown}: {status} {code}"));
            }
        }
    }
    let (status, code) = refusal(
        s3.list_objects_v2()
            .bucket(LOCAL_BUCKET)
            .prefix("carol/../bob/")
            .send()
            .await,
    );
    if (status, code.as_str()) != (400, "InvalidArgument") {
        wrong.push(format!("LIST carol/../bob/: {status} {code}"));
    }
    assert!(
        wrong.is_empty(),
        "{} refusals missing:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // Bob's object went through all of that untouched.
    let out = get(bobs_key.clone()).await.expect("plain GET");
    assert_eq!(
        out.body.collect().await.expect("body").to_vec(),
        bobs_bytes()
    );
}

#[tokio::test]
async fn the_embedded_s3_answers_any_range_without_falling_over() {
    let Setup { app, _server } = setup(false, |_| {}).await;
    app.user("alice").await;
    let alice = app.token("alice");
    let (_, key) = uploaded_bytes(&app, &alice, "r.png", "PRIVATE", png(300)).await;
    let s3 = client_of(&app).await;
    let ranged = |range: &'static str| {
        s3.get_object()
            .bucket(LOCAL_BUCKET)
            .key(&key)
            .range(range)
            .send()
    };
    let mut wrong = Vec::new();
    for (range, want) in [
        ("bytes=-18446744073709551615", Ok("bytes 0-299/300")),
        ("bytes=-9223372036854775808", Ok("bytes 0-299/300")),
        ("bytes=-5000", Ok("bytes 0-299/300")),
        ("bytes=-5", Ok("bytes 295-299/300")),
        ("bytes=300-", Err(416)),
        ("bytes=-0", Err(416)),
    ] {
        let got = match ranged(range).await {
            Ok(out) => Ok(out.content_range().unwrap_or_default().to_owned()),
            Err(e) => Err(e.raw_response().map_or(0, |r| r.status().as_u16())),
        };
        if got.as_deref().map_err(|s| *s) != want {
            wrong.push(format!("{range}: {got:?}, wanted {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_put_whose_digest_does_not_match_replaces_nothing_on_the_embedded_s3() {
    let Setup { app, _server } = setup(false, |_| {}).await;
    let s3 = client_of(&app).await;
    let key = "alice/some-image/photo.png";
    let original = png(300);
    s3.put_object()
        .bucket(LOCAL_BUCKET)
        .key(key)
        .content_type("image/png")
        .body(ByteStream::from(original.clone()))
        .send()
        .await
        .expect("a plain PUT is stored");
    let mut other = original.clone();
    other[200] ^= 1;
    let declared =
        mediagate::s3::standard_base64(&<sha2::Sha256 as sha2::Digest>::digest(&original));
    let (status, code) = refusal(
        s3.put_object()
            .bucket(LOCAL_BUCKET)
            .key(key)
            .content_type("image/png")
            .checksum_sha256(declared)
            .body(ByteStream::from(other))
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "BadDigest"));
    let out = s3
        .get_object()
        .bucket(LOCAL_BUCKET)
        .key(key)
        .send()
        .await
        .expect("GET");
    assert_eq!(out.body.collect().await.expect("body").to_vec(), original);
}
