//! Friendships on SQLite: requests, consent, and the end of a friendship. Only an acceptance (or
//! two crossing requests, which are consent from both sides) writes `friendships`.

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, Sqlite, Transaction};

use super::{Befriend, FriendRequest, StoreError, UserId, parse_stored};

pub(super) async fn request(
    pool: &SqlitePool,
    from: &UserId,
    to: &UserId,
    max_outgoing: u32,
    now_ms: i64,
) -> Result<Befriend, StoreError> {
    // IMMEDIATE: the write lock is taken before the first read, so what is read stays true
    // until the commit (a deferred transaction could read, lose the race, and then fail).
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let friends = sqlx::query("SELECT 1 FROM friendships WHERE user_id = ?1 AND friend_id = ?2")
        .bind(from.as_str())
        .bind(to.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if friends.is_some() {
        return Ok(Befriend::AlreadyFriends);
    }
    let they_asked = sqlx::query("DELETE FROM friend_requests WHERE from_id = ?1 AND to_id = ?2")
        .bind(to.as_str())
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if they_asked {
        insert_friendship(&mut tx, from, to, now_ms).await?;
        tx.commit().await?;
        return Ok(Befriend::Accepted);
    }
    let asked_before =
        sqlx::query("SELECT 1 FROM friend_requests WHERE from_id = ?1 AND to_id = ?2")
            .bind(from.as_str())
            .bind(to.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if asked_before.is_some() {
        return Ok(Befriend::Requested);
    }
    let inserted = sqlx::query(
        "INSERT INTO friend_requests (from_id, to_id, created_at_ms)
         SELECT ?1, ?2, ?3 WHERE (SELECT count(*) FROM friend_requests WHERE from_id = ?1) < ?4",
    )
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(now_ms)
    .bind(i64::from(max_outgoing))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(if inserted > 0 {
        Befriend::Requested
    } else {
        Befriend::TooManyRequests
    })
}

pub(super) async fn accept(
    pool: &SqlitePool,
    me: &UserId,
    from: &UserId,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let asked = sqlx::query("DELETE FROM friend_requests WHERE from_id = ?1 AND to_id = ?2")
        .bind(from.as_str())
        .bind(me.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if !asked {
        return Ok(false);
    }
    insert_friendship(&mut tx, me, from, now_ms).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn remove_request(
    pool: &SqlitePool,
    a: &UserId,
    b: &UserId,
) -> Result<bool, StoreError> {
    let removed = sqlx::query(
        "DELETE FROM friend_requests
         WHERE (from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1)",
    )
    .bind(a.as_str())
    .bind(b.as_str())
    .execute(pool)
    .await?
    .rows_affected();
    Ok(removed > 0)
}

pub(super) async fn remove(pool: &SqlitePool, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let removed = sqlx::query(
        "DELETE FROM friendships
         WHERE (user_id = ?1 AND friend_id = ?2) OR (user_id = ?2 AND friend_id = ?1)",
    )
    .bind(a.as_str())
    .bind(b.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(
        "DELETE FROM friend_requests
         WHERE (from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1)",
    )
    .bind(a.as_str())
    .bind(b.as_str())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(removed > 0)
}

pub(super) async fn requests(
    pool: &SqlitePool,
    user: &UserId,
    limit: u32,
) -> Result<Vec<FriendRequest>, StoreError> {
    let rows = sqlx::query(
        "SELECT from_id, to_id, created_at_ms FROM friend_requests
         WHERE from_id = ?1 OR to_id = ?1
         ORDER BY created_at_ms DESC, from_id, to_id LIMIT ?2",
    )
    .bind(user.as_str())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(friend_request_from_row).collect()
}

/// Both directions, so "is b a friend of a" is one primary-key lookup.
async fn insert_friendship(
    tx: &mut Transaction<'_, Sqlite>,
    a: &UserId,
    b: &UserId,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO friendships (user_id, friend_id, created_at_ms) VALUES (?1, ?2, ?3), (?2, ?1, ?3)
         ON CONFLICT DO NOTHING",
    )
    .bind(a.as_str())
    .bind(b.as_str())
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn friend_request_from_row(row: &SqliteRow) -> Result<FriendRequest, StoreError> {
    Ok(FriendRequest {
        from: parse_stored("user id", row.try_get(0)?, UserId::parse)?,
        to: parse_stored("user id", row.try_get(1)?, UserId::parse)?,
        created_at_ms: row.try_get(2)?,
    })
}
