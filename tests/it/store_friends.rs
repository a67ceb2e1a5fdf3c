//! The store's friendship and upload-cap contract, run on every backend by `store_contract`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use crate::support::change;
use mediagate::store::{
    Admission, Befriend, FriendRequest, Image, ImageId, ImageStatus, Store, UploadLimits, UserId,
    Visibility,
};

fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

async fn user(store: &dyn Store, id: &str) -> UserId {
    store
        .upsert_user(&format!("iss|{id}"), &uid(id), id, 1)
        .await
        .unwrap();
    uid(id)
}

async fn friends(store: &dyn Store, a: &UserId, b: &UserId) -> bool {
    let there = store.are_friends(a, b).await.unwrap();
    let back = store.are_friends(b, a).await.unwrap();
    assert_eq!(there, back, "friendship must be symmetric");
    there
}

fn request(from: &UserId, to: &UserId, at: i64) -> FriendRequest {
    FriendRequest {
        from: from.clone(),
        to: to.clone(),
        created_at_ms: at,
    }
}

/// Only consent from both sides writes a friendship; either side ends it.
pub async fn friendships(store: &dyn Store) {
    let carol = user(store, "carol").await;
    let dave = user(store, "dave").await;
    let erin = user(store, "erin").await;
    let fay = user(store, "fay").await;
    assert!(!friends(store, &carol, &dave).await);

    // A request alone is not a friendship, however often it is made.
    for at in [10, 11] {
        let outcome = store
            .request_friendship(&carol, &dave, 5, &change(at))
            .await
            .unwrap();
        assert_eq!(outcome, Befriend::Requested);
        assert!(!friends(store, &carol, &dave).await);
    }
    let waiting = vec![request(&carol, &dave, 10)];
    assert_eq!(store.friend_requests(&carol, 10).await.unwrap(), waiting);
    assert_eq!(store.friend_requests(&dave, 10).await.unwrap(), waiting);
    assert!(store.friend_requests(&erin, 10).await.unwrap().is_empty());

    // The one who asked cannot accept for the other.
    assert!(
        !store
            .accept_friendship(&carol, &dave, &change(12))
            .await
            .unwrap()
    );
    assert!(!friends(store, &carol, &dave).await);
    assert!(
        store
            .accept_friendship(&dave, &carol, &change(13))
            .await
            .unwrap()
    );
    assert!(friends(store, &carol, &dave).await);

    // An image and the viewer's friendship with its owner, in one lookup.
    let photo = Image {
        owner_id: carol.clone(),
        ..pending("carol", 1)
    };
    store.insert_image(&photo).await.unwrap();
    let seen = |viewer: Option<UserId>| {
        let id = photo.id.clone();
        async move {
            store
                .image_for(&id, viewer.as_ref())
                .await
                .unwrap()
                .map(|(image, friends)| (image.id, friends))
        }
    };
    assert_eq!(
        seen(Some(dave.clone())).await,
        Some((photo.id.clone(), true))
    );
    assert_eq!(
        seen(Some(erin.clone())).await,
        Some((photo.id.clone(), false))
    );
    assert_eq!(
        seen(Some(carol.clone())).await,
        Some((photo.id.clone(), false))
    );
    assert_eq!(seen(None).await, Some((photo.id.clone(), false)));
    let missing = ImageId::parse("no-such-image").unwrap();
    assert!(
        store
            .image_for(&missing, Some(&dave))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.friend_requests(&carol, 10).await.unwrap().is_empty());
    assert_eq!(
        store
            .request_friendship(&dave, &carol, 5, &change(14))
            .await
            .unwrap(),
        Befriend::AlreadyFriends
    );
    assert!(
        !store
            .accept_friendship(&dave, &carol, &change(15))
            .await
            .unwrap()
    );

    // Either side ends it, once.
    assert!(
        store
            .remove_friendship(&dave, &carol, &change(0))
            .await
            .unwrap()
    );
    assert!(!friends(store, &carol, &dave).await);
    assert!(
        !store
            .remove_friendship(&carol, &dave, &change(0))
            .await
            .unwrap()
    );

    // Two crossing requests are consent from both sides.
    store
        .request_friendship(&carol, &dave, 5, &change(20))
        .await
        .unwrap();
    assert_eq!(
        store
            .request_friendship(&dave, &carol, 5, &change(21))
            .await
            .unwrap(),
        Befriend::Accepted
    );
    assert!(friends(store, &carol, &dave).await);
    assert!(store.friend_requests(&dave, 10).await.unwrap().is_empty());
    // Ending a friendship also clears a request left between the two.
    assert!(
        store
            .remove_friendship(&carol, &dave, &change(0))
            .await
            .unwrap()
    );

    // Declined by the one asked, or withdrawn by the one who asked: gone, no friendship.
    for (remover, other) in [(&dave, &carol), (&carol, &dave)] {
        store
            .request_friendship(&carol, &dave, 5, &change(30))
            .await
            .unwrap();
        assert!(
            store
                .remove_friend_request(remover, other, &change(0))
                .await
                .unwrap()
        );
        assert!(!friends(store, &carol, &dave).await);
        assert!(store.friend_requests(&dave, 10).await.unwrap().is_empty());
        assert!(
            !store
                .accept_friendship(&dave, &carol, &change(31))
                .await
                .unwrap()
        );
    }
    assert!(
        !store
            .remove_friend_request(&dave, &carol, &change(0))
            .await
            .unwrap()
    );

    // The cap on unanswered requests: nothing is written past it, asking again is harmless.
    assert_eq!(
        store
            .request_friendship(&erin, &carol, 2, &change(40))
            .await
            .unwrap(),
        Befriend::Requested
    );
    assert_eq!(
        store
            .request_friendship(&erin, &dave, 2, &change(41))
            .await
            .unwrap(),
        Befriend::Requested
    );
    assert_eq!(
        store
            .request_friendship(&erin, &fay, 2, &change(42))
            .await
            .unwrap(),
        Befriend::TooManyRequests
    );
    assert!(store.friend_requests(&fay, 10).await.unwrap().is_empty());
    assert_eq!(
        store
            .request_friendship(&erin, &dave, 2, &change(43))
            .await
            .unwrap(),
        Befriend::Requested
    );
    // Someone who asked you is accepted whatever your own count.
    assert_eq!(
        store
            .request_friendship(&carol, &erin, 0, &change(44))
            .await
            .unwrap(),
        Befriend::Accepted
    );
    // Newest first, both directions.
    assert_eq!(
        store.friend_requests(&erin, 10).await.unwrap(),
        vec![request(&erin, &dave, 41)]
    );
    assert_eq!(store.friend_requests(&erin, 0).await.unwrap(), vec![]);

    // Nobody befriends themselves, whatever the caller forgot to check.
    assert!(
        store
            .request_friendship(&fay, &fay, 5, &change(50))
            .await
            .is_err()
    );
    assert!(!friends(store, &fay, &fay).await);
}

fn pending(owner: &str, n: usize) -> Image {
    let id = format!("{owner}-p{n:02}");
    Image {
        key: format!("{owner}/{id}/x.jpg"),
        id: ImageId::parse(&id).unwrap(),
        owner_id: uid(owner),
        visibility: Visibility::Private,
        status: ImageStatus::Pending,
        content_type: "image/jpeg".into(),
        size: 1,
        sha256: None,
        created_at_ms: 1,
        updated_at_ms: 1,
        link_version: 0,
    }
}

/// Parallel uploads never pass the cap on PENDING images: the count and the insert are one step.
/// A cap of 20 PENDING uploads, and tickets enough not to get in its way.
const LIMITS: UploadLimits = UploadLimits {
    max_pending: 20,
    per_minute: 1000,
};

pub async fn pending_cap(store: Arc<dyn Store>) {
    let owner = user(&*store, "paula").await;
    let tasks: Vec<_> = (0..30)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let image = pending("paula", n);
                let admission = store
                    .insert_pending_image(&image, LIMITS, &change(1))
                    .await
                    .unwrap();
                (admission == Admission::Admitted).then_some(image.id)
            })
        })
        .collect();
    let mut inserted = Vec::new();
    for task in tasks {
        inserted.extend(task.await.unwrap());
    }
    assert_eq!(inserted.len(), 20);
    assert_eq!(store.count_pending(&owner).await.unwrap(), 20);
    // A finished upload frees its slot, for exactly one more.
    store
        .set_status(
            &inserted[0],
            ImageStatus::Pending,
            ImageStatus::Ready,
            mediagate::store::AuditAction::UploadCompleted,
            &change(2),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .insert_pending_image(&pending("paula", 40), LIMITS, &change(3))
            .await
            .unwrap(),
        Admission::Admitted
    );
    assert_eq!(
        store
            .insert_pending_image(&pending("paula", 41), LIMITS, &change(4))
            .await
            .unwrap(),
        Admission::TooManyPending { pending: 20 }
    );
    assert_eq!(store.count_pending(&owner).await.unwrap(), 20);
    assert!(
        store
            .image(&pending("paula", 41).id)
            .await
            .unwrap()
            .is_none()
    );
}
