//! Friendship takes both sides' consent (issue 11): a request, then an acceptance. One side
//! alone can never open the other's FRIENDS images, and either side can close them again.

use mediagate::store::Visibility;
use serde_json::{Value, json};

use super::helpers::{FakeCloudFront, TestApp, code};

const IMAGE: &str = "query($i: ID!) { image(id: $i) { id } }";
const GALLERY: &str = "query($u: ID!) { user(id: $u) { isFriend images { nodes { id } } } }";
const REQUEST: &str =
    "mutation($u: ID!) { requestFriend(userId: $u) { from { id } to { id } status } }";
const ACCEPT: &str = "mutation($u: ID!) { acceptFriend(userId: $u) { id isFriend } }";
const DECLINE: &str = "mutation($u: ID!) { declineFriend(userId: $u) }";
const REMOVE: &str = "mutation($u: ID!) { removeFriend(userId: $u) { id isFriend } }";
const REQUESTS: &str = "{ friendRequests { incoming { from { id } to { id } status } outgoing { from { id } to { id } status } } }";

/// bob with a FRIENDS image and carol, both signed up; returns their tokens.
async fn bob_and_carol(app: &TestApp) -> (String, String) {
    app.user("bob").await;
    app.user("carol").await;
    app.image("bob", "bob-f", Visibility::Friends).await;
    app.image("carol", "carol-f", Visibility::Friends).await;
    (app.token("bob"), app.token("carol"))
}

async fn sees(app: &TestApp, token: &str, image: &str) -> bool {
    let (_, body) = app.gql(Some(token), IMAGE, json!({ "i": image })).await;
    assert!(body["errors"].is_null(), "{body}");
    !body["data"]["image"].is_null()
}

async fn ok(app: &TestApp, token: &str, query: &str, user: &str) -> Value {
    let (status, body) = app.gql(Some(token), query, json!({ "u": user })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{query}: {body}");
    body["data"].clone()
}

#[tokio::test]
async fn one_side_alone_cannot_open_friends_images() {
    let app = TestApp::spawn().await;
    let (bob, carol) = bob_and_carol(&app).await;

    // The old one-sided mutation is gone: the document does not validate, nothing is written.
    let (_, body) = app
        .gql(
            Some(&carol),
            "mutation($u: ID!) { addFriend(userId: $u) { id } }",
            json!({ "u": "bob" }),
        )
        .await;
    assert!(!body["errors"].is_null(), "{body}");
    assert!(!sees(&app, &carol, "bob-f").await);

    // A request is only a request, however often it is sent.
    for _ in 0..2 {
        let data = ok(&app, &carol, REQUEST, "bob").await;
        assert_eq!(
            data["requestFriend"],
            json!({ "from": { "id": "carol" }, "to": { "id": "bob" }, "status": "PENDING" })
        );
    }
    assert!(!sees(&app, &carol, "bob-f").await);
    assert!(!sees(&app, &bob, "carol-f").await);
    let data = ok(&app, &carol, GALLERY, "bob").await;
    assert_eq!(
        data["user"],
        json!({ "isFriend": false, "images": { "nodes": [] } })
    );

    // The one who asked cannot accept for the other side.
    let (_, body) = app.gql(Some(&carol), ACCEPT, json!({ "u": "bob" })).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    assert!(!sees(&app, &carol, "bob-f").await);
}

#[tokio::test]
async fn an_accepted_request_opens_friends_images_both_ways() {
    let app = TestApp::spawn().await;
    let (bob, carol) = bob_and_carol(&app).await;
    ok(&app, &carol, REQUEST, "bob").await;

    let pending = json!({ "from": { "id": "carol" }, "to": { "id": "bob" }, "status": "PENDING" });
    let (_, body) = app.gql(Some(&bob), REQUESTS, json!({})).await;
    assert_eq!(
        body["data"]["friendRequests"],
        json!({ "incoming": [pending], "outgoing": [] })
    );
    let (_, body) = app.gql(Some(&carol), REQUESTS, json!({})).await;
    assert_eq!(
        body["data"]["friendRequests"],
        json!({ "incoming": [], "outgoing": [pending] })
    );

    let data = ok(&app, &bob, ACCEPT, "carol").await;
    assert_eq!(
        data["acceptFriend"],
        json!({ "id": "carol", "isFriend": true })
    );
    assert!(sees(&app, &carol, "bob-f").await);
    assert!(sees(&app, &bob, "carol-f").await);
    let data = ok(&app, &carol, GALLERY, "bob").await;
    assert_eq!(
        data["user"],
        json!({ "isFriend": true, "images": { "nodes": [{ "id": "bob-f" }] } })
    );
    let (_, body) = app.gql(Some(&bob), REQUESTS, json!({})).await;
    assert_eq!(
        body["data"]["friendRequests"],
        json!({ "incoming": [], "outgoing": [] })
    );
    // Asking a friend again changes nothing.
    let data = ok(&app, &bob, REQUEST, "carol").await;
    assert_eq!(data["requestFriend"]["status"], "ACCEPTED");
}

#[tokio::test]
async fn crossing_requests_are_consent_from_both() {
    let app = TestApp::spawn().await;
    let (bob, carol) = bob_and_carol(&app).await;
    ok(&app, &carol, REQUEST, "bob").await;
    let data = ok(&app, &bob, REQUEST, "carol").await;
    assert_eq!(
        data["requestFriend"],
        json!({ "from": { "id": "bob" }, "to": { "id": "carol" }, "status": "ACCEPTED" })
    );
    assert!(sees(&app, &carol, "bob-f").await);
}

#[tokio::test]
async fn declined_or_withdrawn_requests_open_nothing() {
    let app = TestApp::spawn().await;
    let (bob, carol) = bob_and_carol(&app).await;
    // Declined by the one asked.
    ok(&app, &carol, REQUEST, "bob").await;
    assert_eq!(
        ok(&app, &bob, DECLINE, "carol").await["declineFriend"],
        true
    );
    let (_, body) = app.gql(Some(&bob), ACCEPT, json!({ "u": "carol" })).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    assert!(!sees(&app, &carol, "bob-f").await);
    // Withdrawn by the one who asked.
    ok(&app, &carol, REQUEST, "bob").await;
    assert_eq!(
        ok(&app, &carol, DECLINE, "bob").await["declineFriend"],
        true
    );
    let (_, body) = app.gql(Some(&bob), ACCEPT, json!({ "u": "carol" })).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    assert_eq!(
        ok(&app, &carol, DECLINE, "bob").await["declineFriend"],
        false
    );
}

#[tokio::test]
async fn friend_requests_refuse_bad_input() {
    let app = TestApp::spawn().await;
    let (_, carol) = bob_and_carol(&app).await;
    let (_, body) = app
        .gql(Some(&carol), REQUEST, json!({ "u": "carol" }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    let (_, body) = app
        .gql(Some(&carol), REQUEST, json!({ "u": "nobody" }))
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    for query in [REQUEST, ACCEPT, DECLINE, REMOVE] {
        let (_, body) = app.gql(None, query, json!({ "u": "bob" })).await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{query}: {body}");
    }
    let (_, body) = app.gql(None, REQUESTS, json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
}

#[tokio::test]
async fn unanswered_requests_are_capped() {
    let app = TestApp::spawn().await;
    app.user("spammer").await;
    let spammer = app.token("spammer");
    let cap = mediagate::friendship::MAX_OUTGOING_REQUESTS;
    for n in 0..cap {
        let target = format!("t{n:03}");
        app.user(&target).await;
        ok(&app, &spammer, REQUEST, &target).await;
    }
    app.user("one-more").await;
    let (_, body) = app
        .gql(Some(&spammer), REQUEST, json!({ "u": "one-more" }))
        .await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&cap.to_string()), "{message}");
    let (_, body) = app
        .gql(Some(&app.token("one-more")), REQUESTS, json!({}))
        .await;
    assert_eq!(body["data"]["friendRequests"]["incoming"], json!([]));
}

/// Either side ends it; FRIENDS images are hidden both ways at once, and (fake CloudFront) the
/// paths of both sides' FRIENDS images are invalidated, as narrowing a visibility does.
#[tokio::test]
async fn ending_a_friendship_hides_at_once_and_invalidates_on_fake_cloudfront() {
    let (app, fake) = FakeCloudFront::app().await;
    let (bob, carol) = bob_and_carol(&app).await;
    for remover in ["bob", "carol"] {
        ok(&app, &carol, REQUEST, "bob").await;
        ok(&app, &bob, ACCEPT, "carol").await;
        assert!(sees(&app, &carol, "bob-f").await && sees(&app, &bob, "carol-f").await);
        let (token, other) = if remover == "bob" {
            (&bob, "carol")
        } else {
            (&carol, "bob")
        };
        let data = ok(&app, token, REMOVE, other).await;
        assert_eq!(
            data["removeFriend"],
            json!({ "id": other, "isFriend": false })
        );
        assert!(!sees(&app, &carol, "bob-f").await, "{remover} removed");
        assert!(!sees(&app, &bob, "carol-f").await, "{remover} removed");
    }
    fake.wait_for(&[
        "/bob/bob-f/photo.jpg".into(),
        "/carol/carol-f/photo.jpg".into(),
    ])
    .await;
}
