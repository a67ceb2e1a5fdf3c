//! What createUpload refuses (bad input, anonymous callers, a flood of calls, too many unfinished
//! uploads), creating nothing when it does, and the file names it makes harmless.

use mediagate::store::UserId;
use serde_json::json;

use super::super::helpers::code;
use super::{
    CREATE, Setup, create, id_of, input, input_of, key_of, png, setup, sha256_hex, ticket,
};

#[tokio::test]
async fn bad_upload_requests_are_refused_and_create_nothing() {
    let Setup { app, _server } = setup(false, |_| {}).await;
    let alice = app.user("alice").await;
    let token = app.token("alice");
    let sum = sha256_hex(&png(10));
    let sum = Some(sum.as_str());
    for (inp, says) in [
        (input("a.png", "image/png", 0, sum), "at least 1 byte"),
        (
            input("a.png", "image/png", 25 * 1024 * 1024 + 1, sum),
            "over the limit",
        ),
        (input("a.html", "text/html", 10, sum), "not accepted"),
        (input("a.svg", "image/svg+xml", 10, sum), "not accepted"),
        (input("..", "image/png", 10, sum), "no usable characters"),
        (
            input("a.png", "image/png", 10, Some("xyz")),
            "sha256 must be",
        ),
        (input("a.png", "image/png", 10, None), "sha256 is required"),
    ] {
        let body = create(&app, &token, inp.clone()).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{inp}: {body}");
        assert!(body.to_string().contains(says), "{inp}: {body}");
    }
    let owner = UserId::parse(&alice).expect("id");
    assert_eq!(app.store().count_pending(&owner).await.expect("count"), 0);
    // Path traversal in a name is harmless: only its last part survives, under our prefix.
    let t = ticket(
        &app,
        &token,
        input_of("../../etc/passwd", "image/png", &png(10)),
    )
    .await;
    assert_eq!(key_of(&t), format!("{alice}/{}/passwd", id_of(&t)));
    // Anonymous callers cannot upload.
    let (_, body) = app
        .gql(
            None,
            CREATE,
            json!({ "in": input_of("a.png", "image/png", &png(10)) }),
        )
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
}

#[tokio::test]
async fn a_flood_of_create_upload_calls_is_rate_limited() {
    let Setup { app, _server } = setup(false, |c| {
        c.uploads.per_minute = 5;
        c.uploads.max_pending_per_user = 100;
    })
    .await;
    app.user("alice").await;
    app.user("bob").await;
    let token = app.token("alice");
    for _ in 0..5 {
        ticket(&app, &token, input_of("a.png", "image/png", &png(10))).await;
    }
    let body = create(&app, &token, input_of("a.png", "image/png", &png(10))).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    assert!(body.to_string().contains("try again in 12 s"), "{body}");
    // Bob is not slowed down by Alice.
    ticket(
        &app,
        &app.token("bob"),
        input_of("b.png", "image/png", &png(10)),
    )
    .await;
    // A minute later Alice may go on.
    app.clock.advance(60);
    ticket(&app, &token, input_of("a.png", "image/png", &png(10))).await;
}

#[tokio::test]
async fn unfinished_uploads_per_user_are_capped() {
    let Setup { app, _server } = setup(false, |c| c.uploads.max_pending_per_user = 2).await;
    app.user("alice").await;
    let token = app.token("alice");
    ticket(&app, &token, input_of("a.png", "image/png", &png(10))).await;
    ticket(&app, &token, input_of("b.png", "image/png", &png(10))).await;
    let body = create(&app, &token, input_of("c.png", "image/png", &png(10))).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    assert!(body.to_string().contains("2 unfinished uploads"), "{body}");
}
