//! An owner's page (`images_by_owner`), and a signed-in visitor's (`gallery_for`, which also
//! probes the friendship), is one index range scan on both backends, answered from the index
//! alone: no sort, no table or bitmap scan, no lookup in the table per row.

use mediagate::store::{
    GalleryQuery, ImageStatus, PageAfter, PostgresStore, Seed as _, SqliteStore, UserId, Visibility,
};

/// A visitor's page of `owner`'s images, for the plan.
fn visitor<'a>(
    owner: &'a UserId,
    viewer: &'a UserId,
    after: Option<&'a PageAfter>,
) -> GalleryQuery<'a> {
    GalleryQuery {
        owner,
        viewer,
        status: ImageStatus::Ready,
        if_friend: &[Visibility::Friends, Visibility::Public],
        otherwise: &[Visibility::Public],
        after,
        limit: 20,
    }
}
use sqlx::postgres::PgPool;

use super::corrupt_rows::Raw;
use super::{iid, sqlite_url, uid, with_fresh_postgres};

/// Each page the plans are checked for: the first and a later one, an owner's and a visitor's.
fn variants(after: &PageAfter) -> [(Option<&PageAfter>, bool); 4] {
    [
        (None, false),
        (Some(after), false),
        (None, true),
        (Some(after), true),
    ]
}

/// The plan of a page of u0007's images, an owner's (`images_by_owner`) or visitor u0001's
/// (`gallery_for`): the same calls on either backend's store type.
macro_rules! plan {
    ($store:expr, $after:expr, $for_visitor:expr) => {{
        let (owner, viewer) = (uid("u0007"), uid("u0001"));
        if $for_visitor {
            $store
                .explain_gallery_for(visitor(&owner, &viewer, $after))
                .await
        } else {
            let public = [Visibility::Public];
            $store
                .explain_images_by_owner(&owner, ImageStatus::Ready, &public, $after, 20)
                .await
        }
        .unwrap()
    }};
}

#[tokio::test]
async fn store_sqlite_images_by_owner_is_one_index_range_scan() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::connect(&sqlite_url(&dir), 2).await.unwrap();
    store.seed(50, 100, "seed", 1, &|_| {}).await.unwrap();
    let after = PageAfter {
        created_at_ms: 1,
        id: iid("u0007-0050"),
    };
    for (after, for_visitor) in variants(&after) {
        let plan = plan!(store, after, for_visitor);
        println!(
            "SQLite plan (after: {after:?}, visitor: {for_visitor}):\n{}",
            plan.join("\n")
        );
        let range = match after {
            None => "SEARCH images USING COVERING INDEX images_by_owner (owner_id=? AND status=?)",
            Some(_) => {
                "SEARCH images USING COVERING INDEX images_by_owner (owner_id=? AND status=? AND (created_at_ms,id)<(?,?))"
            }
        };
        // The page is wrapped in a JSON aggregate (one row over sqlx's channel): the inner
        // SELECT must still be the one range scan, answered from the index alone (no lookup in
        // the table per row), and SQLite must sort nothing.
        assert!(
            plan.iter()
                .any(|line| line.trim_start_matches(['|', '-', '`', ' ']) == range),
            "no index range scan in {plan:?}"
        );
        assert!(
            !plan
                .iter()
                .any(|line| line.contains("TEMP B-TREE") || line.starts_with("SCAN images")),
            "a sort or a table scan in {plan:?}"
        );
    }
}

#[tokio::test]
async fn store_postgres_images_by_owner_is_one_index_scan() {
    with_fresh_postgres(
        "store_postgres_images_by_owner_is_one_index_scan",
        |url| async move {
            let store = PostgresStore::connect(&url, 2).await.unwrap();
            // Realistic shape (100 images an owner, pages of 20) and fresh statistics: the planner's
            // own choice, no enable_* switches.
            store.seed(50, 100, "seed", 1, &|_| {}).await.unwrap();
            let raw = PgPool::connect(&url).await.unwrap();
            Raw::Postgres(raw).execute("ANALYZE images").await.unwrap();
            let after = PageAfter {
                created_at_ms: 1,
                id: iid("u0007-0050"),
            };
            for (after, for_visitor) in variants(&after) {
                let plan = plan!(store, after, for_visitor);
                let text = plan.join("\n");
                println!("PostgreSQL plan (after: {after:?}, visitor: {for_visitor}):\n{text}");
                assert!(plan[0].starts_with("Limit"), "{text}");
                // The seeder ran VACUUM: the page comes from the covering index alone. (A
                // visitor's plan first probes the friendship, once, as an InitPlan.)
                assert!(
                    plan.iter()
                        .any(|l| l.contains("Index Only Scan using images_by_owner on images")),
                    "{text}"
                );
                if for_visitor {
                    assert!(
                        text.contains("InitPlan") && text.contains("friendships_pkey"),
                        "the friendship is not one probe per statement: {text}"
                    );
                }
                // The images scan's own condition (a visitor's plan has the friendship's first).
                let scan = plan
                    .iter()
                    .position(|l| l.contains("using images_by_owner on images"))
                    .expect(&text);
                let cond = plan[scan..]
                    .iter()
                    .find(|l| l.trim_start().starts_with("Index Cond:"))
                    .expect(&text);
                assert!(
                    cond.contains("owner_id = ") && cond.contains("status = "),
                    "{text}"
                );
                if after.is_some() {
                    assert!(
                        cond.contains("ROW(created_at_ms, id) < ROW("),
                        "cursor not in the index: {text}"
                    );
                }
                assert!(!text.contains("Sort") && !text.contains("Bitmap"), "{text}");
            }
        },
    )
    .await;
}
