//! The write path over HTTP against real S3 servers that check SigV4: s3s-fs 0.17 (installed by
//! scripts/test) and the embedded local S3 server that `serve` uses on its defaults. Every
//! refusal is followed by a look at what is left: no object, no stray row.

use std::time::{Duration, SystemTime};

use mediagate::clock::{Clock as _, SystemClock};
use mediagate::cloudfront::{Epoch, Request, verify};
use mediagate::lifecycle;
use mediagate::s3::{ObjectStore, S3Target};
use mediagate::store::{ImageId, ImageStatus, UserId};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::helpers::{FakeCloudFront, TestApp, code};
use crate::s3_server::S3Server;
use crate::support::query_param;

const CREATE: &str = "mutation($in: CreateUploadInput!) { createUpload(input: $in) {
    image { id key status visibility contentType size sha256 }
    upload { method url expiresAt headers { name value } } } }";
const COMPLETE: &str =
    "mutation($i: ID!) { completeUpload(imageId: $i) { id status url urlExpiresAt } }";
const DELETE: &str = "mutation($i: ID!) { deleteImage(imageId: $i) { method url expiresAt headers { name value } } }";
const SET_VISIBILITY: &str = "mutation($i: ID!, $v: Visibility!) { setVisibility(imageId: $i, visibility: $v) { id visibility } }";
const ONE: &str = "query($i: ID!) { image(id: $i) { id url } }";
const GALLERY: &str = "query($u: ID!) { user(id: $u) { images(first: 50) { nodes { id } } } }";

/// An app wired to a real S3 server (s3s-fs) or to its own embedded one, with its clock at the
/// real time (S3 servers check presigned dates against theirs).
pub(super) struct Setup {
    pub(super) app: TestApp,
    pub(super) _server: Option<S3Server>,
}

pub(super) async fn setup(
    real_server: bool,
    adjust: impl FnOnce(&mut mediagate::config::Config),
) -> Setup {
    let server = real_server.then(S3Server::start);
    let app = TestApp::spawn_with(|config| {
        if let Some(s) = &server {
            let dir = config.s3.local_dir.parent().expect("test dir").to_owned();
            s.configure(config, &dir);
        }
        adjust(config);
    })
    .await;
    app.clock.set(SystemClock.now());
    Setup {
        app,
        _server: server,
    }
}

pub(super) fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..len.saturating_sub(8)).map(|i| (i * 7 % 251) as u8));
    bytes.truncate(len);
    bytes
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(super) fn input(
    filename: &str,
    content_type: &str,
    size: usize,
    sha256: Option<&str>,
) -> Value {
    json!({"filename": filename, "contentType": content_type, "size": size, "sha256": sha256})
}

/// An input for exactly these bytes, with their SHA-256.
pub(super) fn input_of(filename: &str, content_type: &str, bytes: &[u8]) -> Value {
    input(
        filename,
        content_type,
        bytes.len(),
        Some(&sha256_hex(bytes)),
    )
}

pub(super) async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    let (_, body) = app.gql(Some(token), CREATE, json!({ "in": input })).await;
    body
}

/// createUpload that must succeed; returns the ticket.
pub(super) async fn ticket(app: &TestApp, token: &str, input: Value) -> Value {
    let body = create(app, token, input).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["createUpload"].clone()
}

/// Sends `body` to the ticket's URL with its headers, some replaced or dropped by `tweak`.
pub(super) async fn put_with(
    app: &TestApp,
    ticket: &Value,
    url: &str,
    body: Vec<u8>,
    tweak: &[(&str, Option<&str>)],
) -> reqwest::Response {
    let mut req = app.client.put(url);
    for h in ticket["upload"]["headers"].as_array().expect("headers") {
        let name = h["name"].as_str().expect("name");
        if name.eq_ignore_ascii_case("content-length") {
            continue; // reqwest sets it from the body, as a browser does
        }
        if tweak.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            continue;
        }
        req = req.header(name, h["value"].as_str().expect("value"));
    }
    for (name, value) in tweak {
        if let Some(v) = value {
            req = req.header(*name, *v);
        }
    }
    req.body(body).send().await.expect("PUT")
}

pub(super) async fn put(app: &TestApp, ticket: &Value, body: Vec<u8>) -> reqwest::Response {
    let url = ticket["upload"]["url"].as_str().expect("url").to_owned();
    put_with(app, ticket, &url, body, &[]).await
}

pub(super) async fn complete(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql(Some(token), COMPLETE, json!({ "i": id })).await.1
}

pub(super) fn id_of(ticket: &Value) -> String {
    ticket["image"]["id"].as_str().expect("id").to_owned()
}

pub(super) fn key_of(ticket: &Value) -> String {
    ticket["image"]["key"].as_str().expect("key").to_owned()
}

async fn object_exists(app: &TestApp, key: &str) -> bool {
    app.state.objects.head(key).await.expect("HEAD").is_some()
}

async fn status_of(app: &TestApp, id: &str) -> Option<ImageStatus> {
    app.store()
        .image(&ImageId::parse(id).expect("id"))
        .await
        .expect("store")
        .map(|i| i.status)
}

/// A READY image of `owner` (token `token`) with `visibility`, through the whole flow.
pub(super) async fn uploaded(
    app: &TestApp,
    token: &str,
    name: &str,
    visibility: &str,
) -> (String, String) {
    uploaded_bytes(app, token, name, visibility, png(300)).await
}

/// As [`uploaded`], with these bytes (declared with their SHA-256).
pub(super) async fn uploaded_bytes(
    app: &TestApp,
    token: &str,
    name: &str,
    visibility: &str,
    bytes: Vec<u8>,
) -> (String, String) {
    let mut inp = input(name, "image/png", bytes.len(), Some(&sha256_hex(&bytes)));
    inp["visibility"] = json!(visibility);
    let t = ticket(app, token, inp).await;
    assert_eq!(put(app, &t, bytes).await.status(), 200);
    let done = complete(app, token, &id_of(&t)).await;
    assert_eq!(done["data"]["completeUpload"]["status"], "READY", "{done}");
    (id_of(&t), key_of(&t))
}

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

async fn refused_puts_leave_nothing_behind(real_server: bool) {
    let Setup { app, _server } = setup(real_server, |_| {}).await;
    app.user("alice").await;
    let token = app.token("alice");
    let bytes = png(1000);
    let other = png(999);
    let right_sum = sha256_hex(&bytes);
    let mut wrong = bytes.clone();
    wrong[500] ^= 1;

    struct Case {
        what: &'static str,
        declared_sum: Option<String>,
        body: Vec<u8>,
        tweak: Vec<(&'static str, Option<&'static str>)>,
        url: fn(&str) -> String,
        expired: bool,
    }
    let same = |u: &str| u.to_owned();
    let cases = [
        Case {
            what: "wrong Content-Type",
            declared_sum: Some(right_sum.clone()),
            body: bytes.clone(),
            tweak: vec![("content-type", Some("image/jpeg"))],
            url: same,
            expired: false,
        },
        Case {
            what: "wrong length",
            declared_sum: Some(right_sum.clone()),
            body: other.clone(),
            tweak: vec![],
            url: same,
            expired: false,
        },
        Case {
            what: "checksum mismatch",
            declared_sum: Some(right_sum.clone()),
            body: wrong.clone(),
            tweak: vec![],
            url: same,
            expired: false,
        },
        Case {
            what: "checksum header dropped",
            declared_sum: Some(right_sum.clone()),
            body: bytes.clone(),
            tweak: vec![("x-amz-checksum-sha256", None)],
            url: same,
            expired: false,
        },
        Case {
            what: "expired URL",
            declared_sum: Some(right_sum.clone()),
            body: bytes.clone(),
            tweak: vec![],
            url: same,
            expired: true,
        },
        Case {
            what: "tampered signature",
            declared_sum: Some(right_sum.clone()),
            body: bytes.clone(),
            tweak: vec![],
            url: |u| {
                let (head, sig) = u.rsplit_once("X-Amz-Signature=").expect("signature");
                let flipped: String = sig.chars().rev().collect();
                format!("{head}X-Amz-Signature={flipped}")
            },
            expired: false,
        },
        Case {
            what: "tampered key",
            declared_sum: Some(right_sum.clone()),
            body: bytes.clone(),
            tweak: vec![],
            url: |u| u.replacen(".png?", "x.png?", 1),
            expired: false,
        },
    ];
    for case in cases {
        let real_now = SystemClock.now();
        if case.expired {
            app.clock.set(Epoch(real_now.seconds() - 120));
        }
        let t = ticket(
            &app,
            &token,
            input(
                "photo.png",
                "image/png",
                bytes.len(),
                case.declared_sum.as_deref(),
            ),
        )
        .await;
        app.clock.set(real_now);
        let url = (case.url)(t["upload"]["url"].as_str().expect("url"));
        let res = put_with(&app, &t, &url, case.body.clone(), &case.tweak).await;
        let status = res.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{}: S3 answered {status}: {}",
            case.what,
            res.text().await.unwrap_or_default()
        );
        let key = key_of(&t);
        assert!(
            !object_exists(&app, &key).await,
            "{}: an object was left",
            case.what
        );
        assert!(!object_exists(&app, &format!("{}x.png", key.trim_end_matches(".png"))).await);
        let done = complete(&app, &token, &id_of(&t)).await;
        assert_eq!(code(&done), "BAD_USER_INPUT", "{}: {done}", case.what);
        assert!(
            done.to_string().contains("nothing has been uploaded yet"),
            "{done}"
        );
        assert_eq!(
            status_of(&app, &id_of(&t)).await,
            Some(ImageStatus::Pending),
            "{}",
            case.what
        );
    }
}

#[tokio::test]
async fn refused_puts_leave_nothing_behind_on_s3s_fs() {
    refused_puts_leave_nothing_behind(true).await;
}

#[tokio::test]
async fn refused_puts_leave_nothing_behind_on_the_embedded_local_s3() {
    refused_puts_leave_nothing_behind(false).await;
}

#[tokio::test]
async fn an_object_that_differs_from_its_declaration_fails_and_is_deleted() {
    let Setup { app, _server } = setup(true, |_| {}).await;
    app.user("alice").await;
    let token = app.token("alice");
    let t = ticket(&app, &token, input_of("a.png", "image/png", &png(1000))).await;
    let key = key_of(&t);
    // Something else lands under the key (another writer, a misbehaving S3-compatible server).
    let rogue = app
        .state
        .objects
        .presign_put(
            &key,
            "image/png",
            10,
            &Sha256::digest(png(10)).into(),
            app.clock_now(),
            60,
        )
        .await
        .expect("presign");
    let mut req = app.client.put(&rogue.url);
    for (name, value) in &rogue.headers {
        if !name.eq_ignore_ascii_case("content-length") {
            req = req.header(name, value);
        }
    }
    let res = req.body(png(10)).send().await.expect("PUT");
    assert_eq!(res.status(), 200);
    let done = complete(&app, &token, &id_of(&t)).await;
    assert_eq!(code(&done), "BAD_USER_INPUT", "{done}");
    assert!(
        done.to_string()
            .contains("the object has 10 bytes, 1000 were declared"),
        "{done}"
    );
    assert_eq!(status_of(&app, &id_of(&t)).await, Some(ImageStatus::Failed));
    assert!(!object_exists(&app, &key).await);
    let again = complete(&app, &token, &id_of(&t)).await;
    assert!(again.to_string().contains("failed its checks"), "{again}");
}

#[tokio::test]
async fn bad_upload_requests_are_refused_and_create_nothing() {
    let Setup { app, _server } = setup(false, |_| {}).await;
    let alice = app.user("alice").await;
    let token = app.token("alice");
    let sum = sha256_hex(&png(10));
    let sum = Some(sum.as_str());
    for (inp, says) in [
        (input("a.png", "image/png", 0, sum), "at least 1 byte"),
        (
            input("a.png", "image/png", 25 * 1024 * 1024 + 1, sum),
            "over the limit",
        ),
        (input("a.html", "text/html", 10, sum), "not accepted"),
        (input("a.svg", "image/svg+xml", 10, sum), "not accepted"),
        (input("..", "image/png", 10, sum), "no usable characters"),
        (
            input("a.png", "image/png", 10, Some("xyz")),
            "sha256 must be",
        ),
        (input("a.png", "image/png", 10, None), "sha256 is required"),
    ] {
        let body = create(&app, &token, inp.clone()).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{inp}: {body}");
        assert!(body.to_string().contains(says), "{inp}: {body}");
    }
    let owner = UserId::parse(&alice).expect("id");
    assert_eq!(app.store().count_pending(&owner).await.expect("count"), 0);
    // Path traversal in a name is harmless: only its last part survives, under our prefix.
    let t = ticket(
        &app,
        &token,
        input_of("../../etc/passwd", "image/png", &png(10)),
    )
    .await;
    assert_eq!(key_of(&t), format!("{alice}/{}/passwd", id_of(&t)));
    // Anonymous callers cannot upload.
    let (_, body) = app
        .gql(
            None,
            CREATE,
            json!({ "in": input_of("a.png", "image/png", &png(10)) }),
        )
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
}

#[tokio::test]
async fn a_flood_of_create_upload_calls_is_rate_limited() {
    let Setup { app, _server } = setup(false, |c| {
        c.uploads.per_minute = 5;
        c.uploads.max_pending_per_user = 100;
    })
    .await;
    app.user("alice").await;
    app.user("bob").await;
    let token = app.token("alice");
    for _ in 0..5 {
        ticket(&app, &token, input_of("a.png", "image/png", &png(10))).await;
    }
    let body = create(&app, &token, input_of("a.png", "image/png", &png(10))).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    assert!(body.to_string().contains("try again in 12 s"), "{body}");
    // Bob is not slowed down by Alice.
    ticket(
        &app,
        &app.token("bob"),
        input_of("b.png", "image/png", &png(10)),
    )
    .await;
    // A minute later Alice may go on.
    app.clock.advance(60);
    ticket(&app, &token, input_of("a.png", "image/png", &png(10))).await;
}

#[tokio::test]
async fn unfinished_uploads_per_user_are_capped() {
    let Setup { app, _server } = setup(false, |c| c.uploads.max_pending_per_user = 2).await;
    app.user("alice").await;
    let token = app.token("alice");
    ticket(&app, &token, input_of("a.png", "image/png", &png(10))).await;
    ticket(&app, &token, input_of("b.png", "image/png", &png(10))).await;
    let body = create(&app, &token, input_of("c.png", "image/png", &png(10))).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    assert!(body.to_string().contains("2 unfinished uploads"), "{body}");
}

#[tokio::test]
async fn another_user_cannot_complete_delete_or_hide_your_images() {
    let Setup { app, _server } = setup(true, |_| {}).await;
    app.user("alice").await;
    app.user("bob").await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let pending = ticket(&app, &alice, input_of("p.png", "image/png", &png(10))).await;
    assert_eq!(put(&app, &pending, png(10)).await.status(), 200);
    let (private, _) = uploaded(&app, &alice, "private.png", "PRIVATE").await;
    let (public, _) = uploaded(&app, &alice, "public.png", "PUBLIC").await;

    let done = complete(&app, &bob, &id_of(&pending)).await;
    assert_eq!(code(&done), "NOT_FOUND", "{done}");
    assert_eq!(
        status_of(&app, &id_of(&pending)).await,
        Some(ImageStatus::Pending)
    );
    // What Bob cannot see does not exist for him; what he can see he may not change.
    for (id, want) in [(&private, "NOT_FOUND"), (&public, "FORBIDDEN")] {
        let (_, body) = app.gql(Some(&bob), DELETE, json!({ "i": id })).await;
        assert_eq!(code(&body), want, "{body}");
        let (_, body) = app
            .gql(
                Some(&bob),
                SET_VISIBILITY,
                json!({ "i": id, "v": "PUBLIC" }),
            )
            .await;
        assert_eq!(code(&body), want, "{body}");
        assert_eq!(status_of(&app, id).await, Some(ImageStatus::Ready));
    }
    // The NOT_FOUND for a private image reads exactly like the one for a missing image.
    let (_, hidden) = app.gql(Some(&bob), DELETE, json!({ "i": private })).await;
    let (_, missing) = app
        .gql(Some(&bob), DELETE, json!({ "i": "no-such-image" }))
        .await;
    assert_eq!(
        hidden["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace(&private, "X")),
        missing["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace("no-such-image", "X"))
    );
}

#[tokio::test]
async fn delete_hides_at_once_and_the_client_removes_the_object() {
    let Setup { app, _server } = setup(true, |_| {}).await;
    let alice_id = app.user("alice").await;
    app.user("bob").await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let (id, key) = uploaded(&app, &alice, "gone.png", "PUBLIC").await;
    let (_, body) = app.gql(Some(&bob), GALLERY, json!({ "u": alice_id })).await;
    assert_eq!(body["data"]["user"]["images"]["nodes"][0]["id"], json!(id));

    let (_, body) = app.gql(Some(&alice), DELETE, json!({ "i": id })).await;
    let req = &body["data"]["deleteImage"];
    assert_eq!(req["method"], "DELETE", "{body}");
    for token in [Some(&alice), Some(&bob), None] {
        let (_, one) = app
            .gql(token.map(String::as_str), ONE, json!({ "i": id }))
            .await;
        assert_eq!(one["data"]["image"], Value::Null, "{one}");
        let (_, page) = app
            .gql(token.map(String::as_str), GALLERY, json!({ "u": alice_id }))
            .await;
        assert_eq!(page["data"]["user"]["images"]["nodes"], json!([]), "{page}");
    }
    // Deleting twice: it is gone.
    let (_, again) = app.gql(Some(&alice), DELETE, json!({ "i": id })).await;
    assert_eq!(code(&again), "NOT_FOUND", "{again}");

    assert!(object_exists(&app, &key).await);
    let res = app
        .client
        .delete(req["url"].as_str().expect("url"))
        .send()
        .await
        .expect("DELETE");
    assert!(res.status().is_success(), "{}", res.status());
    assert!(!object_exists(&app, &key).await);
    let reaped = lifecycle::reap(&app.state, app.clock_now())
        .await
        .expect("reap");
    assert_eq!((reaped.deleted, reaped.errors), (1, 0));
    assert_eq!(status_of(&app, &id).await, None);
}

#[tokio::test]
async fn the_reaper_finishes_deletes_and_abandoned_uploads() {
    let Setup { app, _server } = setup(true, |c| c.uploads.abandon_after_secs = 600).await;
    app.user("alice").await;
    let alice = app.token("alice");
    let (deleted, deleted_key) = uploaded(&app, &alice, "d.png", "PRIVATE").await;
    let (kept, kept_key) = uploaded(&app, &alice, "k.png", "PRIVATE").await;
    let (_, body) = app.gql(Some(&alice), DELETE, json!({ "i": deleted })).await;
    assert!(body["errors"].is_null(), "{body}");
    let abandoned = ticket(&app, &alice, input_of("a.png", "image/png", &png(10))).await;
    assert_eq!(put(&app, &abandoned, png(10)).await.status(), 200);

    // Now: the client never sent its DELETE, so the reaper does it; the upload is still young.
    let first = lifecycle::reap(&app.state, app.clock_now())
        .await
        .expect("reap");
    assert_eq!((first.deleted, first.abandoned, first.errors), (1, 0, 0));
    assert!(!object_exists(&app, &deleted_key).await);
    assert_eq!(status_of(&app, &deleted).await, None);
    assert_eq!(
        status_of(&app, &id_of(&abandoned)).await,
        Some(ImageStatus::Pending)
    );

    // Past the abandon age the upload goes, object and all; READY images are never touched.
    app.clock.advance(601);
    let second = lifecycle::reap(&app.state, app.clock_now())
        .await
        .expect("reap");
    assert_eq!((second.deleted, second.abandoned, second.errors), (0, 1, 0));
    assert!(!object_exists(&app, &key_of(&abandoned)).await);
    assert_eq!(status_of(&app, &id_of(&abandoned)).await, None);
    let late = complete(&app, &alice, &id_of(&abandoned)).await;
    assert_eq!(code(&late), "NOT_FOUND", "{late}");
    assert!(object_exists(&app, &kept_key).await);
    assert_eq!(status_of(&app, &kept).await, Some(ImageStatus::Ready));
    let third = lifecycle::reap(&app.state, app.clock_now())
        .await
        .expect("reap");
    assert_eq!(third, lifecycle::Reaped::default());
}

/// DESIGN.md's access table, walked with real uploaded images: each viewer kind × visibility,
/// for seeing/linking, changing visibility and deleting.
#[tokio::test]
async fn the_access_table_holds_for_real_uploads() {
    let Setup { app, _server } = setup(true, |_| {}).await;
    let alice_id = app.user("alice").await;
    let bob_id = app.user("bob").await;
    app.user("carol").await;
    app.befriend(&alice_id, &bob_id).await;
    let alice = app.token("alice");
    let viewers = [
        ("owner", Some(alice.clone())),
        ("friend", Some(app.token("bob"))),
        ("other", Some(app.token("carol"))),
        ("anonymous", None),
    ];
    for (visibility, sees) in [
        ("PUBLIC", [true, true, true, true]),
        ("FRIENDS", [true, true, false, false]),
        ("PRIVATE", [true, false, false, false]),
    ] {
        let (id, _) = uploaded(&app, &alice, &format!("{visibility}.png"), visibility).await;
        for ((who, token), may_see) in viewers.iter().zip(sees) {
            let token = token.as_deref();
            let (_, one) = app.gql(token, ONE, json!({ "i": id })).await;
            let url = one["data"]["image"]["url"].as_str();
            assert_eq!(url.is_some(), may_see, "{who} / {visibility}: {one}");
            if let Some(url) = url {
                let ok = verify(
                    &Request {
                        url,
                        cookies: &[],
                        client_ip: None,
                        now: app.clock_now(),
                    },
                    &app.state.links.trusted(),
                );
                assert!(ok.is_ok(), "{who} / {visibility}: {ok:?}");
            }
            let (_, page) = app.gql(token, GALLERY, json!({ "u": alice_id })).await;
            let listed = page["data"]["user"]["images"]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .any(|n| n["id"] == json!(id));
            assert_eq!(listed, may_see, "{who} / {visibility} gallery: {page}");
            if *who == "owner" {
                continue;
            }
            // Changing and deleting are the owner's alone.
            let want = match (token, may_see) {
                (None, _) => "UNAUTHENTICATED",
                (Some(_), true) => "FORBIDDEN",
                (Some(_), false) => "NOT_FOUND",
            };
            let (_, body) = app
                .gql(token, SET_VISIBILITY, json!({ "i": id, "v": "PUBLIC" }))
                .await;
            assert_eq!(
                code(&body),
                want,
                "{who} / {visibility} setVisibility: {body}"
            );
            let (_, body) = app.gql(token, DELETE, json!({ "i": id })).await;
            assert_eq!(
                code(&body),
                want,
                "{who} / {visibility} deleteImage: {body}"
            );
        }
        // The owner may do both.
        let (_, body) = app
            .gql(
                Some(&alice),
                SET_VISIBILITY,
                json!({ "i": id, "v": visibility }),
            )
            .await;
        assert_eq!(
            body["data"]["setVisibility"]["visibility"],
            json!(visibility),
            "{body}"
        );
        let (_, body) = app.gql(Some(&alice), DELETE, json!({ "i": id })).await;
        assert_eq!(body["data"]["deleteImage"]["method"], "DELETE", "{body}");
    }
}

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
    let err = expired
        .presign_put("k/i/a.png", "image/png", 10, &[7; 32], now, 60)
        .await
        .unwrap_err();
    assert_eq!(err.code(), mediagate::error::Code::Upstream);
    assert!(err.message().contains("expired"), "{}", err.message());
}

#[tokio::test]
async fn fake_cloudfront_control_plane_gets_the_paths_of_hidden_and_deleted_images() {
    let (app, fake) = FakeCloudFront::app().await;
    app.user("alice").await;
    let alice = app.token("alice");
    let (narrowed, narrowed_key) = uploaded(&app, &alice, "n.png", "PUBLIC").await;
    let (widened, _) = uploaded(&app, &alice, "w.png", "PRIVATE").await;
    let (deleted, deleted_key) = uploaded(&app, &alice, "d.png", "FRIENDS").await;
    for (id, v) in [(&narrowed, "FRIENDS"), (&widened, "PUBLIC")] {
        let (_, body) = app
            .gql(Some(&alice), SET_VISIBILITY, json!({ "i": id, "v": v }))
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let (_, body) = app.gql(Some(&alice), DELETE, json!({ "i": deleted })).await;
    assert!(body["errors"].is_null(), "{body}");
    fake.wait_for(&[format!("/{narrowed_key}"), format!("/{deleted_key}")])
        .await;
}

#[cfg(feature = "local-s3")]
mod local_s3;
mod replace;
