//! Revocation before expiry over HTTP, at the local edge: for each revoking action the link
//! handed out before it is refused on the next request with its reason, the link asked for after
//! it works, and every other image's links are untouched. Also the operator's whole-account
//! revocation (`mediagate revoke --user`), which takes signed cookies back too.

use mediagate::clock::Clock as _;
use serde_json::json;

use super::edge::{edge_app, header, link_of};
use super::helpers::TestApp;
use super::served::mediagate_env;
use super::uploads::{Setup, uploaded};

const REASON: &str = "x-mediagate-edge-reason";

/// GETs `url` at the edge (with `cookie`); status and reason.
async fn fetch(app: &TestApp, url: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req = app.client.get(url);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await.expect("GET");
    (res.status().as_u16(), header(&res, REASON))
}

fn assert_revoked(status: u16, reason: &str) {
    assert_eq!(status, 403, "{reason}");
    // `revoked at 2027-01-15T08:00:00Z`: the manual clock's time, to the second.
    assert!(
        reason.starts_with("revoked at 20") && reason.ends_with('Z'),
        "{reason}"
    );
}

async fn mutate(app: &TestApp, token: &str, query: &str, id: &str) -> serde_json::Value {
    let (status, body) = app.gql(Some(token), query, json!({ "i": id })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body
}

#[tokio::test]
async fn every_revoking_action_refuses_the_old_link_at_once_and_new_links_work() {
    let Setup { app, _server } = edge_app().await;
    app.user("alice").await;
    app.user("bob").await;
    app.befriend("alice", "bob").await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let (bystander, _) = uploaded(&app, &alice, "bystander.png", "PUBLIC").await;
    let bystander_link = link_of(&app, None, &bystander).await;

    // revokeLinks: the owner takes back every link so far; the image stays as it was.
    let (shared, _) = uploaded(&app, &alice, "shared.png", "PUBLIC").await;
    let before = link_of(&app, None, &shared).await;
    assert_eq!(fetch(&app, &before, None).await.0, 200);
    let body = mutate(
        &app,
        &alice,
        "mutation($i: ID!) { revokeLinks(imageId: $i) { visibility url } }",
        &shared,
    )
    .await;
    assert_eq!(body["data"]["revokeLinks"]["visibility"], "PUBLIC");
    let (status, reason) = fetch(&app, &before, None).await;
    assert_revoked(status, &reason);
    let after = link_of(&app, None, &shared).await;
    assert_ne!(after, before);
    assert_eq!(body["data"]["revokeLinks"]["url"], after.as_str());
    assert_eq!(fetch(&app, &after, None).await.0, 200);
    // Stable within the window, and never the revoked version again (the signature cache).
    assert_eq!(link_of(&app, None, &shared).await, after);
    assert_eq!(link_of(&app, Some(&bob), &shared).await, after);

    // Narrowing: PUBLIC → PRIVATE.
    let (narrowed, _) = uploaded(&app, &alice, "narrowed.png", "PUBLIC").await;
    let public_link = link_of(&app, None, &narrowed).await;
    mutate(
        &app,
        &alice,
        "mutation($i: ID!) { setVisibility(imageId: $i, visibility: PRIVATE) { id } }",
        &narrowed,
    )
    .await;
    let (status, reason) = fetch(&app, &public_link, None).await;
    assert_revoked(status, &reason);
    let owners = link_of(&app, Some(&alice), &narrowed).await;
    assert_eq!(fetch(&app, &owners, None).await.0, 200);

    // Widening revokes nothing: a PRIVATE link stays good when the image becomes PUBLIC.
    let (widened, _) = uploaded(&app, &alice, "widened.png", "PRIVATE").await;
    let private_link = link_of(&app, Some(&alice), &widened).await;
    mutate(
        &app,
        &alice,
        "mutation($i: ID!) { setVisibility(imageId: $i, visibility: PUBLIC) { id } }",
        &widened,
    )
    .await;
    assert_eq!(fetch(&app, &private_link, None).await.0, 200);

    // Delete: refused at once, before the reaper has removed anything.
    let (deleted, _) = uploaded(&app, &alice, "deleted.png", "PUBLIC").await;
    let deleted_link = link_of(&app, None, &deleted).await;
    mutate(
        &app,
        &alice,
        "mutation($i: ID!) { deleteImage(imageId: $i) { method } }",
        &deleted,
    )
    .await;
    let (status, reason) = fetch(&app, &deleted_link, None).await;
    assert_revoked(status, &reason);

    // The end of a friendship: the FRIENDS images bob could see, on both sides.
    let (friends_only, _) = uploaded(&app, &alice, "friends.png", "FRIENDS").await;
    let (bobs, _) = uploaded(&app, &bob, "bobs.png", "FRIENDS").await;
    let bobs_view = link_of(&app, Some(&bob), &friends_only).await;
    let alices_view = link_of(&app, Some(&alice), &bobs).await;
    assert_eq!(fetch(&app, &bobs_view, None).await.0, 200);
    let (status, body) = app
        .gql(
            Some(&bob),
            "mutation($u: ID!) { removeFriend(userId: $u) { id } }",
            json!({ "u": "alice" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for old in [&bobs_view, &alices_view] {
        let (status, reason) = fetch(&app, old, None).await;
        assert_revoked(status, &reason);
    }
    let owners_now = link_of(&app, Some(&alice), &friends_only).await;
    assert_eq!(fetch(&app, &owners_now, None).await.0, 200);

    // Through all of it, an unrelated image's link was never touched.
    assert_eq!(fetch(&app, &bystander_link, None).await.0, 200);
    assert_eq!(link_of(&app, None, &bystander).await, bystander_link);
}

#[tokio::test]
async fn revoke_links_is_the_owners_alone_and_hidden_images_look_missing() {
    let Setup { app, _server } = edge_app().await;
    app.user("alice").await;
    app.user("mallory").await;
    let alice = app.token("alice");
    let mallory = app.token("mallory");
    let (public, _) = uploaded(&app, &alice, "public.png", "PUBLIC").await;
    let (private, _) = uploaded(&app, &alice, "private.png", "PRIVATE").await;
    let link = link_of(&app, None, &public).await;
    let revoke = "mutation($i: ID!) { revokeLinks(imageId: $i) { id } }";
    let (_, seen) = app
        .gql(Some(&mallory), revoke, json!({ "i": public }))
        .await;
    assert_eq!(
        seen["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{seen}"
    );
    let (_, hidden) = app
        .gql(Some(&mallory), revoke, json!({ "i": private }))
        .await;
    let (_, missing) = app
        .gql(Some(&mallory), revoke, json!({ "i": "nope" }))
        .await;
    assert_eq!(hidden["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(
        hidden["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace(&private, "ID")),
        missing["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace("nope", "ID"))
    );
    let (_, anonymous) = app.gql(None, revoke, json!({ "i": public })).await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    // None of those refusals revoked anything.
    assert_eq!(fetch(&app, &link, None).await.0, 200);
}

#[tokio::test]
async fn an_operators_account_revocation_takes_back_links_and_cookies() {
    let Setup { app, _server } = edge_app().await;
    app.user("alice").await;
    app.user("bob").await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let (mine, key) = uploaded(&app, &alice, "mine.png", "PUBLIC").await;
    let (theirs, _) = uploaded(&app, &bob, "theirs.png", "PUBLIC").await;
    let link = link_of(&app, None, &mine).await;
    let bobs_link = link_of(&app, None, &theirs).await;
    let jar = |set: Vec<String>| {
        set.iter()
            .map(|c| c.split(';').next().expect("pair").to_owned())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let cookies = jar(app.set_cookies(&alice).await);
    let plain = format!("{}/edge/{key}", app.base);
    assert_eq!(fetch(&app, &plain, Some(&cookies)).await.0, 200);

    let db = format!("sqlite://{}", app.dir.path().join("mediagate.db").display());
    let out = mediagate_env(
        app.dir.path(),
        &[("MEDIAGATE_DATABASE__URL", &db)],
        &["revoke", "--user", "alice"],
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("revoked every link and cookie to alice's media"),
        "{said}"
    );

    for (url, cookie) in [(&link, None), (&plain, Some(cookies.as_str()))] {
        let (status, reason) = fetch(&app, url, cookie).await;
        assert_revoked(status, &reason);
    }
    // The command took its time from the wall clock; the service's (manual) clock moves on past
    // it, as a running service's does.
    app.clock.set(mediagate::clock::SystemClock.now());
    app.clock.advance(2);
    // New links and new cookies work; bob's were never touched.
    let fresh = link_of(&app, None, &mine).await;
    assert_eq!(fetch(&app, &fresh, None).await.0, 200);
    let new_cookies = jar(app.set_cookies(&alice).await);
    assert_eq!(fetch(&app, &plain, Some(&new_cookies)).await.0, 200);
    assert_eq!(fetch(&app, &bobs_link, None).await.0, 200);

    // An image revocation takes back the owner's cookies for that image alone.
    let (other, other_key) = uploaded(&app, &alice, "other.png", "PRIVATE").await;
    // An image uploaded after the account's revocation starts above its floor.
    let other_link = link_of(&app, Some(&alice), &other).await;
    assert_eq!(fetch(&app, &other_link, None).await.0, 200);
    mutate(
        &app,
        &alice,
        "mutation($i: ID!) { revokeLinks(imageId: $i) { id } }",
        &other,
    )
    .await;
    let other_plain = format!("{}/edge/{other_key}", app.base);
    let (status, reason) = fetch(&app, &other_plain, Some(&new_cookies)).await;
    assert_revoked(status, &reason);
    assert_eq!(fetch(&app, &plain, Some(&new_cookies)).await.0, 200);
    let newest = jar(app.set_cookies(&alice).await);
    let (status, reason) = fetch(&app, &other_plain, Some(&newest)).await;
    assert_eq!(status, 200, "{reason}");

    // Two more revocations of that image in the same second put its floor two seconds ahead of
    // the clock: cookies made now still work at once for every other image, and for that one
    // from the second its floor names.
    for _ in 0..2 {
        mutate(
            &app,
            &alice,
            "mutation($i: ID!) { revokeLinks(imageId: $i) { id } }",
            &other,
        )
        .await;
    }
    let burst = jar(app.set_cookies(&alice).await);
    assert_eq!(fetch(&app, &plain, Some(&burst)).await.0, 200);
    let (status, reason) = fetch(&app, &other_plain, Some(&burst)).await;
    assert_revoked(status, &reason);
    app.clock.advance(2);
    let caught_up = jar(app.set_cookies(&alice).await);
    let (status, reason) = fetch(&app, &other_plain, Some(&caught_up)).await;
    assert_eq!(status, 200, "{reason}");

    // A user that does not exist: one clear line, non-zero.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mediagate"))
        .args(["revoke", "--user", "nobody"])
        .current_dir(app.dir.path())
        .env("MEDIAGATE_DATABASE__URL", &db)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("there is no user \"nobody\""), "{err}");
}
