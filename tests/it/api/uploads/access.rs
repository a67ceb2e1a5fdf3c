//! Who may see, link, change and delete a really uploaded image.

use mediagate::cloudfront::{Request, verify};
use mediagate::store::ImageStatus;
use serde_json::json;

use super::super::helpers::code;
use super::{
    DELETE, GALLERY, ONE, SET_VISIBILITY, Setup, complete, id_of, input_of, png, put, setup,
    status_of, ticket, uploaded,
};

#[tokio::test]
async fn another_user_cannot_complete_delete_or_hide_your_images() {
    let Setup { app, _server } = setup(true, |_| {}).await;
    app.user("alice").await;
    app.user("bob").await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let pending = ticket(&app, &alice, input_of("p.png", "image/png", &png(10))).await;
    assert_eq!(put(&app, &pending, png(10)).await.status(), 200);
    let (private, _) = uploaded(&app, &alice, "private.png", "PRIVATE").await;
    let (public, _) = uploaded(&app, &alice, "public.png", "PUBLIC").await;

    let done = complete(&app, &bob, &id_of(&pending)).await;
    assert_eq!(code(&done), "NOT_FOUND", "{done}");
    assert_eq!(
        status_of(&app, &id_of(&pending)).await,
        Some(ImageStatus::Pending)
    );
    // What Bob cannot see does not exist for him; what he can see he may not change.
    for (id, want) in [(&private, "NOT_FOUND"), (&public, "FORBIDDEN")] {
        let (_, body) = app.gql(Some(&bob), DELETE, json!({ "i": id })).await;
        assert_eq!(code(&body), want, "{body}");
        let (_, body) = app
            .gql(
                Some(&bob),
                SET_VISIBILITY,
                json!({ "i": id, "v": "PUBLIC" }),
            )
            .await;
        assert_eq!(code(&body), want, "{body}");
        assert_eq!(status_of(&app, id).await, Some(ImageStatus::Ready));
    }
    // The NOT_FOUND for a private image reads exactly like the one for a missing image.
    let (_, hidden) = app.gql(Some(&bob), DELETE, json!({ "i": private })).await;
    let (_, missing) = app
        .gql(Some(&bob), DELETE, json!({ "i": "no-such-image" }))
        .await;
    assert_eq!(
        hidden["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace(&private, "X")),
        missing["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace("no-such-image", "X"))
    );
}

/// DESIGN.md's access table, walked with real uploaded images: each viewer kind × visibility,
/// for seeing/linking, changing visibility and deleting.
#[tokio::test]
async fn the_access_table_holds_for_real_uploads() {
    let Setup { app, _server } = setup(true, |_| {}).await;
    let alice_id = app.user("alice").await;
    let bob_id = app.user("bob").await;
    app.user("carol").await;
    app.befriend(&alice_id, &bob_id).await;
    let alice = app.token("alice");
    let viewers = [
        ("owner", Some(alice.clone())),
        ("friend", Some(app.token("bob"))),
        ("other", Some(app.token("carol"))),
        ("anonymous", None),
    ];
    for (visibility, sees) in [
        ("PUBLIC", [true, true, true, true]),
        ("FRIENDS", [true, true, false, false]),
        ("PRIVATE", [true, false, false, false]),
    ] {
        let (id, _) = uploaded(&app, &alice, &format!("{visibility}.png"), visibility).await;
        for ((who, token), may_see) in viewers.iter().zip(sees) {
            let token = token.as_deref();
            let (_, one) = app.gql(token, ONE, json!({ "i": id })).await;
            let url = one["data"]["image"]["url"].as_str();
            assert_eq!(url.is_some(), may_see, "{who} / {visibility}: {one}");
            if let Some(url) = url {
                let ok = verify(
                    &Request {
                        url,
                        cookies: &[],
                        client_ip: None,
                        now: app.clock_now(),
                    },
                    &app.state.links.trusted(),
                );
                assert!(ok.is_ok(), "{who} / {visibility}: {ok:?}");
            }
            let (_, page) = app.gql(token, GALLERY, json!({ "u": alice_id })).await;
            let listed = page["data"]["user"]["images"]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .any(|n| n["id"] == json!(id));
            assert_eq!(listed, may_see, "{who} / {visibility} gallery: {page}");
            if *who == "owner" {
                continue;
            }
            // Changing and deleting are the owner's alone.
            let want = match (token, may_see) {
                (None, _) => "UNAUTHENTICATED",
                (Some(_), true) => "FORBIDDEN",
                (Some(_), false) => "NOT_FOUND",
            };
            let (_, body) = app
                .gql(token, SET_VISIBILITY, json!({ "i": id, "v": "PUBLIC" }))
                .await;
            assert_eq!(
                code(&body),
                want,
                "{who} / {visibility} setVisibility: {body}"
            );
            let (_, body) = app.gql(token, DELETE, json!({ "i": id })).await;
            assert_eq!(
                code(&body),
                want,
                "{who} / {visibility} deleteImage: {body}"
            );
        }
        // The owner may do both.
        let (_, body) = app
            .gql(
                Some(&alice),
                SET_VISIBILITY,
                json!({ "i": id, "v": visibility }),
            )
            .await;
        assert_eq!(
            body["data"]["setVisibility"]["visibility"],
            json!(visibility),
            "{body}"
        );
        let (_, body) = app.gql(Some(&alice), DELETE, json!({ "i": id })).await;
        assert_eq!(body["data"]["deleteImage"]["method"], "DELETE", "{body}");
    }
}
