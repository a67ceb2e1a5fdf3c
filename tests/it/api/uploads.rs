//! The write path over HTTP against real S3 servers that check SigV4: s3s-fs 0.17 (installed by
//! scripts/test) and the embedded local S3 server that `serve` uses on its defaults. Every
//! refusal is followed by a look at what is left: no object, no stray row.
//!
//! This file holds the helpers (the edge's tests use them too); the tests are in the submodules.

use mediagate::clock::{Clock as _, SystemClock};
use mediagate::store::{ImageId, ImageStatus};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::helpers::TestApp;
use crate::s3_server::S3Server;

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

mod access;
mod deletion;
mod flow;
#[cfg(feature = "local-s3")]
mod local_s3;
mod presign;
mod refused_puts;
mod replace;
mod requests;
