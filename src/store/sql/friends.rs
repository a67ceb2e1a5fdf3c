//! Friendships on either database: requests, consent, and the end of a friendship. Only an
//! acceptance (or two crossing requests, which are consent from both sides) writes `friendships`.
//!
//! Each change that reads before it writes runs in [`Dialect::begin_for_users`], so what it read
//! about the pair stays true until it commits (SQLite: the write lock from the start; PostgreSQL:
//! both users' rows locked).

use sqlx::{Decode, Encode, Executor, IntoArguments, Transaction, Type};

use super::changes::{About, record, revoke_friends_images};
use super::rows::{self, Columns};
use super::statements as sql;
use super::{Dialect, Sql};
use crate::store::{AuditAction, Befriend, Change, FriendRequest, StoreError, UserId};

impl<DB> Sql<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    DB::Row: Columns,
{
    pub(in crate::store) async fn request_friendship(
        &self,
        from: &UserId,
        to: &UserId,
        max_outgoing: u32,
        change: &Change<'_>,
    ) -> Result<Befriend, StoreError> {
        let now_ms = change.now_ms;
        let mut tx = DB::begin_for_users(&self.pool, from, to).await?;
        let friends = sqlx::query(sql::ARE_FRIENDS)
            .bind(from.as_str())
            .bind(to.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if friends.is_some() {
            return Ok(Befriend::AlreadyFriends);
        }
        let they_asked = sqlx::query(sql::TAKE_REQUEST)
            .bind(to.as_str())
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&they_asked) > 0 {
            insert_friendship(&mut tx, from, to, now_ms).await?;
            let about = About::pair(from, to);
            record(&mut tx, change, AuditAction::FriendAccepted, about).await?;
            tx.commit().await?;
            return Ok(Befriend::Accepted);
        }
        let asked_before = sqlx::query(sql::REQUEST_EXISTS)
            .bind(from.as_str())
            .bind(to.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if asked_before.is_some() {
            return Ok(Befriend::Requested);
        }
        let inserted = sqlx::query(sql::INSERT_REQUEST)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(now_ms)
            .bind(i64::from(max_outgoing))
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&inserted) == 0 {
            return Ok(Befriend::TooManyRequests);
        }
        let about = About::pair(from, to);
        record(&mut tx, change, AuditAction::FriendRequested, about).await?;
        tx.commit().await?;
        Ok(Befriend::Requested)
    }

    pub(in crate::store) async fn accept_friendship(
        &self,
        me: &UserId,
        from: &UserId,
        change: &Change<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = DB::begin_for_users(&self.pool, me, from).await?;
        let asked = sqlx::query(sql::TAKE_REQUEST)
            .bind(from.as_str())
            .bind(me.as_str())
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&asked) == 0 {
            return Ok(false);
        }
        insert_friendship(&mut tx, me, from, change.now_ms).await?;
        record(
            &mut tx,
            change,
            AuditAction::FriendAccepted,
            About::pair(me, from),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(in crate::store) async fn remove_friend_request(
        &self,
        a: &UserId,
        b: &UserId,
        change: &Change<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let removed = sqlx::query(sql::REMOVE_REQUESTS_BETWEEN)
            .bind(a.as_str())
            .bind(b.as_str())
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&removed) == 0 {
            return Ok(false);
        }
        record(
            &mut tx,
            change,
            AuditAction::FriendDeclined,
            About::pair(a, b),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(in crate::store) async fn remove_friendship(
        &self,
        a: &UserId,
        b: &UserId,
        change: &Change<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = DB::begin_for_users(&self.pool, a, b).await?;
        let removed = sqlx::query(sql::REMOVE_FRIENDSHIP)
            .bind(a.as_str())
            .bind(b.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::REMOVE_REQUESTS_BETWEEN)
            .bind(a.as_str())
            .bind(b.as_str())
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&removed) == 0 {
            // Not friends: a request between them may have gone, which is no friendship's end.
            tx.commit().await?;
            return Ok(false);
        }
        if let Some(revoke) = change.revoke {
            for owner in [a, b] {
                revoke_friends_images(&mut tx, owner, change.now_ms, revoke).await?;
            }
        }
        record(
            &mut tx,
            change,
            AuditAction::FriendshipEnded,
            About::pair(a, b),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(in crate::store) async fn friend_requests(
        &self,
        user: &UserId,
        limit: u32,
    ) -> Result<Vec<FriendRequest>, StoreError> {
        let found = sqlx::query(sql::FRIEND_REQUESTS)
            .bind(user.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::friend_request).collect()
    }
}

async fn insert_friendship<DB>(
    tx: &mut Transaction<'static, DB>,
    a: &UserId,
    b: &UserId,
    now_ms: i64,
) -> Result<(), StoreError>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(sql::INSERT_FRIENDSHIP)
        .bind(a.as_str())
        .bind(b.as_str())
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
