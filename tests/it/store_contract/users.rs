//! Users: one per subject, whatever id the caller proposes after the first.

use mediagate::store::{Store, StoreError, User};

use super::uid;

pub(super) async fn users(store: &dyn Store) {
    assert_eq!(store.user(&uid("nobody")).await.unwrap(), None);

    let created = store
        .upsert_user("iss|alice", &uid("alice"), "Alice", 1_000)
        .await
        .unwrap();
    let expected = User {
        id: uid("alice"),
        subject: "iss|alice".into(),
        username: "Alice".into(),
        created_at_ms: 1_000,
        links_revised: 0,
    };
    assert_eq!(created, expected);
    assert_eq!(
        store.user(&uid("alice")).await.unwrap(),
        Some(expected.clone())
    );

    // Seen again (the caller proposes a new id each time): same user, new name, same birth.
    let again = store
        .upsert_user("iss|alice", &uid("alice-2"), "Alice B.", 2_000)
        .await
        .unwrap();
    let renamed = User {
        username: "Alice B.".into(),
        ..expected
    };
    assert_eq!(again, renamed);
    assert_eq!(store.user(&uid("alice")).await.unwrap(), Some(renamed));
    assert_eq!(
        store.user(&uid("alice-2")).await.unwrap(),
        None,
        "no second user made"
    );

    // A new subject whose proposed id is taken.
    let taken = store
        .upsert_user("iss|mallory", &uid("alice"), "Mallory", 3_000)
        .await;
    assert!(
        matches!(&taken, Err(StoreError::Conflict(what)) if what.contains("alice")),
        "{taken:?}"
    );
    assert_eq!(
        store.user(&uid("alice")).await.unwrap().unwrap().subject,
        "iss|alice"
    );

    // A known subject whose proposed id belongs to someone else: the subject decides, the id is
    // ignored, nobody is touched but the subject's user.
    let bob = store
        .upsert_user("iss|bob", &uid("bob"), "Bob", 4_000)
        .await
        .unwrap();
    let alice = store
        .upsert_user("iss|alice", &uid("bob"), "Alice C.", 5_000)
        .await
        .unwrap();
    assert_eq!(
        (alice.id.as_str(), alice.username.as_str()),
        ("alice", "Alice C.")
    );
    assert_eq!(store.user(&uid("bob")).await.unwrap(), Some(bob));
}
