//! An image the viewer may not see is answered exactly like one that does not exist: the same
//! bytes, and the same work (one store lookup either way), so timing does not tell them apart.
//! The figures are printed, not asserted: wall-clock thresholds in tests only measure the machine.

use std::time::{Duration, Instant};

use mediagate::store::{ImageId, UserId, Visibility};
use serde_json::json;

use super::helpers::TestApp;

const IMAGE: &str = "query($i: ID!) { image(id: $i) { id url } }";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn a_hidden_image_and_a_missing_one_cost_the_same() {
    let app = TestApp::spawn().await;
    app.user("alice").await;
    app.user("bob").await;
    app.image("alice", "alice-private", Visibility::Private)
        .await;
    let bob = app.token("bob");
    let ask = |id: &'static str| {
        let bob = bob.clone();
        let app = &app;
        async move {
            let started = Instant::now();
            let (status, body) = app.gql(Some(&bob), IMAGE, json!({ "i": id })).await;
            (started.elapsed(), status, body)
        }
    };
    // Warm both paths (statement caches, the user cache, connections).
    for _ in 0..50 {
        ask("alice-private").await;
        ask("no-such-image").await;
    }
    let (mut hidden, mut missing) = (Vec::new(), Vec::new());
    for _ in 0..400 {
        // Alternating, so a slow moment of the machine hits both alike.
        let (t, status, body) = ask("alice-private").await;
        assert_eq!(
            (status, &body),
            (200, &json!({ "data": { "image": null } }))
        );
        hidden.push(t);
        let (t, status, body) = ask("no-such-image").await;
        assert_eq!(
            (status, &body),
            (200, &json!({ "data": { "image": null } }))
        );
        missing.push(t);
    }
    let (hidden, missing) = (median(hidden), median(missing));
    println!(
        "image(id) for a signed-in viewer, median of 400 each over HTTP: someone else's PRIVATE \
         image {hidden:?}, a missing id {missing:?}, difference {:?}",
        hidden.abs_diff(missing)
    );

    // The store's part alone, where the old code did a second lookup (the friendship) only for
    // an image that exists.
    let viewer = UserId::parse("bob").expect("id");
    let lookup = |id: &'static str| {
        let store = app.store().clone();
        let viewer = viewer.clone();
        async move {
            let id = ImageId::parse(id).expect("id");
            let started = Instant::now();
            let found = store.image_for(&id, Some(&viewer)).await.expect("lookup");
            (started.elapsed(), found.is_some())
        }
    };
    let (mut hidden, mut missing) = (Vec::new(), Vec::new());
    for _ in 0..2000 {
        let (t, found) = lookup("alice-private").await;
        assert!(found);
        hidden.push(t);
        let (t, found) = lookup("no-such-image").await;
        assert!(!found);
        missing.push(t);
    }
    let (hidden, missing) = (median(hidden), median(missing));
    println!(
        "the store lookup alone, median of 2000 each: PRIVATE image {hidden:?}, missing id \
         {missing:?}, difference {:?}",
        hidden.abs_diff(missing)
    );
}
