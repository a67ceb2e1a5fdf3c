//! DESIGN.md's access table, cell by cell, through the GraphQL API: owner, friend of owner, other
//! user and anonymous × PUBLIC, FRIENDS and PRIVATE × see/link (image, gallery) and change
//! visibility. (Upload and delete cells arrive with those mutations in issue 4.)

use mediagate::cloudfront::{Request, verify};
use mediagate::store::Visibility;
use serde_json::{Value, json};

use super::helpers::{TestApp, code};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Owner,
    Friend,
    Other,
    Anonymous,
}

fn may_see(who: Who, v: Visibility) -> bool {
    match v {
        Visibility::Public => true,
        Visibility::Friends => matches!(who, Who::Owner | Who::Friend),
        Visibility::Private => who == Who::Owner,
    }
}

#[tokio::test]
async fn every_cell_of_the_access_table() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.user("carol").await;
    app.befriend(&alice, &bob).await;
    let images = [
        (
            Visibility::Public,
            app.image(&alice, "img-public", Visibility::Public).await,
        ),
        (
            Visibility::Friends,
            app.image(&alice, "img-friends", Visibility::Friends).await,
        ),
        (
            Visibility::Private,
            app.image(&alice, "img-private", Visibility::Private).await,
        ),
    ];
    let tokens = [
        (Who::Owner, Some(app.token("alice"))),
        (Who::Friend, Some(app.token("bob"))),
        (Who::Other, Some(app.token("carol"))),
        (Who::Anonymous, None),
    ];
    let trusted = app.state.links.trusted();
    let missing = |body: &Value| body.to_string().replace("img-nonexistent", "X");

    for (who, token) in &tokens {
        let token = token.as_deref();
        // The gallery lists exactly what the viewer may see.
        let (_, gallery) = app
            .gql(
                token,
                "query($u: ID!) { user(id: $u) { images(first: 50) { nodes { id url } } } }",
                json!({"u": alice}),
            )
            .await;
        let listed: Vec<&str> = gallery["data"]["user"]["images"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["id"].as_str().expect("id"))
            .collect();
        for (visibility, image) in &images {
            let see = may_see(*who, *visibility);
            assert_eq!(
                listed.contains(&image.id.as_str()),
                see,
                "{who:?} gallery, {visibility:?}"
            );

            // image(id): visible with a valid link, or exactly like an image that does not exist.
            let q = "query($i: ID!) { image(id: $i) { id url urlExpiresAt } }";
            let (status, body) = app.gql(token, q, json!({"i": image.id.as_str()})).await;
            assert_eq!(status, 200);
            if see {
                let url = body["data"]["image"]["url"].as_str().expect("url");
                let request = Request {
                    url,
                    cookies: &[],
                    client_ip: None,
                    now: app.clock_now(),
                };
                assert!(
                    verify(&request, &trusted).is_ok(),
                    "{who:?} {visibility:?}: {url}"
                );
            } else {
                let (_, nonexistent) = app.gql(token, q, json!({"i": "img-nonexistent"})).await;
                assert_eq!(
                    body,
                    json!({"data": {"image": null}}),
                    "{who:?} {visibility:?}"
                );
                assert_eq!(missing(&body), missing(&nonexistent));
            }

            // setVisibility: the owner may; a viewer who can see it is FORBIDDEN; one who cannot
            // gets NOT_FOUND with the same message as for an image that does not exist.
            let m = "mutation($i: ID!) { setVisibility(imageId: $i, visibility: PRIVATE) { id } }";
            let (_, body) = app.gql(token, m, json!({"i": image.id.as_str()})).await;
            let expected = match (who, see) {
                (Who::Anonymous, _) => "UNAUTHENTICATED",
                (Who::Owner, _) => "<none>",
                (_, true) => "FORBIDDEN",
                (_, false) => "NOT_FOUND",
            };
            assert_eq!(
                code(&body),
                expected,
                "{who:?} setVisibility on {visibility:?}: {body}"
            );
            if expected == "NOT_FOUND" {
                let (_, nonexistent) = app.gql(token, m, json!({"i": "img-nonexistent"})).await;
                assert_eq!(
                    body["errors"][0]["message"]
                        .as_str()
                        .map(|m| m.replace(image.id.as_str(), "X")),
                    nonexistent["errors"][0]["message"]
                        .as_str()
                        .map(|m| m.replace("img-nonexistent", "X"))
                );
            }
            if *who == Who::Owner {
                // Put it back for the next viewers.
                let restore = format!(
                    "mutation($i: ID!) {{ setVisibility(imageId: $i, visibility: {}) {{ visibility }} }}",
                    visibility.as_str()
                );
                let (_, body) = app
                    .gql(token, &restore, json!({"i": image.id.as_str()}))
                    .await;
                assert_eq!(
                    body["data"]["setVisibility"]["visibility"],
                    json!(visibility.as_str())
                );
            }
        }
    }
}

#[tokio::test]
async fn narrowing_visibility_hides_at_once_and_drops_cached_links() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    let image = app.image(&alice, "img-1", Visibility::Public).await;
    let bob = app.token("bob");
    let q = "query($i: ID!) { image(id: $i) { url } }";
    let (_, body) = app.gql(Some(&bob), q, json!({"i": "img-1"})).await;
    assert!(body["data"]["image"]["url"].is_string());
    assert!(app.state.links.cache().entry_count() >= 1);

    let m = "mutation($i: ID!) { setVisibility(imageId: $i, visibility: PRIVATE) { visibility } }";
    let (_, body) = app
        .gql(Some(&app.token("alice")), m, json!({"i": "img-1"}))
        .await;
    assert_eq!(
        body["data"]["setVisibility"]["visibility"],
        json!("PRIVATE")
    );
    assert_eq!(
        app.state.links.cache().entry_count(),
        0,
        "cached signature of {} survived",
        image.key
    );
    let (_, body) = app.gql(Some(&bob), q, json!({"i": "img-1"})).await;
    assert_eq!(body, json!({"data": {"image": null}}));
}
