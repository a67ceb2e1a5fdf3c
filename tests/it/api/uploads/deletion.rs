//! An image that goes away: hidden at once, its object removed by the client or else by the
//! reaper, its paths invalidated at CloudFront.

use mediagate::lifecycle;
use mediagate::store::ImageStatus;
use serde_json::{Value, json};

use super::super::helpers::{FakeCloudFront, code};
use super::{
    DELETE, GALLERY, ONE, SET_VISIBILITY, Setup, complete, id_of, input_of, key_of, object_exists,
    png, put, setup, status_of, ticket, uploaded,
};

#[tokio::test]
async fn delete_hides_at_once_and_the_client_removes_the_object() {
    let Setup { app, _server } = setup(true, |_| {}).await;
    let alice_id = app.user("alice").await;
    app.user("bob").await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let (id, key) = uploaded(&app, &alice, "gone.png", "PUBLIC").await;
    let (_, body) = app.gql(Some(&bob), GALLERY, json!({ "u": alice_id })).await;
    assert_eq!(body["data"]["user"]["images"]["nodes"][0]["id"], json!(id));

    let (_, body) = app.gql(Some(&alice), DELETE, json!({ "i": id })).await;
    let req = &body["data"]["deleteImage"];
    assert_eq!(req["method"], "DELETE", "{body}");
    for token in [Some(&alice), Some(&bob), None] {
        let (_, one) = app
            .gql(token.map(String::as_str), ONE, json!({ "i": id }))
            .await;
        assert_eq!(one["data"]["image"], Value::Null, "{one}");
        let (_, page) = app
            .gql(token.map(String::as_str), GALLERY, json!({ "u": alice_id }))
            .await;
        assert_eq!(page["data"]["user"]["images"]["nodes"], json!([]), "{page}");
    }
    // Deleting twice: it is gone.
    let (_, again) = app.gql(Some(&alice), DELETE, json!({ "i": id })).await;
    assert_eq!(code(&again), "NOT_FOUND", "{again}");

    assert!(object_exists(&app, &key).await);
    let res = app
        .client
        .delete(req["url"].as_str().expect("url"))
        .send()
        .await
        .expect("DELETE");
    assert!(res.status().is_success(), "{}", res.status());
    assert!(!object_exists(&app, &key).await);
    let reaped = lifecycle::reap(&app.state, app.clock_now())
        .await
        .expect("reap");
    assert_eq!((reaped.deleted, reaped.errors), (1, 0));
    assert_eq!(status_of(&app, &id).await, None);
}

#[tokio::test]
async fn the_reaper_finishes_deletes_and_abandoned_uploads() {
    let Setup { app, _server } = setup(true, |c| c.uploads.abandon_after_secs = 600).await;
    app.user("alice").await;
    let alice = app.token("alice");
    let (deleted, deleted_key) = uploaded(&app, &alice, "d.png", "PRIVATE").await;
    let (kept, kept_key) = uploaded(&app, &alice, "k.png", "PRIVATE").await;
    let (_, body) = app.gql(Some(&alice), DELETE, json!({ "i": deleted })).await;
    assert!(body["errors"].is_null(), "{body}");
    let abandoned = ticket(&app, &alice, input_of("a.png", "image/png", &png(10))).await;
    assert_eq!(put(&app, &abandoned, png(10)).await.status(), 200);

    // Now: the client never sent its DELETE, so the reaper does it; the upload is still young.
    let first = lifecycle::reap(&app.state, app.clock_now())
        .await
        .expect("reap");
    assert_eq!((first.deleted, first.abandoned, first.errors), (1, 0, 0));
    assert!(!object_exists(&app, &deleted_key).await);
    assert_eq!(status_of(&app, &deleted).await, None);
    assert_eq!(
        status_of(&app, &id_of(&abandoned)).await,
        Some(ImageStatus::Pending)
    );

    // Past the abandon age the upload goes, object and all; READY images are never touched.
    app.clock.advance(601);
    let second = lifecycle::reap(&app.state, app.clock_now())
        .await
        .expect("reap");
    assert_eq!((second.deleted, second.abandoned, second.errors), (0, 1, 0));
    assert!(!object_exists(&app, &key_of(&abandoned)).await);
    assert_eq!(status_of(&app, &id_of(&abandoned)).await, None);
    let late = complete(&app, &alice, &id_of(&abandoned)).await;
    assert_eq!(code(&late), "NOT_FOUND", "{late}");
    assert!(object_exists(&app, &kept_key).await);
    assert_eq!(status_of(&app, &kept).await, Some(ImageStatus::Ready));
    let third = lifecycle::reap(&app.state, app.clock_now())
        .await
        .expect("reap");
    assert_eq!(third, lifecycle::Reaped::default());
}

#[tokio::test]
async fn fake_cloudfront_control_plane_gets_the_paths_of_hidden_and_deleted_images() {
    let (app, fake) = FakeCloudFront::app().await;
    app.user("alice").await;
    let alice = app.token("alice");
    let (narrowed, narrowed_key) = uploaded(&app, &alice, "n.png", "PUBLIC").await;
    let (widened, _) = uploaded(&app, &alice, "w.png", "PRIVATE").await;
    let (deleted, deleted_key) = uploaded(&app, &alice, "d.png", "FRIENDS").await;
    for (id, v) in [(&narrowed, "FRIENDS"), (&widened, "PUBLIC")] {
        let (_, body) = app
            .gql(Some(&alice), SET_VISIBILITY, json!({ "i": id, "v": v }))
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let (_, body) = app.gql(Some(&alice), DELETE, json!({ "i": deleted })).await;
    assert!(body["errors"].is_null(), "{body}");
    fake.wait_for(&[format!("/{narrowed_key}"), format!("/{deleted_key}")])
        .await;
}
