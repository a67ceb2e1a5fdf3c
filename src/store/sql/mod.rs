//! What the two SQL backends share: the statement texts ([`statements`]), the row decoder
//! ([`rows`]), and [`Sql`], which runs every statement that works the same way on both
//! (friendships in `friends`, the state replicas share in `shared`).
//!
//! [`Sql`] is generic over the sqlx database; the few things that differ (how a transaction
//! keeps what it read true, reading a statement's row count) are the [`Dialect`] each backend
//! implements.

use std::future::Future;

use sqlx::{Database, Decode, Encode, Executor, IntoArguments, Pool, Transaction, Type};

use super::error::conflict_or_database;
use super::{
    AuditAction, Change, Image, ImageId, ImageStatus, PageAfter, StoreError, User, UserId,
    Visibility,
};
use changes::{About, record, revoke_image};

pub(in crate::store) mod changes;
mod friends;
pub(in crate::store) mod rows;
mod shared;
pub(in crate::store) mod statements;
mod store_impl;
#[cfg(test)]
mod tests;

use rows::Columns;
use statements as sql;
pub(in crate::store) use store_impl::impl_store;

/// What differs between the databases, for the statements [`Sql`] runs.
pub(in crate::store) trait Dialect: Database {
    /// Begins a transaction in which what is read about the users `a` and `b` (their friendship,
    /// the requests between them, the requests and images they own) stays true until it commits.
    fn begin_for_users(
        pool: &Pool<Self>,
        a: &UserId,
        b: &UserId,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, StoreError>> + Send;

    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// The reaper's claim statement ([`statements::CLAIM_REAPABLE_POSTGRES`] or `_SQLITE`).
    const CLAIM_REAPABLE: &'static str;

    /// Begins a transaction that no other claim of invalidation paths runs beside (in any
    /// process), so the in-flight budget it reads stays true until it commits.
    fn begin_outbox(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, StoreError>> + Send;
}

/// The statements both backends run the same way, over a pool of either database.
#[derive(Debug)]
pub(in crate::store) struct Sql<DB: Database> {
    pub(in crate::store) pool: Pool<DB>,
}

// Not derived: that would ask `DB: Clone`, which the database marker types are not.
impl<DB: Database> Clone for Sql<DB> {
    fn clone(&self) -> Self {
        Sql {
            pool: self.pool.clone(),
        }
    }
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
    pub(in crate::store) async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(in crate::store) async fn upsert_user(
        &self,
        subject: &str,
        id: &UserId,
        username: &str,
        now_ms: i64,
    ) -> Result<User, StoreError> {
        let row = sqlx::query(sql::UPSERT_USER)
            .bind(id.as_str())
            .bind(subject)
            .bind(username)
            .bind(now_ms)
            .fetch_one(&self.pool)
            .await
            // The subject is new but the id is taken by someone else.
            .map_err(|e| conflict_or_database(e, || format!("user {id}")))?;
        rows::user(&row)
    }

    pub(in crate::store) async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(sql::USER_BY_ID)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::user).transpose()
    }

    pub(in crate::store) async fn image(&self, id: &ImageId) -> Result<Option<Image>, StoreError> {
        let row = sqlx::query(sql::IMAGE_BY_ID)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::image).transpose()
    }

    /// The rows of `prefix` followed by the page statement for `page` (`prefix` is `EXPLAIN` or
    /// nothing; never a caller's text).
    pub(in crate::store) fn page_query<'q>(
        &self,
        page: Page<'q>,
        prefix: &'static str,
    ) -> sqlx::query::Query<'q, DB, DB::Arguments> {
        let statement = page.statement();
        let text = if prefix.is_empty() {
            sqlx::AssertSqlSafe(std::borrow::Cow::Borrowed(statement))
        } else {
            sqlx::AssertSqlSafe(std::borrow::Cow::Owned(format!("{prefix} {statement}")))
        };
        // In the order the statements number their parameters: [viewer] owner status
        // [slots if a friend] slots [cursor] limit.
        let mut query = sqlx::query(text);
        if let Some((viewer, _)) = page.viewer {
            query = query.bind(viewer.as_str());
        }
        query = query.bind(page.owner.as_str()).bind(page.status.as_str());
        if let Some((_, if_friend)) = page.viewer {
            for slot in visibility_slots(if_friend) {
                query = query.bind(slot);
            }
        }
        for slot in visibility_slots(page.visibilities) {
            query = query.bind(slot);
        }
        if let Some(after) = page.after {
            query = query.bind(after.created_at_ms).bind(after.id.as_str());
        }
        query.bind(i64::from(page.limit))
    }

    pub(in crate::store) async fn are_friends(
        &self,
        a: &UserId,
        b: &UserId,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(sql::ARE_FRIENDS)
            .bind(a.as_str())
            .bind(b.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    pub(in crate::store) async fn insert_image(&self, image: &Image) -> Result<(), StoreError> {
        sqlx::query(sql::INSERT_IMAGE)
            .bind(image.id.as_str())
            .bind(image.owner_id.as_str())
            .bind(image.key.as_str())
            .bind(image.visibility.as_str())
            .bind(image.status.as_str())
            .bind(image.content_type.as_str())
            .bind(image.size)
            .bind(image.sha256.as_deref())
            .bind(image.created_at_ms)
            .bind(image.updated_at_ms)
            .bind(image.link_version)
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_or_database(e, || format!("image {}", image.id)))?;
        Ok(())
    }

    pub(in crate::store) async fn set_visibility(
        &self,
        id: &ImageId,
        visibility: Visibility,
        change: &Change<'_>,
    ) -> Result<Option<Image>, StoreError> {
        let query = sqlx::query(sql::SET_VISIBILITY)
            .bind(visibility.as_str())
            .bind(change.now_ms)
            .bind(id.as_str());
        self.update_image(
            query,
            AuditAction::VisibilityChanged,
            visibility.as_str(),
            change,
        )
        .await
    }

    pub(in crate::store) async fn set_status(
        &self,
        id: &ImageId,
        from: ImageStatus,
        to: ImageStatus,
        action: AuditAction,
        change: &Change<'_>,
    ) -> Result<Option<Image>, StoreError> {
        let query = sqlx::query(sql::SET_STATUS)
            .bind(to.as_str())
            .bind(change.now_ms)
            .bind(id.as_str())
            .bind(from.as_str());
        self.update_image(query, action, to.as_str(), change).await
    }

    /// Runs an `UPDATE images … RETURNING` statement and, only when a row was updated, in the
    /// same transaction: the invalidation, the revocation, and the audit event `action` (the
    /// value after it: `after`).
    async fn update_image<'q>(
        &self,
        update: sqlx::query::Query<'q, DB, DB::Arguments>,
        action: AuditAction,
        after: &'static str,
        change: &Change<'_>,
    ) -> Result<Option<Image>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = update.fetch_optional(&mut *tx).await? else {
            return Ok(None);
        };
        let mut image = rows::image(&row)?;
        if let Some(path) = change.invalidate {
            sqlx::query(sql::QUEUE_INVALIDATION)
                .bind(path)
                .bind(change.now_ms)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(revoke) = change.revoke {
            image = revoke_image(&mut tx, &image, change.now_ms, revoke).await?;
        }
        record(&mut tx, change, action, About::image(&image).after(after)).await?;
        tx.commit().await?;
        Ok(Some(image))
    }

    pub(in crate::store) async fn count_pending(&self, owner: &UserId) -> Result<u64, StoreError> {
        let row = sqlx::query(sql::COUNT_PENDING)
            .bind(owner.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(row.int(0)?).unwrap_or(0))
    }

    pub(in crate::store) async fn remove_image(
        &self,
        id: &ImageId,
        change: &Change<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query(sql::REMOVE_IMAGE)
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(false);
        };
        let image = rows::image(&row)?;
        record(
            &mut tx,
            change,
            AuditAction::ImageRemoved,
            About::image(&image),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// One page query's arguments, as one value below the trait.
#[derive(Debug, Clone, Copy)]
pub(in crate::store) struct Page<'a> {
    pub(in crate::store) owner: &'a UserId,
    pub(in crate::store) status: ImageStatus,
    /// The visibilities shown (for a signed-in viewer: when not the owner's friend).
    pub(in crate::store) visibilities: &'a [Visibility],
    /// A signed-in viewer, and the visibilities shown when they are the owner's friend: the
    /// statement then also answers whether they are.
    pub(in crate::store) viewer: Option<(&'a UserId, &'a [Visibility])>,
    pub(in crate::store) after: Option<&'a PageAfter>,
    pub(in crate::store) limit: u32,
}

impl<'a> From<crate::store::GalleryQuery<'a>> for Page<'a> {
    fn from(q: crate::store::GalleryQuery<'a>) -> Page<'a> {
        Page {
            owner: q.owner,
            status: q.status,
            visibilities: q.otherwise,
            viewer: Some((q.viewer, q.if_friend)),
            after: q.after,
            limit: q.limit,
        }
    }
}

impl Page<'_> {
    /// The statement for this page: the first, or one after a cursor; for a viewer or not.
    pub(in crate::store) fn statement(&self) -> &'static str {
        match (self.viewer.is_some(), self.after.is_some()) {
            (false, false) => sql::PAGE,
            (false, true) => sql::PAGE_AFTER,
            (true, false) => sql::PAGE_FOR_VIEWER,
            (true, true) => sql::PAGE_FOR_VIEWER_AFTER,
        }
    }

    /// Whether no visibility at all is asked for (the page is then empty, without a query).
    pub(in crate::store) fn shows_nothing(&self) -> bool {
        self.visibilities.is_empty() && self.viewer.is_none_or(|(_, v)| v.is_empty())
    }
}

/// The page statement's three visibility slots for `visibilities`: distinct (so any list, even
/// one with repeats, fits), shorter lists repeating their first entry (so the statement text, and
/// its prepared statement, never changes), and "" (no visibility) for an empty list, which then
/// matches nothing.
pub(in crate::store) fn visibility_slots(visibilities: &[Visibility]) -> [&'static str; 3] {
    let wanted: Vec<&'static str> = [Visibility::Private, Visibility::Friends, Visibility::Public]
        .into_iter()
        .filter(|v| visibilities.contains(v))
        .map(Visibility::as_str)
        .collect();
    std::array::from_fn(|slot| wanted.get(slot).or(wanted.first()).copied().unwrap_or(""))
}

/// The images of a viewer's page, and the friendship every row repeats (`None`: no rows).
pub(in crate::store) fn split_friendship(rows: Vec<(Image, bool)>) -> (Vec<Image>, Option<bool>) {
    let friends = rows.first().map(|(_, f)| *f);
    (rows.into_iter().map(|(image, _)| image).collect(), friends)
}
