//! The real client (aws-sdk-cloudfrontkeyvaluestore) against a local HTTP server that records
//! each request and answers it as the KeyValueStore API would.

use std::collections::BTreeMap;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::super::{EdgeStore, EdgeStoreError, KeyValueStoreClient};

const ARN: &str =
    "arn:aws:cloudfront::123456789012:key-value-store/0d2c5b4e-8f6a-4c1e-9b7d-3a2f1e0c9b8a";

/// One request as the server read it.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    /// Lower-case names.
    headers: BTreeMap<String, String>,
    body: String,
}

/// One canned answer.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
}

/// Serves `answers` in order, one connection each, and hands back what it was sent.
async fn serve(answers: Vec<Answer>) -> (String, JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let mut seen = Vec::new();
        for answer in answers {
            let (mut socket, _) = listener.accept().await.unwrap();
            seen.push(read_request(&mut socket).await);
            let mut head = format!("HTTP/1.1 {} X\r\n", answer.status);
            for (name, value) in &answer.headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str(&format!(
                "content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                answer.body.len()
            ));
            socket.write_all(head.as_bytes()).await.unwrap();
            socket.write_all(answer.body.as_bytes()).await.unwrap();
            socket.shutdown().await.unwrap();
        }
        seen
    });
    (url, server)
}

async fn read_request(socket: &mut TcpStream) -> Seen {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the client closed before a whole request");
        bytes.extend_from_slice(&chunk[..n]);
        if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8(bytes[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let mut start = lines.next().unwrap().split(' ');
    let (method, path) = (start.next().unwrap(), start.next().unwrap());
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .map_or(0, |l| l.parse().unwrap());
    let mut body = bytes[end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the client closed before the whole body");
        body.extend_from_slice(&chunk[..n]);
    }
    Seen {
        method: method.to_owned(),
        path: path.to_owned(),
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

async fn client(url: &str) -> KeyValueStoreClient {
    let credentials =
        aws_credential_types::Credentials::new("AKIDTESTKVS", "test-secret", None, None, "test");
    KeyValueStoreClient::new(ARN.into(), Some(url), Some(credentials)).await
}

/// SigV4A: the ECDSA algorithm, our key, the region set signed in.
fn assert_sigv4a(seen: &Seen) {
    let auth = &seen.headers["authorization"];
    assert!(auth.starts_with("AWS4-ECDSA-P256-SHA256 "), "{auth}");
    assert!(auth.contains("Credential=AKIDTESTKVS/"), "{auth}");
    assert!(
        auth.contains("/cloudfront-keyvaluestore/aws4_request"),
        "{auth}"
    );
    let signed = auth.split("SignedHeaders=").nth(1).unwrap_or_default();
    assert!(signed.contains("x-amz-region-set"), "{auth}");
    assert_eq!(seen.headers["x-amz-region-set"], "*");
}

#[tokio::test]
async fn real_sdk_over_http_describe_then_update_are_sigv4a_signed_with_if_match() {
    let (url, server) = serve(vec![
        Answer {
            status: 200,
            headers: vec![("etag", "KV1AB2C3")],
            body: r#"{"ItemCount":0,"TotalSizeInBytes":0,"KvsARN":"arn:aws:cloudfront::123456789012:key-value-store/0d2c5b4e-8f6a-4c1e-9b7d-3a2f1e0c9b8a","Created":1800000000,"LastModified":1800000000,"Status":"READY"}"#,
        },
        Answer {
            status: 200,
            headers: vec![("etag", "KV4D5E6F")],
            body: r#"{"ItemCount":1,"TotalSizeInBytes":23}"#,
        },
    ])
    .await;
    let kvs = client(&url).await;
    assert_eq!(kvs.etag().await.unwrap(), "KV1AB2C3");
    let puts = [("u1/i1/".to_owned(), "1800000000".to_owned())];
    let next = kvs.update("KV1AB2C3", &puts, &["u2/".into()]).await;
    assert_eq!(next.unwrap(), "KV4D5E6F");

    let seen = server.await.unwrap();
    let (describe, update) = (&seen[0], &seen[1]);
    assert_eq!(describe.method, "GET");
    assert!(
        describe.path.starts_with("/key-value-stores/"),
        "{}",
        describe.path
    );
    assert!(!describe.path.ends_with("/keys"), "{}", describe.path);
    assert_sigv4a(describe);

    assert_eq!(update.method, "POST");
    assert!(
        update.path.starts_with("/key-value-stores/"),
        "{}",
        update.path
    );
    assert!(update.path.ends_with("/keys"), "{}", update.path);
    assert_sigv4a(update);
    assert_eq!(update.headers["if-match"], "KV1AB2C3");
    let signed = update.headers["authorization"].to_ascii_lowercase();
    assert!(signed.contains("if-match"), "If-Match is signed: {signed}");
    let body: serde_json::Value = serde_json::from_str(&update.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "Puts": [{"Key": "u1/i1/", "Value": "1800000000"}],
            "Deletes": [{"Key": "u2/"}],
        })
    );
}

#[tokio::test]
async fn real_sdk_over_http_a_put_only_update_sends_no_deletes() {
    let (url, server) = serve(vec![Answer {
        status: 200,
        headers: vec![("etag", "KV2")],
        body: r#"{"ItemCount":1,"TotalSizeInBytes":12}"#,
    }])
    .await;
    let puts = [("u1/".to_owned(), "1800000001".to_owned())];
    assert_eq!(
        client(&url).await.update("KV1", &puts, &[]).await.unwrap(),
        "KV2"
    );
    let seen = server.await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"Puts": [{"Key": "u1/", "Value": "1800000001"}]})
    );
}

#[tokio::test]
async fn real_sdk_over_http_a_stale_etag_answer_is_a_conflict() {
    let answers = [
        (
            409,
            Some("ConflictException"),
            r#"{"Message":"Resource is not in expected state"}"#,
        ),
        (412, None, r#"{"message":"Precondition Failed"}"#),
        (
            400,
            Some("ValidationException"),
            r#"{"Message":"Pre-Condition failed"}"#,
        ),
    ];
    for (status, code, body) in answers {
        let headers = code
            .map(|c| vec![("x-amzn-errortype", c)])
            .unwrap_or_default();
        let (url, server) = serve(vec![Answer {
            status,
            headers,
            body,
        }])
        .await;
        let puts = [("u1/".to_owned(), "1".to_owned())];
        let e = client(&url)
            .await
            .update("KVOLD", &puts, &[])
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                EdgeStoreError::Conflict {
                    call: "UpdateKeys",
                    ..
                }
            ),
            "{status}: {e}"
        );
        assert_eq!(server.await.unwrap()[0].headers["if-match"], "KVOLD");
    }
}

#[tokio::test]
async fn real_sdk_over_http_other_refusals_are_sorted_by_what_the_sender_does() {
    let (url, server) = serve(vec![
        Answer {
            status: 404,
            headers: vec![("x-amzn-errortype", "ResourceNotFoundException")],
            body: r#"{"Message":"Key not found"}"#,
        },
        Answer {
            status: 403,
            headers: vec![("x-amzn-errortype", "AccessDeniedException")],
            body: r#"{"Message":"not allowed"}"#,
        },
    ])
    .await;
    let kvs = client(&url).await;
    let missing = kvs.update("KV1", &[], &["u9/".into()]).await.unwrap_err();
    assert!(
        matches!(missing, EdgeStoreError::NotFound { .. }),
        "{missing}"
    );
    let denied = kvs.etag().await.unwrap_err();
    assert!(
        matches!(
            denied,
            EdgeStoreError::Other {
                call: "DescribeKeyValueStore",
                ..
            }
        ),
        "{denied}"
    );
    assert!(denied.to_string().contains("AccessDenied"), "{denied}");
    server.await.unwrap();
}
