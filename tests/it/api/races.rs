//! Parallel requests never pass a cap: the count and the write are one step in the store.

use serde_json::json;

use super::helpers::{TestApp, code};

const CREATE: &str =
    "mutation($in: CreateUploadInput!) { createUpload(input: $in) { image { id status } } }";

/// 30 createUpload calls at once (the rate limit allows 30 a minute) against a cap of 20
/// unfinished uploads: exactly 20 tickets, the other 10 RATE_LIMITED, 20 PENDING rows.
#[tokio::test]
async fn parallel_uploads_never_pass_the_pending_cap() {
    let app = TestApp::spawn().await;
    let owner = app.user("paula").await;
    let token = app.token("paula");
    let calls = (0..30).map(|n| {
        let input = json!({
            "filename": format!("p{n}.png"),
            "contentType": "image/png",
            "size": 100,
            "sha256": "ab".repeat(32),
        });
        app.gql(Some(&token), CREATE, json!({ "in": input }))
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut codes: Vec<&str> = answers
        .iter()
        .map(|(_, body)| {
            if body["errors"].is_null() {
                "OK"
            } else {
                code(body)
            }
        })
        .collect();
    codes.sort_unstable();
    let ok = codes.iter().filter(|c| **c == "OK").count();
    let limited = codes.iter().filter(|c| **c == "RATE_LIMITED").count();
    assert_eq!((ok, limited), (20, 10), "{codes:?}");
    let owner = mediagate::store::UserId::parse(&owner).expect("id");
    assert_eq!(app.store().count_pending(&owner).await.expect("count"), 20);
}
