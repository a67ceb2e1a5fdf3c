//! Revocation floors and the audit trail, as every backend keeps them: written in the change's
//! transaction, read back by the edge and the audit log, sent to and removed from the edge store,
//! pruned.

use crate::support::change;
use mediagate::store::{
    Actor, AuditAction, AuditQuery, Change, EdgeDue, ImageStatus, Revoke, Store, Visibility,
};

use super::{iid, image, uid};

const REVOKE: Revoke = Revoke {
    link_lifetime_ms: 3_900_000,
    max_entries: 2,
};

/// 2027-01-15T08:00:00Z, in milliseconds.
const T: i64 = 1_800_000_000_000;

fn floors(entries: &[mediagate::store::RevocationEntry]) -> Vec<(&str, i64)> {
    let mut v: Vec<_> = entries
        .iter()
        .map(|e| (e.prefix.as_str(), e.floor))
        .collect();
    v.sort_unstable();
    v
}

pub async fn revocation(store: &dyn Store) {
    for (who, name) in [("rhea", "Rhea"), ("rune", "Ravi")] {
        store
            .upsert_user(&format!("iss|{who}"), &uid(who), name, 1)
            .await
            .unwrap();
    }
    let a = image("rhea", "rhea-a", 10, Visibility::Public, ImageStatus::Ready);
    let b = image("rhea", "rhea-b", 11, Visibility::Public, ImageStatus::Ready);
    store.insert_image(&a).await.unwrap();
    store.insert_image(&b).await.unwrap();

    // One image: its version becomes the floor, the owner's revision follows, one entry.
    let revoked = store
        .revoke_image_links(&a.id, &change(T).revoking(Some(REVOKE)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.link_version, T / 1000);
    assert_eq!(
        store
            .user(&uid("rhea"))
            .await
            .unwrap()
            .unwrap()
            .links_revised,
        T / 1000
    );
    let entries = store.revocation_floors(&uid("rhea"), &a.id).await.unwrap();
    assert_eq!(floors(&entries), [("rhea/rhea-a/", T / 1000)]);
    assert_eq!(entries[0].expires_at_ms, T + 3_900_000);
    // Untouched: the other image, and the image a missing id would be.
    assert_eq!(store.image(&b.id).await.unwrap().unwrap().link_version, 0);
    assert!(
        store
            .revocation_floors(&uid("rhea"), &b.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .revoke_image_links(&iid("rhea-none"), &change(T).revoking(Some(REVOKE)))
            .await
            .unwrap(),
        None
    );

    // A second revocation in the same second goes above the first: no link issued between the
    // two can pass the new floor.
    let again = store
        .revoke_image_links(&a.id, &change(T + 300).revoking(Some(REVOKE)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.link_version, T / 1000 + 1);

    // Narrowing with a revocation: the same transaction raises the version.
    let narrowed = store
        .set_visibility(
            &b.id,
            Visibility::Private,
            &change(T + 5_000).before("PUBLIC").revoking(Some(REVOKE)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (narrowed.visibility, narrowed.link_version),
        (Visibility::Private, T / 1000 + 5)
    );

    // The whole account: every image carries the floor, one entry for the owner.
    let floor = store
        .revoke_account_links(&uid("rhea"), &change(T + 10_000).revoking(Some(REVOKE)))
        .await
        .unwrap();
    assert_eq!(floor, Some(T / 1000 + 10));
    for id in [&a.id, &b.id] {
        assert_eq!(
            store.image(id).await.unwrap().unwrap().link_version,
            T / 1000 + 10
        );
    }
    assert_eq!(
        floors(&store.revocation_floors(&uid("rhea"), &a.id).await.unwrap()),
        [("rhea/", T / 1000 + 10), ("rhea/rhea-a/", T / 1000 + 1)]
    );
    assert_eq!(
        store
            .revoke_account_links(&uid("nobody"), &change(T).revoking(Some(REVOKE)))
            .await
            .unwrap(),
        None
    );

    friendship_end(store).await;
    edge_outbox(store).await;
    audit_trail(store).await;
}

/// A friendship's end revokes each READY FRIENDS image of both sides, or a side's whole account
/// above `max_entries`.
async fn friendship_end(store: &dyn Store) {
    for who in ["fia", "fox"] {
        store
            .upsert_user(&format!("iss|{who}"), &uid(who), who, 1)
            .await
            .unwrap();
    }
    let mut n = 0;
    let mut add = |owner: &str, visibility, status| {
        n += 1;
        image(owner, &format!("{owner}-{n}"), n, visibility, status)
    };
    // fia: two FRIENDS (the limit), one PUBLIC, one FRIENDS still PENDING.
    let fia = [
        add("fia", Visibility::Friends, ImageStatus::Ready),
        add("fia", Visibility::Friends, ImageStatus::Ready),
        add("fia", Visibility::Public, ImageStatus::Ready),
        add("fia", Visibility::Friends, ImageStatus::Pending),
    ];
    // fox: three FRIENDS, over the limit.
    let fox = [
        add("fox", Visibility::Friends, ImageStatus::Ready),
        add("fox", Visibility::Friends, ImageStatus::Ready),
        add("fox", Visibility::Friends, ImageStatus::Ready),
    ];
    for i in fia.iter().chain(&fox) {
        store.insert_image(i).await.unwrap();
    }
    store
        .request_friendship(&uid("fia"), &uid("fox"), 5, &change(T))
        .await
        .unwrap();
    assert!(
        store
            .accept_friendship(&uid("fox"), &uid("fia"), &change(T))
            .await
            .unwrap()
    );
    assert!(
        store
            .remove_friendship(
                &uid("fox"),
                &uid("fia"),
                &change(T + 20_000).revoking(Some(REVOKE))
            )
            .await
            .unwrap()
    );
    let floor = T / 1000 + 20;
    let version = |i: &mediagate::store::Image| {
        let id = i.id.clone();
        async move { store.image(&id).await.unwrap().unwrap().link_version }
    };
    assert_eq!(version(&fia[0]).await, floor);
    assert_eq!(version(&fia[1]).await, floor);
    assert_eq!(version(&fia[2]).await, 0, "PUBLIC stays");
    assert_eq!(version(&fia[3]).await, 0, "never linked");
    assert_eq!(
        floors(
            &store
                .revocation_floors(&uid("fia"), &fia[0].id)
                .await
                .unwrap()
        ),
        [(format!("fia/{}/", fia[0].id).as_str(), floor)]
    );
    assert!(
        store
            .revocation_floors(&uid("fia"), &fia[2].id)
            .await
            .unwrap()
            .is_empty()
    );
    // fox had more than max_entries: one floor for the account, every image raised.
    assert_eq!(
        floors(
            &store
                .revocation_floors(&uid("fox"), &fox[0].id)
                .await
                .unwrap()
        ),
        [("fox/", floor)]
    );
    for i in &fox {
        assert_eq!(version(i).await, floor);
    }
    // Ending what is no friendship revokes nothing.
    assert!(
        !store
            .remove_friendship(
                &uid("fox"),
                &uid("fia"),
                &change(T + 30_000).revoking(Some(REVOKE))
            )
            .await
            .unwrap()
    );
    assert_eq!(version(&fia[0]).await, floor);
}

/// The edge outbox: live floors are due once, expired ones the edge holds are due for deletion,
/// expired ones it never held are pruned.
async fn edge_outbox(store: &dyn Store) {
    let now = T + 60_000;
    let mut due = store.claim_edge_due(now, now + 30_000, 100).await.unwrap();
    due.sort_by(|a, b| a.prefix.cmp(&b.prefix));
    assert!(due.iter().all(|d| !d.expired));
    assert!(due.iter().any(|d| d.prefix == "rhea/"));
    // Claimed: another sender gets none of them until the claim lapses.
    assert!(
        store
            .claim_edge_due(now, now + 30_000, 100)
            .await
            .unwrap()
            .is_empty()
    );
    for d in &due {
        store.edge_synced(&d.prefix, d.floor).await.unwrap();
    }
    assert!(
        store
            .claim_edge_due(now + 40_000, now + 70_000, 100)
            .await
            .unwrap()
            .is_empty(),
        "the edge holds every floor"
    );
    // A raised floor is due again.
    store
        .revoke_account_links(&uid("rhea"), &change(now).revoking(Some(REVOKE)))
        .await
        .unwrap();
    let again = store
        .claim_edge_due(now + 1_000, now + 2_000, 100)
        .await
        .unwrap();
    assert_eq!(
        again,
        [EdgeDue {
            prefix: "rhea/".into(),
            floor: now / 1000,
            expired: false
        }]
    );
    // A stale confirmation (of the old floor) leaves it due.
    store.edge_synced("rhea/", T / 1000 + 10).await.unwrap();
    let later = now + 3_000;
    assert_eq!(
        store
            .claim_edge_due(later, later + 1, 100)
            .await
            .unwrap()
            .len(),
        1
    );
    store.edge_synced("rhea/", now / 1000).await.unwrap();

    // A floor raised while a sender holds the entry stays with that sender's claim, so no two
    // senders write one key at once; confirming the floor it sent ends the claim, and the newer
    // floor is due again.
    let rhea = uid("rhea");
    store
        .revoke_account_links(&rhea, &change(now + 4_000).revoking(Some(REVOKE)))
        .await
        .unwrap();
    let held = store
        .claim_edge_due(now + 5_000, now + 65_000, 100)
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    let newer = store
        .revoke_account_links(&rhea, &change(now + 5_500).revoking(Some(REVOKE)))
        .await
        .unwrap()
        .expect("rhea exists");
    assert!(newer > held[0].floor);
    assert!(
        store
            .claim_edge_due(now + 5_600, now + 65_000, 100)
            .await
            .unwrap()
            .is_empty(),
        "another sender took a claimed entry"
    );
    store.edge_synced("rhea/", held[0].floor).await.unwrap();
    let due_again = store
        .claim_edge_due(now + 5_700, now + 65_000, 100)
        .await
        .unwrap();
    assert_eq!(
        due_again,
        [EdgeDue {
            prefix: "rhea/".into(),
            floor: newer,
            expired: false
        }]
    );
    store.edge_synced("rhea/", newer).await.unwrap();

    // Once expired: what the edge holds is due for deletion, and goes when confirmed.
    let expired_at = now + 5_500 + 3_900_000;
    let gone = store
        .claim_edge_due(expired_at, expired_at + 1, 1000)
        .await
        .unwrap();
    assert!(
        gone.iter().any(|d| d.prefix == "rhea/" && d.expired),
        "{gone:?}"
    );
    for d in &gone {
        store.edge_removed(&d.prefix, expired_at).await.unwrap();
    }
    assert!(
        store
            .revocation_floors(&uid("rhea"), &iid("rhea-a"))
            .await
            .unwrap()
            .is_empty()
    );
    // An expired floor no edge store ever held is pruned by the reaper.
    store
        .revoke_image_links(&iid("rhea-b"), &change(expired_at).revoking(Some(REVOKE)))
        .await
        .unwrap();
    assert_eq!(store.prune_revocations(expired_at).await.unwrap(), 0);
    assert_eq!(
        store
            .prune_revocations(expired_at + 3_900_000)
            .await
            .unwrap(),
        1
    );
}

/// Events in the change's transaction, only when something changed; each user sees those about
/// their images and friendships; newest first, paged; pruned by age.
async fn audit_trail(store: &dyn Store) {
    let all = |user: Option<&str>| {
        let user = user.map(uid);
        async move {
            store
                .audit_events(&AuditQuery {
                    user,
                    limit: 1000,
                    ..AuditQuery::default()
                })
                .await
                .unwrap()
        }
    };
    let rhea = all(Some("rhea")).await;
    let actions: Vec<_> = rhea.iter().map(|e| e.action).collect();
    // Newest first; the no-ops (a missing image, a missing user) wrote nothing.
    assert_eq!(
        actions,
        [
            AuditAction::LinksRevoked,
            AuditAction::AccountLinksRevoked,
            AuditAction::AccountLinksRevoked,
            AuditAction::AccountLinksRevoked,
            AuditAction::AccountLinksRevoked,
            AuditAction::VisibilityChanged,
            AuditAction::LinksRevoked,
            AuditAction::LinksRevoked,
        ]
    );
    let visibility = &rhea[5];
    assert_eq!(
        (visibility.before.as_deref(), visibility.after.as_deref()),
        (Some("PUBLIC"), Some("PRIVATE"))
    );
    assert_eq!(visibility.image, Some(iid("rhea-b")));
    assert_eq!(visibility.actor, "system");
    assert!(rhea.windows(2).all(|w| w[0].id > w[1].id));
    // A friendship's events are seen from both sides; nobody sees another's images' events.
    let fox = all(Some("fox")).await;
    let fox_actions: Vec<_> = fox.iter().map(|e| e.action).collect();
    assert_eq!(
        fox_actions,
        [
            AuditAction::FriendshipEnded,
            AuditAction::FriendAccepted,
            AuditAction::FriendRequested
        ]
    );
    assert_eq!(
        fox_actions,
        all(Some("fia"))
            .await
            .iter()
            .map(|e| e.action)
            .collect::<Vec<_>>()
    );
    assert!(fox.iter().all(|e| e.image.is_none()));
    assert!(all(Some("rune")).await.is_empty());

    // Who and from where, as the change says.
    let someone = Actor {
        user: Some(uid("rune")),
        request_id: Some("req-123".into()),
        client: Some("192.0.2.7".into()),
    };
    let r = image(
        "rune",
        "rune-1",
        1,
        Visibility::Public,
        ImageStatus::Pending,
    );
    store.insert_image(&r).await.unwrap();
    store
        .set_status(
            &r.id,
            ImageStatus::Pending,
            ImageStatus::Ready,
            AuditAction::UploadCompleted,
            &Change::by(&someone, T + 90_000).before("PENDING"),
        )
        .await
        .unwrap();
    // A transition that does not happen records nothing.
    store
        .set_status(
            &r.id,
            ImageStatus::Pending,
            ImageStatus::Ready,
            AuditAction::UploadCompleted,
            &Change::by(&someone, T + 91_000),
        )
        .await
        .unwrap();
    let rune = all(Some("rune")).await;
    assert_eq!(rune.len(), 1, "{rune:?}");
    let e = &rune[0];
    assert_eq!(
        (
            e.actor.as_str(),
            e.request_id.as_deref(),
            e.client.as_deref(),
            e.at_ms
        ),
        ("rune", Some("req-123"), Some("192.0.2.7"), T + 90_000)
    );

    // Pages: strictly older than the cursor; since a time.
    let page = store
        .audit_events(&AuditQuery {
            user: Some(uid("rhea")),
            before_id: Some(rhea[1].id),
            limit: 2,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        [rhea[2].id, rhea[3].id]
    );
    let recent = store
        .audit_events(&AuditQuery {
            since_ms: Some(T + 90_000),
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    // rune's completion and rhea-b's last revocation (edge_outbox's, an hour later).
    assert_eq!(recent.len(), 2, "{recent:?}");

    // Retention: everything before the cutoff goes.
    let before = all(None).await.len();
    let pruned = store.prune_audit(T + 90_000).await.unwrap();
    assert_eq!(pruned as usize, before - 2);
    assert_eq!(all(None).await.len(), 2);
}
