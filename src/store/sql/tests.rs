use std::collections::BTreeSet;

use super::statements::ALL;
use super::visibility_slots;
use crate::store::{SqliteStore, Visibility};

/// Every shared statement prepares on the migrated SQLite schema, and its parameters are exactly
/// `$1`…`$n`: both binders go by those numbers (sqlx by the number in the name, the reader by the
/// name), so a gap or a stray spelling would bind a value to the wrong place.
#[tokio::test]
async fn every_statement_prepares_on_sqlite_with_parameters_numbered_from_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("statements.db");
    SqliteStore::connect(&format!("sqlite://{}", path.display()), 1)
        .await
        .expect("migrated database");
    let conn = rusqlite::Connection::open(&path).expect("open");
    for text in ALL {
        let statement = conn.prepare(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let count = statement.parameter_count();
        let names: BTreeSet<String> = (1..=count)
            .map(|i| statement.parameter_name(i).unwrap_or("?").to_owned())
            .collect();
        let expected: BTreeSet<String> = (1..=count).map(|i| format!("${i}")).collect();
        assert_eq!(names, expected, "{text}");
    }
}

/// The SQLite reader binds by position: its statements' parameters must appear in the order of
/// their numbers, so that SQLite's own numbering (by first appearance) is theirs.
#[test]
fn the_reader_s_statements_name_their_parameters_in_order() {
    let conn = rusqlite::Connection::open_in_memory().expect("open");
    conn.execute_batch(
        "CREATE TABLE images (id, owner_id, key, visibility, status, content_type, size, sha256, \
         created_at_ms, updated_at_ms, link_version); \
         CREATE TABLE users (id, subject, username, created_at_ms, links_revised); \
         CREATE TABLE friendships (user_id, friend_id)",
    )
    .expect("tables");
    for text in super::statements::READER {
        let statement = conn.prepare(text).expect("prepare");
        for i in 1..=statement.parameter_count() {
            assert_eq!(
                statement.parameter_name(i),
                Some(format!("${i}").as_str()),
                "{text}"
            );
        }
    }
}

#[test]
fn visibility_slots_are_distinct_and_padded_with_the_first() {
    use Visibility::*;
    assert_eq!(visibility_slots(&[Public]), ["PUBLIC"; 3]);
    assert_eq!(
        visibility_slots(&[Public, Private, Public]),
        ["PRIVATE", "PUBLIC", "PRIVATE"]
    );
    assert_eq!(
        visibility_slots(&[Friends, Public, Private]),
        ["PRIVATE", "FRIENDS", "PUBLIC"]
    );
    assert_eq!(visibility_slots(&[]), [""; 3]);
}
