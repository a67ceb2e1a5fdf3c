//! The service's KeyValueStore sender, end to end, against a FAKE KeyValueStore: AWS has no
//! local stand-in for the KeyValueStore data plane (moto has none), so a small HTTP server here
//! keeps keys and an ETag as the API documents them (DescribeKeyValueStore, UpdateKeys with
//! If-Match), and the service talks to it with the real SDK client, SigV4A-signed. What the
//! revocation function then does with those keys is tested in Node (infra/functions/test/).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mediagate::revocation::Revocations;
use mediagate::revocation::edge::KeyValueStoreClient;
use mediagate::store::Visibility;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::helpers::{TestApp, test_config};

const ARN: &str =
    "arn:aws:cloudfront::123456789012:key-value-store/0d2c5b4e-8f6a-4c1e-9b7d-3a2f1e0c9b8a";

/// The fake store's state: its keys, its version, and how many updates to refuse as stale
/// (another writer got there first).
#[derive(Debug, Default)]
struct Kvs {
    keys: BTreeMap<String, String>,
    version: u64,
    conflicts_to_answer: u32,
    conflicts_answered: u32,
    unsigned_requests: u32,
}

impl Kvs {
    fn etag(&self) -> String {
        format!("KV{}", self.version)
    }
}

/// One request: method, path, lower-case headers, body.
async fn read_request(
    socket: &mut TcpStream,
) -> Option<(String, String, BTreeMap<String, String>, String)> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        bytes.extend_from_slice(&chunk[..n]);
        if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8(bytes[..end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let (method, path) = (start.next()?.to_owned(), start.next()?.to_owned());
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .map_or(0, |l| l.parse().unwrap_or(0));
    let mut body = bytes[end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((method, path, headers, String::from_utf8(body).ok()?))
}

/// The answer to one request, as the KeyValueStore API gives it.
fn answer(
    kvs: &mut Kvs,
    method: &str,
    path: &str,
    headers: &BTreeMap<String, String>,
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let signed = headers
        .get("authorization")
        .is_some_and(|a| a.starts_with("AWS4-ECDSA-P256-SHA256 "))
        && headers.get("x-amz-region-set").is_some_and(|r| r == "*");
    if !signed {
        kvs.unsigned_requests += 1;
        return (
            403,
            vec![("x-amzn-errortype".into(), "AccessDeniedException".into())],
            r#"{"Message":"not SigV4A"}"#.into(),
        );
    }
    let etag = ("etag".to_owned(), kvs.etag());
    match (method, path.ends_with("/keys")) {
        ("GET", false) => (
            200,
            vec![etag],
            json!({"ItemCount": kvs.keys.len(), "TotalSizeInBytes": 0, "KvsARN": ARN,
                   "Created": 1_800_000_000, "LastModified": 1_800_000_000, "Status": "READY"})
            .to_string(),
        ),
        ("POST", true) => {
            if headers.get("if-match") != Some(&kvs.etag()) || kvs.conflicts_to_answer > 0 {
                kvs.conflicts_to_answer = kvs.conflicts_to_answer.saturating_sub(1);
                kvs.conflicts_answered += 1;
                // Another writer moved the store on.
                kvs.version += 1;
                return (
                    409,
                    vec![("x-amzn-errortype".into(), "ConflictException".into())],
                    r#"{"Message":"Resource is not in expected state"}"#.into(),
                );
            }
            let update: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            for put in update["Puts"].as_array().into_iter().flatten() {
                if let (Some(k), Some(v)) = (put["Key"].as_str(), put["Value"].as_str()) {
                    kvs.keys.insert(k.to_owned(), v.to_owned());
                }
            }
            for delete in update["Deletes"].as_array().into_iter().flatten() {
                if let Some(k) = delete["Key"].as_str() {
                    kvs.keys.remove(k);
                }
            }
            kvs.version += 1;
            (
                200,
                vec![("etag".into(), kvs.etag())],
                json!({"ItemCount": kvs.keys.len(), "TotalSizeInBytes": 0}).to_string(),
            )
        }
        _ => (
            404,
            vec![(
                "x-amzn-errortype".into(),
                "ResourceNotFoundException".into(),
            )],
            r#"{"Message":"no such call"}"#.into(),
        ),
    }
}

/// Serves the fake store on a random loopback port until the test ends.
async fn fake_kvs(state: Arc<Mutex<Kvs>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                while let Some((method, path, headers, body)) = read_request(&mut socket).await {
                    let (status, extra, body) = {
                        let mut kvs = state.lock().expect("fake kvs");
                        answer(&mut kvs, &method, &path, &headers, &body)
                    };
                    let mut head = format!("HTTP/1.1 {status} X\r\n");
                    for (name, value) in extra {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str(&format!(
                        "content-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    ));
                    if socket.write_all(head.as_bytes()).await.is_err()
                        || socket.write_all(body.as_bytes()).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// Waits (bounded) until the fake store's keys satisfy `done`.
async fn until(state: &Arc<Mutex<Kvs>>, what: &str, done: impl Fn(&Kvs) -> bool) {
    for _ in 0..200 {
        if done(&state.lock().expect("fake kvs")) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{what}: the fake KeyValueStore holds {:?}",
        state.lock().expect("fake kvs")
    );
}

#[tokio::test]
async fn fake_kvs_over_http_each_revocation_reaches_the_key_value_store_and_leaves_when_it_expires()
{
    let kvs = Arc::new(Mutex::new(Kvs {
        // The first update meets a store another writer just changed: re-read, resend.
        conflicts_to_answer: 1,
        ..Kvs::default()
    }));
    let url = fake_kvs(Arc::clone(&kvs)).await;
    let credentials =
        aws_credential_types::Credentials::new("AKIDTESTKVS", "test-secret", None, None, "test");
    let client = KeyValueStoreClient::new(ARN.into(), Some(&url), Some(credentials)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = test_config(dir.path());
    let app = TestApp::spawn_in_with(dir, config, |state, clock| {
        state.revocations = Revocations::start(
            Arc::clone(&state.store),
            Arc::new(client),
            // The timer is a backstop; the revocation itself wakes the sender.
            Duration::from_secs(3600),
            clock,
            state.metrics.clone(),
        );
    })
    .await;
    app.user("alice").await;
    app.user("bob").await;
    app.image("alice", "pic1", Visibility::Public).await;
    app.image("alice", "pic2", Visibility::Public).await;
    app.image("bob", "pic3", Visibility::Public).await;
    let alice = app.token("alice");

    let (_, body) = app
        .gql(
            Some(&alice),
            "mutation { revokeLinks(imageId: \"pic1\") { url } }",
            json!({}),
        )
        .await;
    let url = body["data"]["revokeLinks"]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let floor = crate::support::query_param(&url, "v")
        .expect("v")
        .to_owned();
    until(&kvs, "the image's floor", |k| {
        k.keys.get("alice/pic1/") == Some(&floor)
    })
    .await;
    {
        let k = kvs.lock().expect("fake kvs");
        assert_eq!(k.keys.len(), 1, "only the revoked image: {:?}", k.keys);
        assert_eq!(
            k.conflicts_answered, 1,
            "the stale ETag was met once, then resent"
        );
        assert_eq!(k.unsigned_requests, 0, "every call SigV4A-signed");
    }
    let sent = |op: &str| {
        app.state
            .metrics
            .revocation_floors_sent
            .with_label_values(&[op])
            .get()
    };
    for _ in 0..100 {
        if sent("put") == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sent("put"), 1, "the floor counted once it was recorded");

    // Narrowing another image writes its floor too; bob's images have none.
    app.gql(
        Some(&alice),
        "mutation { setVisibility(imageId: \"pic2\", visibility: PRIVATE) { id } }",
        json!({}),
    )
    .await;
    until(&kvs, "the narrowed image's floor", |k| {
        k.keys.contains_key("alice/pic2/")
    })
    .await;
    assert!(
        !kvs.lock()
            .expect("fake kvs")
            .keys
            .keys()
            .any(|k| k.starts_with("bob/"))
    );

    // Once every link a floor outlaws has expired (window + ttl), the sender deletes it from the
    // KeyValueStore, then from the outbox.
    app.clock.advance(300 + 3600 + 1);
    app.state.revocations.wake();
    until(&kvs, "the expired floors deleted", |k| k.keys.is_empty()).await;
    let owner = mediagate::store::UserId::parse("alice").expect("id");
    let image = mediagate::store::ImageId::parse("pic1").expect("id");
    // The round records and counts right after the KeyValueStore answered.
    for _ in 0..100 {
        let floors = app
            .store()
            .revocation_floors(&owner, &image)
            .await
            .expect("floors");
        if floors.is_empty() && sent("delete") == 2 {
            assert_eq!(sent("put"), 2);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "after the KeyValueStore let them go: the outbox holds {:?}, {} deletes counted",
        app.store().revocation_floors(&owner, &image).await,
        sent("delete")
    );
}
