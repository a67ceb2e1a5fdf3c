//! The seeder: users and images made once, a second run adds only the difference.

use std::sync::{Arc, Mutex};

use mediagate::store::{Image, ImageStatus, Seed, SeedReport, Store, User, Visibility};

use super::{iid, uid};

/// Seeding through `seeder`, read back through `store`.
pub(super) async fn seed(store: &dyn Store, seeder: &dyn Seed) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let record = {
        let calls = calls.clone();
        move |rows: u64| calls.lock().unwrap().push(rows)
    };

    let report = seeder.seed(3, 5, "seed", 777, &record).await.unwrap();
    assert_eq!(
        report,
        SeedReport {
            users: 3,
            images: 15
        }
    );
    let seen = calls.lock().unwrap().clone();
    assert!(!seen.is_empty(), "progress never called");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "progress goes backwards: {seen:?}"
    );

    for i in 0..3 {
        let id = format!("u{i:04}");
        let user = store.user(&uid(&id)).await.unwrap().unwrap();
        let expected = User {
            id: uid(&id),
            subject: format!("seed|{id}"),
            username: id.clone(),
            created_at_ms: 777,
            links_revised: 0,
        };
        assert_eq!(user, expected);
    }
    assert_eq!(store.user(&uid("u0003")).await.unwrap(), None);

    let got = store
        .images_by_owner(
            &uid("u0001"),
            ImageStatus::Ready,
            &[Visibility::Public],
            None,
            100,
        )
        .await
        .unwrap();
    let expected: Vec<Image> = (0..5i64)
        .rev()
        .map(|n| Image {
            id: iid(&format!("u0001-{n:04}")),
            owner_id: uid("u0001"),
            key: format!("u0001/u0001-{n:04}/{n:04}.jpg"),
            visibility: Visibility::Public,
            status: ImageStatus::Ready,
            content_type: "image/jpeg".into(),
            size: 1000 + n,
            sha256: None,
            created_at_ms: 777,
            updated_at_ms: 777,
            link_version: 0,
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(store.image(&iid("u0002-0005")).await.unwrap(), None);
    assert_eq!(
        store
            .image(&iid("u0002-0004"))
            .await
            .unwrap()
            .map(|i| i.key),
        Some("u0002/u0002-0004/0004.jpg".to_owned())
    );

    // Again: nothing new. Larger: only the difference.
    let report = seeder.seed(3, 5, "seed", 888, &|_| {}).await.unwrap();
    assert_eq!(
        report,
        SeedReport {
            users: 0,
            images: 0
        }
    );
    let report = seeder.seed(4, 6, "seed", 999, &|_| {}).await.unwrap();
    assert_eq!(
        report,
        SeedReport {
            users: 1,
            images: 9
        }
    );
    let first = store.image(&iid("u0000-0000")).await.unwrap().unwrap();
    assert_eq!(first.created_at_ms, 777, "an existing image is left alone");
    let added = store.image(&iid("u0000-0005")).await.unwrap().unwrap();
    assert_eq!((added.created_at_ms, added.size), (999, 1005));

    // Past 9999 the numbers just grow: u10000, not u1000 or u0000.
    let report = seeder.seed(10_001, 1, "seed", 1, &|_| {}).await.unwrap();
    assert_eq!(
        report,
        SeedReport {
            users: 10_001 - 4,
            images: 10_001 - 4
        }
    );
    let last = store.image(&iid("u10000-0000")).await.unwrap().unwrap();
    assert_eq!(last.key, "u10000/u10000-0000/0000.jpg");
    assert_eq!(
        store.user(&uid("u10000")).await.unwrap().unwrap().subject,
        "seed|u10000"
    );
}
