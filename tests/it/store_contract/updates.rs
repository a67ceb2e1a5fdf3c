//! Updates of visibility and status, and the lifecycle the reaper walks.

use crate::support::change;
use mediagate::store::{Image, ImageStatus, ReapClaim, Store, Visibility};

use super::{ids, iid, image, uid};

pub(super) async fn updates(store: &dyn Store) {
    store
        .upsert_user("iss|uma", &uid("uma"), "Uma", 1)
        .await
        .unwrap();
    let original = Image {
        sha256: Some("cd".repeat(32)),
        ..image(
            "uma",
            "uma-1",
            100,
            Visibility::Private,
            ImageStatus::Pending,
        )
    };
    store.insert_image(&original).await.unwrap();

    let visible = store
        .set_visibility(&original.id, Visibility::Public, &change(200))
        .await
        .unwrap();
    let expected = Image {
        visibility: Visibility::Public,
        updated_at_ms: 200,
        ..original.clone()
    };
    assert_eq!(visible, Some(expected.clone()));
    assert_eq!(
        store.image(&original.id).await.unwrap(),
        Some(expected.clone())
    );

    let ready = store
        .set_status(
            &original.id,
            ImageStatus::Pending,
            ImageStatus::Ready,
            mediagate::store::AuditAction::UploadCompleted,
            &change(300),
        )
        .await
        .unwrap();
    let expected = Image {
        status: ImageStatus::Ready,
        updated_at_ms: 300,
        ..expected
    };
    assert_eq!(ready, Some(expected.clone()));
    assert_eq!(store.image(&original.id).await.unwrap(), Some(expected));

    let missing = iid("uma-missing");
    assert_eq!(
        store
            .set_visibility(&missing, Visibility::Public, &change(400))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .set_status(
                &missing,
                ImageStatus::Ready,
                ImageStatus::Deleted,
                mediagate::store::AuditAction::ImageDeleted,
                &change(400)
            )
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.image(&missing).await.unwrap(),
        None,
        "an update does not create"
    );
}

/// Status transitions are compare-and-set; the reaper's queries find what they promise.
pub(super) async fn lifecycle(store: &dyn Store) {
    store
        .upsert_user("iss|lee", &uid("lee"), "Lee", 1)
        .await
        .unwrap();
    let lee = uid("lee");
    assert_eq!(store.count_pending(&lee).await.unwrap(), 0);
    let rows = [
        ("lee-p-old", 100, ImageStatus::Pending),
        ("lee-p-new", 900, ImageStatus::Pending),
        ("lee-f-old", 110, ImageStatus::Failed),
        ("lee-f-new", 910, ImageStatus::Failed),
        ("lee-d-new", 950, ImageStatus::Deleted),
        ("lee-r-old", 50, ImageStatus::Ready),
    ];
    for (id, at, status) in rows {
        store
            .insert_image(&image("lee", id, at, Visibility::Private, status))
            .await
            .unwrap();
    }
    assert_eq!(store.count_pending(&lee).await.unwrap(), 2);
    // Deleted images whatever their age; pending and failed ones only when older than the cutoff.
    // (Other parts of the suite left images of their own; only Lee's are looked at.)
    let claim = |now_ms: i64, limit: u32| ReapClaim {
        pending_before_ms: 500,
        now_ms,
        until_ms: now_ms + 1000,
        limit,
    };
    let lees = |images: Vec<Image>| {
        let mut due = ids(&images)
            .into_iter()
            .filter(|id| id.starts_with("lee-"))
            .map(str::to_owned)
            .collect::<Vec<_>>();
        due.sort();
        due
    };
    let first = store.claim_reapable(claim(10_000, 2)).await.unwrap();
    assert_eq!(first.len(), 2, "limit");
    assert!(
        first
            .windows(2)
            .all(|w| w[0].created_at_ms <= w[1].created_at_ms),
        "oldest first"
    );
    // Once those claims lapse, everything due is claimed, by one claimer only.
    let due = store.claim_reapable(claim(11_001, 100)).await.unwrap();
    assert_eq!(lees(due), ["lee-d-new", "lee-f-old", "lee-p-old"]);
    assert_eq!(
        lees(store.claim_reapable(claim(11_500, 100)).await.unwrap()),
        Vec::<String>::new(),
        "claimed images are not handed out twice"
    );
    assert_eq!(
        lees(store.claim_reapable(claim(12_002, 100)).await.unwrap()),
        ["lee-d-new", "lee-f-old", "lee-p-old"],
        "a lapsed claim (its claimer died) is taken over"
    );

    // A transition from the wrong status changes nothing.
    assert_eq!(
        store
            .set_status(
                &iid("lee-d-new"),
                ImageStatus::Pending,
                ImageStatus::Ready,
                mediagate::store::AuditAction::UploadCompleted,
                &change(999)
            )
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .image(&iid("lee-d-new"))
            .await
            .unwrap()
            .unwrap()
            .status,
        ImageStatus::Deleted,
        "a deleted image is never revived"
    );
    let moved = store
        .set_status(
            &iid("lee-p-new"),
            ImageStatus::Pending,
            ImageStatus::Deleted,
            mediagate::store::AuditAction::ImageDeleted,
            &change(999),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (moved.status, moved.updated_at_ms),
        (ImageStatus::Deleted, 999)
    );
    assert_eq!(store.count_pending(&lee).await.unwrap(), 1);

    assert!(
        store
            .remove_image(&iid("lee-d-new"), &change(0))
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_image(&iid("lee-d-new"), &change(0))
            .await
            .unwrap()
    );
    assert_eq!(store.image(&iid("lee-d-new")).await.unwrap(), None);
    for (id, ..) in rows {
        store.remove_image(&iid(id), &change(0)).await.unwrap();
    }
}
