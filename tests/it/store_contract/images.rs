//! Images: every field read back as written, keys and ids unique, and an owner's images paged
//! newest first through ties, filtered by visibility and status.

use crate::support::change;
use mediagate::store::{
    GalleryQuery, Image, ImageStatus, PageAfter, Store, StoreError, UserId, Visibility,
};

use super::{ids, iid, image, uid};

pub(super) async fn images(store: &dyn Store) {
    store
        .upsert_user("iss|ivy", &uid("ivy"), "Ivy", 1)
        .await
        .unwrap();
    assert_eq!(store.image(&iid("ivy-none")).await.unwrap(), None);

    // Every field different from every other and from the defaults.
    let full = Image {
        id: iid("ivy-full"),
        owner_id: uid("ivy"),
        key: "ivy/ivy-full/holiday photo.png".into(),
        visibility: Visibility::Friends,
        status: ImageStatus::Pending,
        content_type: "image/png".into(),
        size: 9_876_543_210,
        sha256: Some("ab".repeat(32)),
        created_at_ms: 1_700_000_000_123,
        updated_at_ms: 1_700_000_000_456,
        link_version: 0,
    };
    store.insert_image(&full).await.unwrap();
    assert_eq!(store.image(&full.id).await.unwrap(), Some(full.clone()));

    let plain = image(
        "ivy",
        "ivy-plain",
        5,
        Visibility::Private,
        ImageStatus::Failed,
    );
    store.insert_image(&plain).await.unwrap();
    assert_eq!(store.image(&plain.id).await.unwrap(), Some(plain.clone()));

    let same_id = Image {
        key: "ivy/ivy-full/other.jpg".into(),
        ..full.clone()
    };
    let err = store.insert_image(&same_id).await;
    assert!(
        matches!(&err, Err(StoreError::Conflict(what)) if what == "image ivy-full"),
        "{err:?}"
    );

    let same_key = Image {
        id: iid("ivy-copy"),
        ..full.clone()
    };
    let err = store.insert_image(&same_key).await;
    assert!(
        matches!(&err, Err(StoreError::Conflict(what)) if what == "image ivy-copy"),
        "{err:?}"
    );
    assert_eq!(store.image(&iid("ivy-copy")).await.unwrap(), None);
    assert_eq!(
        store.image(&full.id).await.unwrap(),
        Some(full),
        "the original is untouched"
    );

    // Foreign keys are enforced (SQLite leaves them off unless asked).
    let orphan = image(
        "ghost",
        "ghost-1",
        1,
        Visibility::Public,
        ImageStatus::Ready,
    );
    let err = store.insert_image(&orphan).await;
    assert!(matches!(err, Err(StoreError::Database(_))), "{err:?}");
}

pub(super) async fn images_by_owner(store: &dyn Store) {
    use ImageStatus::{Deleted, Pending, Ready};
    use Visibility::{Friends, Private, Public};

    for (subject, id) in [("iss|bob", "bob"), ("iss|eve", "eve")] {
        store.upsert_user(subject, &uid(id), id, 1).await.unwrap();
    }
    // Ties on created_at_ms fall to id DESC, in byte order ("b-a" > "b-Z" > "b-D").
    let public_ready = [
        ("b-g", 50),
        ("b-h", 100),
        ("b-e", 200),
        ("b-a", 300),
        ("b-c", 300),
        ("b-Z", 300),
        ("b-f", 300),
        ("b-a2", 300),
        ("b-D", 300),
    ];
    for (id, at) in public_ready {
        store
            .insert_image(&image("bob", id, at, Public, Ready))
            .await
            .unwrap();
    }
    for (id, at, visibility, status) in [
        ("b-private", 400, Private, Ready),
        ("b-friends", 350, Friends, Ready),
        ("b-pending", 500, Public, Pending),
        ("b-deleted", 600, Public, Deleted),
    ] {
        store
            .insert_image(&image("bob", id, at, visibility, status))
            .await
            .unwrap();
    }
    store
        .insert_image(&image("eve", "e-1", 250, Public, Ready))
        .await
        .unwrap();

    let public = [
        "b-f", "b-c", "b-a2", "b-a", "b-Z", "b-D", "b-e", "b-h", "b-g",
    ];
    let public = &public[..];
    let bob = uid("bob");
    let page = |visibilities: &'static [Visibility], status, after: Option<PageAfter>, limit| {
        let bob = bob.clone();
        async move {
            store
                .images_by_owner(&bob, status, visibilities, after.as_ref(), limit)
                .await
                .unwrap()
        }
    };

    // Fix the expectation so the test does not depend on my reading of it.
    let mut by_rule: Vec<(i64, &str)> = public_ready.iter().map(|&(id, at)| (at, id)).collect();
    by_rule.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.as_bytes().cmp(a.1.as_bytes())));
    assert_eq!(by_rule.iter().map(|p| p.1).collect::<Vec<_>>(), public);

    assert_eq!(ids(&page(&[Public], Ready, None, 100).await), public);
    assert_eq!(ids(&page(&[Public], Ready, None, 3).await), &public[..3]);
    assert!(page(&[Public], Ready, None, 0).await.is_empty());

    // Pagination: every page size walks the same sequence, the cursor going through the ties.
    for limit in 1..=4u32 {
        let mut walked = Vec::new();
        let mut after = None;
        loop {
            let got = page(&[Public], Ready, after.clone(), limit).await;
            assert!(got.len() <= limit as usize);
            let Some(last) = got.last() else { break };
            after = Some(PageAfter {
                created_at_ms: last.created_at_ms,
                id: last.id.clone(),
            });
            walked.extend(got.iter().map(|i| i.id.to_string()));
            assert!(
                walked.len() <= public.len(),
                "limit {limit}: runs past the end: {walked:?}"
            );
        }
        assert_eq!(walked, public, "limit {limit}");
    }
    // A cursor in the middle of a tie.
    let after = PageAfter {
        created_at_ms: 300,
        id: iid("b-a2"),
    };
    assert_eq!(
        ids(&page(&[Public], Ready, Some(after), 100).await),
        &public[3..]
    );
    // A cursor that is not an existing image still means "strictly after".
    let after = PageAfter {
        created_at_ms: 300,
        id: iid("b-b"),
    };
    assert_eq!(
        ids(&page(&[Public], Ready, Some(after), 2).await),
        ["b-a2", "b-a"]
    );

    // Visibility filter.
    let with_friends = page(&[Public, Friends], Ready, None, 100).await;
    assert_eq!(ids(&with_friends)[0], "b-friends");
    assert_eq!(&ids(&with_friends)[1..], public);
    assert_eq!(
        ids(&page(&[Friends, Public], Ready, None, 100).await),
        ids(&with_friends)
    );
    assert_eq!(
        ids(&page(&[Private], Ready, None, 100).await),
        ["b-private"]
    );
    assert_eq!(
        ids(&page(&[Private, Private], Ready, None, 100).await),
        ["b-private"]
    );
    let everything = page(&[Private, Friends, Public], Ready, None, 100).await;
    assert_eq!(ids(&everything)[..2], ["b-private", "b-friends"]);
    assert_eq!(&ids(&everything)[2..], public);
    assert!(page(&[], Ready, None, 100).await.is_empty());

    // Status filter.
    assert_eq!(
        ids(&page(&[Public], Pending, None, 100).await),
        ["b-pending"]
    );
    assert_eq!(
        ids(&page(&[Public], Deleted, None, 100).await),
        ["b-deleted"]
    );
    assert!(
        page(&[Public], ImageStatus::Failed, None, 100)
            .await
            .is_empty()
    );

    // Whole rows come back, and only the owner's.
    let eve = store
        .images_by_owner(&uid("eve"), Ready, &[Public], None, 100)
        .await
        .unwrap();
    assert_eq!(eve, [image("eve", "e-1", 250, Public, Ready)]);
    let nobody = store
        .images_by_owner(&uid("nobody"), Ready, &[Public], None, 100)
        .await
        .unwrap();
    assert!(nobody.is_empty());

    // A signed-in viewer's page: the friendship decided in the statement, the lists the caller's.
    for (subject, id) in [("iss|fay", "fay"), ("iss|sam", "sam")] {
        store.upsert_user(subject, &uid(id), id, 1).await.unwrap();
    }
    let (fay, sam) = (uid("fay"), uid("sam"));
    store
        .request_friendship(&fay, &bob, 5, &change(2))
        .await
        .unwrap();
    assert!(
        store
            .accept_friendship(&bob, &fay, &change(3))
            .await
            .unwrap()
    );
    let gallery = |viewer: UserId, after: Option<PageAfter>, limit: u32| {
        let bob = bob.clone();
        async move {
            store
                .gallery_for(GalleryQuery {
                    owner: &bob,
                    viewer: &viewer,
                    status: Ready,
                    if_friend: &[Friends, Public],
                    otherwise: &[Public],
                    after: after.as_ref(),
                    limit,
                })
                .await
                .unwrap()
        }
    };
    let (as_friend, friends) = gallery(fay.clone(), None, 100).await;
    assert_eq!((ids(&as_friend), friends), (ids(&with_friends), Some(true)));
    let (as_stranger, friends) = gallery(sam.clone(), None, 100).await;
    assert_eq!((ids(&as_stranger), friends), (public.to_vec(), Some(false)));
    // Its cursor walks the same sequence as the plain page's.
    let after = PageAfter {
        created_at_ms: 300,
        id: iid("b-a2"),
    };
    let (rest, _) = gallery(sam.clone(), Some(after.clone()), 2).await;
    assert_eq!(ids(&rest), &public[3..5]);
    let (rest, _) = gallery(fay.clone(), Some(after), 100).await;
    assert_eq!(ids(&rest), &public[3..]);
    // An empty page knows nothing of the friendship.
    assert_eq!(gallery(fay.clone(), None, 0).await, (vec![], None));
    // Nothing shown whoever asks: no rows, and no statement needed.
    let none = store
        .gallery_for(GalleryQuery {
            owner: &bob,
            viewer: &fay,
            status: Ready,
            if_friend: &[],
            otherwise: &[],
            after: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(none, (vec![], None));
    // The friendship ended: the next page says so.
    assert!(
        store
            .remove_friendship(&fay, &bob, &change(0))
            .await
            .unwrap()
    );
    let (after_end, friends) = gallery(fay, None, 100).await;
    assert_eq!((ids(&after_end), friends), (public.to_vec(), Some(false)));
}
