//! Who a token is, as a user: ids derived so that different identities never meet, and a clear
//! client error (never a 500) for whatever conflict is left.

use mediagate::store::UserId;
use serde_json::json;

use super::helpers::{TestApp, code};

/// A user id held by another identity (here: a row as `mediagate seed` wrote it before seeded
/// users carried the dev issuer's subject) is refused with FORBIDDEN and a reason, and nothing
/// about that user changes.
#[tokio::test]
async fn an_id_taken_by_another_identity_is_forbidden_not_internal() {
    let app = TestApp::spawn().await;
    let id = UserId::parse("u0000").expect("id");
    let now_ms = i64::try_from(app.clock_now().0).expect("now") * 1000;
    app.store()
        .upsert_user("seed|u0000", &id, "u0000", now_ms)
        .await
        .expect("seeded user");

    for _ in 0..2 {
        let (status, body) = app
            .gql(Some(&app.token("u0000")), "{ viewer { id } }", json!({}))
            .await;
        assert_eq!((status, code(&body)), (403, "FORBIDDEN"), "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("\"u0000\""), "names the id: {message}");
        assert!(message.contains("another identity"), "says why: {message}");
        assert!(!message.contains("internal"), "{message}");
    }
    let user = app.store().user(&id).await.expect("read").expect("user");
    assert_eq!(
        user.subject, "seed|u0000",
        "the other identity keeps its id"
    );
}

/// The service's own (HS256) tokens keep `sub` as the user id, unless it has the one shape that
/// derived ids have ("u" and 24 hex digits): such a `sub` is derived too, so it can never take
/// the id of an identity from elsewhere.
#[tokio::test]
async fn a_sub_shaped_like_a_derived_id_is_not_used_as_one() {
    let app = TestApp::spawn().await;
    assert_eq!(app.user("alice").await, "alice");
    let lookalike = "u0123456789abcdef01234567";
    let id = app.user(lookalike).await;
    assert_ne!(id, lookalike);
    let digest = openssl::sha::sha256(format!("mediagate-dev|{lookalike}").as_bytes());
    assert_eq!(id, format!("u{}", hex(&digest[..12])));
    // And the same token again is the same user.
    assert_eq!(app.user(lookalike).await, id);
}

/// Seeded users are the dev issuer's users: a dev token for `u0042` acts as seeded `u0042`.
#[tokio::test]
async fn a_dev_token_for_a_seeded_id_is_that_seeded_user() {
    let app = TestApp::spawn().await;
    let now_ms = i64::try_from(app.clock_now().0).expect("now") * 1000;
    app.seeder()
        .await
        .seed(50, 2, "mediagate-dev", now_ms, &|_| {})
        .await
        .expect("seed");
    let (status, body) = app
        .gql(
            Some(&app.token("u0042")),
            "{ viewer { id images(first: 5) { nodes { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["id"], json!("u0042"));
    assert_eq!(
        body["data"]["viewer"]["images"]["nodes"],
        json!([{"id": "u0042-0001"}, {"id": "u0042-0000"}])
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
