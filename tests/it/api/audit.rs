//! The audit trail over HTTP: every mutation leaves one event with who, what, on which image or
//! user, before and after, the request id and the client address; `auditLog` shows a user the
//! events about their own images and friendships, newest first, paged; `mediagate audit` prints
//! them for operators. Never a token, a signature or a URL.

use serde_json::{Value, json};

use super::helpers::TestApp;
use super::served::mediagate_env;
use super::uploads::{Setup, setup, uploaded};

const LOG: &str = "query($f: Int, $a: String) { auditLog(first: $f, after: $a) {
    nodes { at actor action ownerId otherUserId imageId before after requestId }
    pageInfo { endCursor hasNextPage } } }";

async fn log(app: &TestApp, token: &str, first: i32, after: Option<&str>) -> Value {
    let (status, body) = app
        .gql(Some(token), LOG, json!({ "f": first, "a": after }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["auditLog"].clone()
}

fn actions(page: &Value) -> Vec<&str> {
    page["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["action"].as_str().expect("action"))
        .collect()
}

#[tokio::test]
async fn each_mutation_is_one_event_seen_by_those_it_is_about() {
    let Setup { app, _server } = setup(false, |_| {}).await;
    app.user("alice").await;
    app.user("bob").await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let (image, _) = uploaded(&app, &alice, "Holiday in Lisbon.png", "PUBLIC").await;

    // A mutation with a request id of our own, which the event keeps.
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&alice)
        .header("x-request-id", "audit-req-1")
        .json(&json!({
            "query": "mutation($i: ID!) { setVisibility(imageId: $i, visibility: FRIENDS) { id } }",
            "variables": { "i": image },
        }))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 200);
    let friend = |m: &str, by: &str, other: &str| {
        let (m, by, other) = (m.to_owned(), by.to_owned(), other.to_owned());
        let app = &app;
        async move {
            let (status, body) = app
                .gql(
                    Some(&by),
                    &if m == "declineFriend" {
                        format!("mutation($u: ID!) {{ {m}(userId: $u) }}")
                    } else {
                        format!("mutation($u: ID!) {{ {m}(userId: $u) {{ __typename }} }}")
                    },
                    json!({ "u": other }),
                )
                .await;
            assert_eq!(status, 200, "{body}");
            assert!(body.get("errors").is_none(), "{body}");
        }
    };
    friend("requestFriend", &alice, "bob").await;
    friend("acceptFriend", &bob, "alice").await;
    friend("removeFriend", &bob, "alice").await;
    // Nothing happens, so nothing is recorded: no request to decline.
    friend("declineFriend", &bob, "alice").await;

    let page = log(&app, &alice, 20, None).await;
    assert_eq!(
        actions(&page),
        [
            "friend.ended",
            "friend.accepted",
            "friend.requested",
            "image.visibility_changed",
            "upload.completed",
            "upload.started"
        ]
    );
    let nodes = page["nodes"].as_array().expect("nodes");
    let changed = &nodes[3];
    assert_eq!(
        (
            &changed["actor"],
            &changed["imageId"],
            &changed["ownerId"],
            &changed["before"],
            &changed["after"],
            &changed["requestId"]
        ),
        (
            &json!("alice"),
            &json!(image),
            &json!("alice"),
            &json!("PUBLIC"),
            &json!("FRIENDS"),
            &json!("audit-req-1")
        )
    );
    let ended = &nodes[0];
    assert_eq!(
        (&ended["actor"], &ended["ownerId"], &ended["otherUserId"]),
        (&json!("bob"), &json!("bob"), &json!("alice"))
    );
    // Every event has a request id (generated when the client sent none).
    assert!(
        nodes
            .iter()
            .all(|n| n["requestId"].as_str().is_some_and(|r| !r.is_empty()))
    );

    // bob sees the friendship, not alice's image.
    assert_eq!(
        actions(&log(&app, &bob, 20, None).await),
        ["friend.ended", "friend.accepted", "friend.requested"]
    );

    // Pages of two, newest first, until the end.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = log(&app, &alice, 2, after.as_deref()).await;
        seen.extend(actions(&page).into_iter().map(str::to_owned));
        if !page["pageInfo"]["hasNextPage"].as_bool().expect("bool") {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, actions(&log(&app, &alice, 20, None).await));

    // Bad input: a clear error.
    let (_, body) = app.gql(Some(&alice), LOG, json!({ "f": 1000 })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let (_, body) = app.gql(Some(&alice), LOG, json!({ "a": "forged" })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let (_, body) = app.gql(None, LOG, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // The operator's view, as JSON lines; never a token or a signature anywhere.
    let db = format!("sqlite://{}", app.dir.path().join("mediagate.db").display());
    let out = mediagate_env(
        app.dir.path(),
        &[("MEDIAGATE_DATABASE__URL", &db)],
        &["audit", "--user", "bob", "--since", "-86400"],
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|l| l["action"].as_str().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["friend.ended", "friend.accepted", "friend.requested"]
    );
    assert!(
        lines.iter().all(|l| l["client"] == "127.0.0.1"),
        "{lines:?}"
    );
    let everything = mediagate_env(
        app.dir.path(),
        &[("MEDIAGATE_DATABASE__URL", &db)],
        &["audit"],
    );
    let text = String::from_utf8_lossy(&everything.stdout);
    assert_eq!(text.lines().count(), 6, "{text}");
    for secret in [
        alice.as_str(),
        bob.as_str(),
        "Signature",
        "Holiday",
        "X-Amz",
    ] {
        assert!(!text.contains(secret), "{secret:?} in {text}");
    }
}
