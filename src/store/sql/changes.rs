//! What every change writes beside itself, in its transaction: the audit event and, for a
//! revocation, the raised link versions and the floors the edge enforces. Also the reads of both
//! (the audit log, the floors) and the edge outbox.

use sqlx::{Decode, Encode, Executor, IntoArguments, Transaction, Type};

use super::rows::{self, Columns};
use super::statements as sql;
use super::{Dialect, Sql};
use crate::store::{
    AuditAction, AuditEvent, AuditQuery, Change, EdgeDue, Image, ImageId, RevocationEntry, Revoke,
    StoreError, UserId, image_revocation_prefix, owner_revocation_prefix,
};

/// What an event is about, beside who and when (those come from the [`Change`]).
#[derive(Debug, Default, Clone, Copy)]
pub(in crate::store) struct About<'a> {
    pub(in crate::store) owner: Option<&'a UserId>,
    pub(in crate::store) other: Option<&'a UserId>,
    pub(in crate::store) image: Option<&'a ImageId>,
    pub(in crate::store) after: Option<&'a str>,
}

impl<'a> About<'a> {
    pub(in crate::store) fn image(image: &'a Image) -> About<'a> {
        About {
            owner: Some(&image.owner_id),
            image: Some(&image.id),
            ..About::default()
        }
    }

    pub(in crate::store) fn pair(actor: &'a UserId, other: &'a UserId) -> About<'a> {
        About {
            owner: Some(actor),
            other: Some(other),
            ..About::default()
        }
    }

    pub(in crate::store) fn after(self, after: &'a str) -> About<'a> {
        About {
            after: Some(after),
            ..self
        }
    }
}

/// The second an epoch-milliseconds time falls in. A floor is that second (or one past the
/// owner's last floor), never later, so the cookies signed right after a revocation, whose
/// `DateGreaterThan` is the floor's previous second, are valid at once.
fn second_of(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// Writes one audit event in `tx`.
pub(in crate::store) async fn record<DB>(
    tx: &mut Transaction<'static, DB>,
    change: &Change<'_>,
    action: AuditAction,
    about: About<'_>,
) -> Result<(), StoreError>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(sql::INSERT_AUDIT_EVENT)
        .bind(change.now_ms)
        .bind(change.actor.name())
        .bind(action.as_str())
        .bind(about.owner.map(UserId::as_str))
        .bind(about.other.map(UserId::as_str))
        .bind(about.image.map(ImageId::as_str))
        .bind(change.before)
        .bind(about.after)
        .bind(change.actor.request_id.as_deref())
        .bind(change.actor.client.as_deref())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Raises `owner`'s revision to the next floor and returns it.
async fn next_floor<DB>(
    tx: &mut Transaction<'static, DB>,
    owner: &UserId,
    now_ms: i64,
) -> Result<i64, StoreError>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    DB::Row: Columns,
{
    let row = sqlx::query(sql::BUMP_LINKS_REVISED)
        .bind(owner.as_str())
        .bind(second_of(now_ms))
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("image owner {owner} has no user row")))?;
    row.int(0)
}

/// Writes (or raises) the edge floor of `prefix`.
async fn upsert_floor<DB>(
    tx: &mut Transaction<'static, DB>,
    prefix: &str,
    floor: i64,
    now_ms: i64,
    revoke: Revoke,
) -> Result<(), StoreError>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(sql::UPSERT_REVOCATION)
        .bind(prefix)
        .bind(floor)
        .bind(now_ms)
        .bind(now_ms.saturating_add(revoke.link_lifetime_ms))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Revokes `image`'s links in `tx`; returns it with its new version.
pub(in crate::store) async fn revoke_image<DB>(
    tx: &mut Transaction<'static, DB>,
    image: &Image,
    now_ms: i64,
    revoke: Revoke,
) -> Result<Image, StoreError>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    DB::Row: Columns,
{
    let floor = next_floor(tx, &image.owner_id, now_ms).await?;
    let row = sqlx::query(sql::SET_LINK_VERSION)
        .bind(floor)
        .bind(image.id.as_str())
        .fetch_one(&mut **tx)
        .await?;
    let prefix = image_revocation_prefix(&image.owner_id, &image.id);
    upsert_floor(tx, &prefix, floor, now_ms, revoke).await?;
    rows::image(&row)
}

/// Revokes every link to `owner`'s media in `tx`; returns the floor.
pub(in crate::store) async fn revoke_account<DB>(
    tx: &mut Transaction<'static, DB>,
    owner: &UserId,
    now_ms: i64,
    revoke: Revoke,
) -> Result<i64, StoreError>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    DB::Row: Columns,
{
    let floor = next_floor(tx, owner, now_ms).await?;
    sqlx::query(sql::SET_OWNER_LINK_VERSION)
        .bind(floor)
        .bind(owner.as_str())
        .execute(&mut **tx)
        .await?;
    upsert_floor(tx, &owner_revocation_prefix(owner), floor, now_ms, revoke).await?;
    Ok(floor)
}

/// Revokes the links to `owner`'s READY FRIENDS images in `tx` (a friendship of theirs ended):
/// one floor per image, or the whole account's when there are more than `revoke.max_entries`.
pub(in crate::store) async fn revoke_friends_images<DB>(
    tx: &mut Transaction<'static, DB>,
    owner: &UserId,
    now_ms: i64,
    revoke: Revoke,
) -> Result<(), StoreError>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    DB::Row: Columns,
{
    let count = sqlx::query(sql::COUNT_FRIENDS_IMAGES)
        .bind(owner.as_str())
        .fetch_one(&mut **tx)
        .await?
        .int(0)?;
    if count == 0 {
        return Ok(());
    }
    if count > i64::from(revoke.max_entries) {
        revoke_account(tx, owner, now_ms, revoke).await?;
        return Ok(());
    }
    let floor = next_floor(tx, owner, now_ms).await?;
    sqlx::query(sql::SET_FRIENDS_LINK_VERSION)
        .bind(floor)
        .bind(owner.as_str())
        .execute(&mut **tx)
        .await?;
    sqlx::query(sql::UPSERT_FRIENDS_REVOCATIONS)
        .bind(floor)
        .bind(owner.as_str())
        .bind(now_ms)
        .bind(now_ms.saturating_add(revoke.link_lifetime_ms))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

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
    pub(in crate::store) async fn revoke_image_links(
        &self,
        id: &ImageId,
        change: &Change<'_>,
    ) -> Result<Option<Image>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // A no-op write first, so SQLite takes its write lock before the read.
        let Some(row) = sqlx::query(sql::TOUCH_IMAGE)
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let image = rows::image(&row)?;
        let Some(revoke) = change.revoke else {
            return Ok(Some(image));
        };
        let image = revoke_image(&mut tx, &image, change.now_ms, revoke).await?;
        record(
            &mut tx,
            change,
            AuditAction::LinksRevoked,
            About::image(&image),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(image))
    }

    pub(in crate::store) async fn revoke_account_links(
        &self,
        owner: &UserId,
        change: &Change<'_>,
    ) -> Result<Option<i64>, StoreError> {
        let Some(revoke) = change.revoke else {
            return Ok(None);
        };
        let mut tx = DB::begin_for_users(&self.pool, owner, owner).await?;
        let exists = sqlx::query(sql::USER_BY_ID)
            .bind(owner.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let floor = revoke_account(&mut tx, owner, change.now_ms, revoke).await?;
        let floor_text = floor.to_string();
        let about = About {
            owner: Some(owner),
            ..About::default()
        };
        record(
            &mut tx,
            change,
            AuditAction::AccountLinksRevoked,
            about.after(&floor_text),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(floor))
    }

    pub(in crate::store) async fn revocation_floors(
        &self,
        owner: &UserId,
        image: &ImageId,
    ) -> Result<Vec<RevocationEntry>, StoreError> {
        let found = sqlx::query(sql::REVOCATION_FLOORS)
            .bind(owner_revocation_prefix(owner).as_str())
            .bind(image_revocation_prefix(owner, image).as_str())
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::revocation).collect()
    }

    pub(in crate::store) async fn claim_edge_due(
        &self,
        now_ms: i64,
        until_ms: i64,
        limit: u32,
    ) -> Result<Vec<EdgeDue>, StoreError> {
        let found = sqlx::query(sql::CLAIM_EDGE_DUE)
            .bind(now_ms)
            .bind(until_ms)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::edge_due).collect()
    }

    pub(in crate::store) async fn edge_synced(
        &self,
        prefix: &str,
        floor: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::EDGE_SYNCED)
            .bind(prefix)
            .bind(floor)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(in crate::store) async fn edge_removed(
        &self,
        prefix: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::EDGE_GONE)
            .bind(prefix)
            .execute(&self.pool)
            .await?;
        sqlx::query(sql::EDGE_REMOVED)
            .bind(prefix)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(in crate::store) async fn prune_revocations(&self, now_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(sql::PRUNE_REVOCATIONS)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(DB::rows_affected(&done))
    }

    pub(in crate::store) async fn audit_events(
        &self,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let found = sqlx::query(sql::AUDIT_EVENTS)
            .bind(query.user.as_ref().map_or("", UserId::as_str))
            .bind(query.since_ms.unwrap_or(i64::MIN))
            .bind(query.before_id.unwrap_or(i64::MAX))
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await?;
        found.iter().map(rows::audit_event).collect()
    }

    pub(in crate::store) async fn prune_audit(&self, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(sql::PRUNE_AUDIT)
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(DB::rows_affected(&done))
    }
}

#[cfg(test)]
mod tests {
    use super::second_of;

    #[test]
    fn a_floor_is_the_second_of_its_revocation() {
        assert_eq!(second_of(1_000), 1);
        assert_eq!(second_of(1_001), 1);
        assert_eq!(second_of(1_999), 1);
        assert_eq!(second_of(0), 0);
        assert_eq!(second_of(-1), -1);
    }
}
