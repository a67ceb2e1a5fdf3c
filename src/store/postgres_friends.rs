//! Friendships on PostgreSQL: requests, consent, and the end of a friendship. Only an acceptance (or
//! two crossing requests, which are consent from both sides) writes `friendships`.

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, Row, Transaction};

use super::{Befriend, FriendRequest, StoreError, UserId, parse_stored};

pub(super) async fn request(
    pool: &PgPool,
    from: &UserId,
    to: &UserId,
    max_outgoing: u32,
    now_ms: i64,
) -> Result<Befriend, StoreError> {
    let mut tx = pool.begin().await?;
    lock_users(&mut tx, from, to).await?;
    let friends = sqlx::query("SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2")
        .bind(from.as_str())
        .bind(to.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if friends.is_some() {
        return Ok(Befriend::AlreadyFriends);
    }
    let they_asked = sqlx::query("DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2")
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
        sqlx::query("SELECT 1 FROM friend_requests WHERE from_id = $1 AND to_id = $2")
            .bind(from.as_str())
            .bind(to.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if asked_before.is_some() {
        return Ok(Befriend::Requested);
    }
    let inserted = sqlx::query(
        "INSERT INTO friend_requests (from_id, to_id, created_at_ms)
         SELECT $1, $2, $3 WHERE (SELECT count(*) FROM friend_requests WHERE from_id = $1) < $4",
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
    pool: &PgPool,
    me: &UserId,
    from: &UserId,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    lock_users(&mut tx, me, from).await?;
    let asked = sqlx::query("DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2")
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
    pool: &PgPool,
    a: &UserId,
    b: &UserId,
) -> Result<bool, StoreError> {
    let removed = sqlx::query(
        "DELETE FROM friend_requests
         WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)",
    )
    .bind(a.as_str())
    .bind(b.as_str())
    .execute(pool)
    .await?
    .rows_affected();
    Ok(removed > 0)
}

pub(super) async fn remove(pool: &PgPool, a: &UserId, b: &UserId) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    lock_users(&mut tx, a, b).await?;
    let removed = sqlx::query(
        "DELETE FROM friendships
         WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)",
    )
    .bind(a.as_str())
    .bind(b.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(
        "DELETE FROM friend_requests
         WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)",
    )
    .bind(a.as_str())
    .bind(b.as_str())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(removed > 0)
}

pub(super) async fn requests(
    pool: &PgPool,
    user: &UserId,
    limit: u32,
) -> Result<Vec<FriendRequest>, StoreError> {
    let rows = sqlx::query(
        "SELECT from_id, to_id, created_at_ms FROM friend_requests
         WHERE from_id = $1 OR to_id = $1
         ORDER BY created_at_ms DESC, from_id, to_id LIMIT $2",
    )
    .bind(user.as_str())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(friend_request_from_row).collect()
}

/// Locks both users' rows, in id order so two transactions on the same pair cannot deadlock:
/// what one of them reads about the pair (and the asker's request count) then holds until it
/// commits. Each later statement sees what the previous holder committed (READ COMMITTED takes a
/// new snapshot per statement).
async fn lock_users(
    tx: &mut Transaction<'_, Postgres>,
    a: &UserId,
    b: &UserId,
) -> Result<(), StoreError> {
    sqlx::query("SELECT 1 FROM users WHERE id = $1 OR id = $2 ORDER BY id FOR UPDATE")
        .bind(a.as_str())
        .bind(b.as_str())
        .fetch_all(&mut **tx)
        .await?;
    Ok(())
}

/// Both directions, so "is b a friend of a" is one primary-key lookup.
async fn insert_friendship(
    tx: &mut Transaction<'_, Postgres>,
    a: &UserId,
    b: &UserId,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO friendships (user_id, friend_id, created_at_ms) VALUES ($1, $2, $3), ($2, $1, $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(a.as_str())
    .bind(b.as_str())
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn friend_request_from_row(row: &PgRow) -> Result<FriendRequest, StoreError> {
    Ok(FriendRequest {
        from: parse_stored("user id", row.try_get(0)?, UserId::parse)?,
        to: parse_stored("user id", row.try_get(1)?, UserId::parse)?,
        created_at_ms: row.try_get(2)?,
    })
}
