//! `mediagate serve` as shipped: embedded defaults in an empty directory, dev-token from the same
//! directory, JSON logs without secrets, key rotation on SIGHUP, and a clean stop on SIGTERM.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::Duration;

use mediagate::cloudfront::{
    Epoch, KeyAlgorithm, KeyPairId, PrivateKey, Request, TrustedKeys, verify,
};
use mediagate::keyfile;
use serde_json::{Value, json};

use super::served::{Served, mediagate};
use crate::support::query_param;

#[tokio::test]
async fn serve_on_embedded_defaults_then_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let served = Served::start(dir.path());

    for (file, mode) in [("keys/dev.pem", 0o600), ("data/dev-hs256.secret", 0o600)] {
        let meta =
            std::fs::metadata(dir.path().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{file}");
    }
    assert!(dir.path().join("keys/dev.pub.pem").exists());
    assert!(dir.path().join("data/mediagate.db").exists());

    let token = mediagate(dir.path(), &["dev-token", "--sub", "alice"]);
    let token = String::from_utf8(token.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    let body = served
        .graphql(Some(&token), "{ viewer { id username } }")
        .await;
    assert_eq!(
        body,
        json!({"data": {"viewer": {"id": "alice", "username": "alice"}}})
    );
    assert!(served.active_key().await.starts_with("KDEV"));
    mediagate(
        dir.path(),
        &["seed", "--users", "1", "--images-per-user", "1"],
    );
    let body = served
        .graphql(None, "{ image(id: \"u0000-0000\") { url } }")
        .await;
    let url = body["data"]["image"]["url"]
        .as_str()
        .expect("url")
        .to_owned();

    // A named mutation with a file name and a hash among its variables: the log line names the
    // operation and keeps the ids and the vocabulary, never the free text.
    let upload: Value = served
        .client
        .post(format!("http://{}/graphql", served.addr))
        .bearer_auth(&token)
        .json(&json!({
            "query": "mutation Upload($input: CreateUploadInput!) { createUpload(input: $input) { image { id } } }",
            "operationName": "Upload",
            "variables": {"input": {
                "filename": "Secret trip to Lisbon.png", "contentType": "image/png", "size": 68,
                "sha256": "a".repeat(64), "visibility": "PRIVATE",
            }},
        }))
        .send()
        .await
        .expect("createUpload")
        .json()
        .await
        .expect("json");
    assert!(
        upload["data"]["createUpload"]["image"]["id"].is_string(),
        "{upload}"
    );

    let logs = served.stop();
    assert!(!logs.contains("Lisbon"), "a file name was logged: {logs}");
    assert!(!logs.contains(&"a".repeat(64)), "a checksum was logged");
    let logged = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["operation"] == json!("Upload"))
        .unwrap_or_else(|| panic!("no request line names the operation: {logs}"));
    assert_eq!(logged["operation_type"], "mutation");
    let variables: Value = serde_json::from_str(
        logged["variables"]
            .as_str()
            .expect("variables as JSON text"),
    )
    .expect("JSON");
    assert_eq!(
        variables,
        json!({"input": {
            "filename": "<redacted>", "contentType": "image/png", "size": 68,
            "sha256": "<redacted>", "visibility": "PRIVATE",
        }})
    );
    assert!(logs.contains("DEV KEY IN USE"), "{logs}");
    assert!(!logs.contains(&token), "the token was logged");
    let secret = std::fs::read_to_string(dir.path().join("data/dev-hs256.secret")).expect("secret");
    assert!(!logs.contains(secret.trim()), "the secret was logged");
    assert!(
        !logs.contains(query_param(&url, "Signature").expect("signature")),
        "a signature was logged"
    );
    let request_lines: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &Value| v["message"] == json!("request"))
        .collect();
    assert!(request_lines.len() >= 3, "{logs}");
    assert!(
        request_lines
            .iter()
            .all(|l| l["request_id"].is_string() && l["status"].is_number()),
        "{logs}"
    );
}

/// SIGTERM while a request is in flight (its body half sent): the server begins its graceful stop,
/// and still reads the rest of that request and answers it in full before exiting cleanly.
#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish() {
    use std::io::{Read as _, Write as _};

    let dir = tempfile::tempdir().expect("dir");
    let served = Served::start(dir.path());
    let body = r#"{"query":"{ viewer { id } }"}"#;
    let (first, rest) = body.split_at(10);
    let mut conn = std::net::TcpStream::connect(&served.addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    // `Expect: 100-continue`: the server answers "100 Continue" once it has read the head and
    // started on the request, so the signal below cannot arrive before the request is in flight.
    write!(
        conn,
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        served.addr,
        body.len()
    )
    .expect("send the head");
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        conn.read_exact(&mut byte).expect("read 100 Continue");
        head.push(byte[0]);
    }
    assert_eq!(
        String::from_utf8_lossy(&head).trim_end(),
        "HTTP/1.1 100 Continue"
    );
    conn.write_all(first.as_bytes())
        .expect("send half the body");
    served.signal("-TERM");
    // actix's own line: its workers have begun a graceful stop, with our request still open.
    served
        .wait_for_log("graceful worker shutdown; finishing 1 connections")
        .await;

    conn.write_all(rest.as_bytes()).expect("send the rest");
    let mut response = String::new();
    conn.read_to_string(&mut response)
        .expect("read the response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.ends_with(r#"{"data":{"viewer":null}}"#),
        "{response}"
    );
    served.stop();
}

fn write_config(dir: &Path, active: (&str, &str), extra: Option<(&str, &str)>) {
    let extra = extra.map_or(String::new(), |(id, file)| {
        format!("extra_keys = [{{ key_pair_id = \"{id}\", private_key_file = \"{file}\" }}]\n")
    });
    let text = format!(
        "[signing]\nkey_pair_id = \"{}\"\nprivate_key_file = \"{}\"\n{extra}\n[auth]\nhs256_secret = \"rotation-test-secret-0123456789abcdef\"\n",
        active.0, active.1
    );
    std::fs::write(dir.join("mediagate.toml"), text).expect("config");
}

/// README's rotation procedure, as an operator would run it: new key in `extra_keys`, then made
/// active, SIGHUP, no restart. A broken reload keeps the keys that work.
#[tokio::test]
async fn sighup_rotates_the_signing_key_without_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let mut trusted = TrustedKeys::new();
    for name in ["a", "b"] {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("key");
        keyfile::write_key_pair(&dir.path().join("keys").join(name), &key).expect("write");
        trusted.insert(
            KeyPairId::parse(&format!("K{}", name.to_uppercase())).expect("id"),
            key.public_key().expect("public"),
        );
    }
    write_config(dir.path(), ("KA", "keys/a.pem"), None);
    let served = Served::start(dir.path());
    mediagate(
        dir.path(),
        &["seed", "--users", "1", "--images-per-user", "1"],
    );
    let link = || async {
        served
            .graphql(None, "{ image(id: \"u0000-0000\") { url } }")
            .await["data"]["image"]["url"]
            .as_str()
            .expect("url")
            .to_owned()
    };
    let before = link().await;
    assert_eq!(
        (
            served.active_key().await,
            query_param(&before, "Key-Pair-Id")
        ),
        ("KA".to_owned(), Some("KA"))
    );

    write_config(dir.path(), ("KB", "keys/b.pem"), Some(("KA", "keys/a.pem")));
    served.signal("-HUP");
    served.wait_for_log("signing keys reloaded").await;
    assert_eq!(served.active_key().await, "KB");
    let after = link().await;
    assert_eq!(query_param(&after, "Key-Pair-Id"), Some("KB"));
    let now = Epoch(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_secs(),
    );
    for url in [&before, &after] {
        assert!(
            verify(
                &Request {
                    url,
                    cookies: &[],
                    client_ip: None,
                    now
                },
                &trusted
            )
            .is_ok(),
            "{url}"
        );
    }

    // A reload that cannot work (the key file is missing) keeps the ring that does.
    write_config(dir.path(), ("KC", "keys/c.pem"), None);
    served.signal("-HUP");
    served.wait_for_log("signing keys NOT reloaded").await;
    assert_eq!(served.active_key().await, "KB");
    assert_eq!(query_param(&link().await, "Key-Pair-Id"), Some("KB"));
    served.stop();
}

/// The embedded defaults include a local S3 server a browser can upload to: CORS preflight,
/// presigned PUT, completeUpload, the object on disk under `data/s3/`.
#[tokio::test]
async fn serve_on_embedded_defaults_takes_a_browser_style_upload() {
    let dir = tempfile::tempdir().expect("dir");
    let served = Served::start(dir.path());
    let token = mediagate(dir.path(), &["dev-token", "--sub", "alice"]);
    let token = String::from_utf8(token.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    let bytes = b"\x89PNG\r\n\x1a\n-not-really-a-png".to_vec();
    let body = served
        .graphql(
            Some(&token),
            &format!(
                r#"mutation {{ createUpload(input: {{filename: "me.png", contentType: "image/png", size: {}, sha256: "{}"}}) {{
                    image {{ id key }} upload {{ url headers {{ name value }} }} }} }}"#,
                bytes.len(),
                super::uploads::sha256_hex(&bytes)
            ),
        )
        .await;
    let ticket = &body["data"]["createUpload"];
    let url = ticket["upload"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    let origin = format!("http://{}", served.addr);

    let preflight = served
        .client
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", &origin)
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "content-type,x-amz-checksum-sha256",
        )
        .send()
        .await
        .expect("OPTIONS");
    assert_eq!(preflight.status(), 204);
    let allowed = |res: &reqwest::Response, h: &str| {
        res.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(allowed(&preflight, "access-control-allow-origin"), origin);
    assert!(allowed(&preflight, "access-control-allow-methods").contains("PUT"));
    assert_eq!(
        allowed(&preflight, "access-control-allow-headers"),
        "content-type,x-amz-checksum-sha256"
    );
    let checksum = ticket["upload"]["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h["name"].as_str() == Some("x-amz-checksum-sha256"))
        .and_then(|h| h["value"].as_str())
        .unwrap_or_else(|| panic!("no checksum header: {ticket}"))
        .to_owned();

    let put = served
        .client
        .put(url)
        .header("origin", &origin)
        .header("content-type", "image/png")
        .header("x-amz-checksum-sha256", &checksum)
        .body(bytes.clone())
        .send()
        .await
        .expect("PUT");
    assert_eq!(put.status(), 200);
    assert_eq!(allowed(&put, "access-control-allow-origin"), origin);
    assert!(allowed(&put, "access-control-expose-headers").contains("ETag"));
    // Without a signature the local server refuses, as S3 does.
    let unsigned = url.split('?').next().expect("path");
    let refused = served.client.get(unsigned).send().await.expect("GET");
    assert_eq!(refused.status(), 403);

    let id = ticket["image"]["id"].as_str().expect("id");
    let done = served
        .graphql(
            Some(&token),
            &format!(r#"mutation {{ completeUpload(imageId: "{id}") {{ status }} }}"#),
        )
        .await;
    assert_eq!(done["data"]["completeUpload"]["status"], "READY", "{done}");
    let key = ticket["image"]["key"].as_str().expect("key");
    let stored = std::fs::read(dir.path().join("data/s3/mediagate-dev").join(key)).expect("object");
    assert_eq!(stored, bytes);

    // The link the API hands out opens at the local edge, with nothing else running.
    let body = served
        .graphql(
            Some(&token),
            &format!(r#"{{ image(id: "{id}") {{ url }} }}"#),
        )
        .await;
    let link = body["data"]["image"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(
        link.starts_with(&format!("http://{}/edge/alice/", served.addr)),
        "{link}"
    );
    let fetched = served.client.get(link).send().await.expect("GET link");
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.expect("bytes").to_vec(), bytes);

    // Dev mode mints tokens for the demo page; ids are checked.
    let minted: Value = served
        .client
        .post(format!("http://{}/dev/token", served.addr))
        .json(&json!({"sub": "carol"}))
        .send()
        .await
        .expect("dev token")
        .json()
        .await
        .expect("json");
    let carol = minted["token"].as_str().expect("token");
    let body = served.graphql(Some(carol), "{ viewer { id } }").await;
    assert_eq!(body["data"]["viewer"]["id"], "carol");
    let refused = served
        .client
        .post(format!("http://{}/dev/token", served.addr))
        .json(&json!({"sub": "../x"}))
        .send()
        .await
        .expect("dev token");
    assert_eq!(refused.status(), 400);
    let logs = served.stop();
    assert!(logs.contains("LOCAL S3 IN USE"), "{logs}");
}
