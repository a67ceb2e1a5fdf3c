//! One upload from ticket to link, on both S3 servers: the ticket signs exactly the headers it
//! tells the client to send, and nothing is visible before completeUpload.

use mediagate::cloudfront::{Request, verify};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::{ONE, Setup, complete, id_of, input, png, put, setup, sha256_hex, ticket};
use crate::support::query_param;

async fn full_flow(real_server: bool) {
    let Setup { app, _server } = setup(real_server, |_| {}).await;
    let alice = app.user("alice").await;
    let token = app.token("alice");
    let bytes = png(4096);
    let sum = sha256_hex(&bytes);
    let mut inp = input("Cat Photo.PNG", "image/png", bytes.len(), Some(&sum));
    inp["visibility"] = json!("PUBLIC");
    let t = ticket(&app, &token, inp).await;
    let id = id_of(&t);
    assert_eq!(t["image"]["status"], "PENDING");
    assert_eq!(
        t["image"]["key"],
        json!(format!("{alice}/{id}/Cat_Photo.PNG"))
    );
    assert_eq!(t["image"]["sha256"], json!(sum));
    assert_eq!(t["upload"]["method"], "PUT");
    let now = app.clock_now().seconds();
    assert_eq!(t["upload"]["expiresAt"], json!(now + 60));

    // The signature covers exactly the headers the client is told to send, and those are the
    // declared type, length and checksum.
    let url = t["upload"]["url"].as_str().expect("url");
    let mut names: Vec<String> = t["upload"]["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .map(|h| h["name"].as_str().expect("name").to_ascii_lowercase())
        .collect();
    names.push("host".into());
    names.sort();
    assert_eq!(
        query_param(url, "X-Amz-SignedHeaders").map(|s| s.replace("%3B", ";")),
        Some(names.join(";"))
    );
    for (name, want) in [
        ("content-type", "image/png".to_owned()),
        ("content-length", bytes.len().to_string()),
        (
            "x-amz-checksum-sha256",
            mediagate::s3::standard_base64(&Sha256::digest(&bytes)),
        ),
    ] {
        let got = t["upload"]["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .find(|h| {
                h["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            });
        assert_eq!(got.map(|h| h["value"].clone()), Some(json!(want)), "{name}");
    }
    assert_eq!(query_param(url, "X-Amz-Expires"), Some("60"));

    // Nothing is visible, even to the owner's gallery, until it is confirmed.
    let (_, body) = app.gql(None, ONE, json!({ "i": id })).await;
    assert_eq!(body["data"]["image"], Value::Null);

    let res = put(&app, &t, bytes.clone()).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let done = complete(&app, &token, &id).await;
    assert_eq!(done["data"]["completeUpload"]["status"], "READY", "{done}");
    let link = done["data"]["completeUpload"]["url"].as_str().expect("url");
    assert!(link.starts_with(&format!(
        "https://d111111abcdef8.cloudfront.net/{alice}/{id}/Cat_Photo.PNG?"
    )));
    let verdict = verify(
        &Request {
            url: link,
            cookies: &[],
            client_ip: None,
            now: app.clock_now(),
        },
        &app.state.links.trusted(),
    );
    assert!(verdict.is_ok(), "{verdict:?}");
    // A second call is harmless and answers the same.
    let again = complete(&app, &token, &id).await;
    assert_eq!(again["data"], done["data"]);
    // Anyone sees a PUBLIC image, with the same link.
    let (_, body) = app.gql(None, ONE, json!({ "i": id })).await;
    assert_eq!(body["data"]["image"]["url"], json!(link));
}

#[tokio::test]
async fn full_flow_against_s3s_fs() {
    full_flow(true).await;
}

#[tokio::test]
async fn full_flow_against_the_embedded_local_s3() {
    full_flow(false).await;
}
