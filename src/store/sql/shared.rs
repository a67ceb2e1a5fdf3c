//! The state replicas share, on either database: the upload allowance with the PENDING insert,
//! the reaper's claims, and the invalidation outbox.

use sqlx::{Decode, Encode, Executor, IntoArguments, Type};

use super::changes::{About, record};
use super::rows::{self, Columns};
use super::statements as sql;
use super::{Dialect, Sql};
use crate::store::error::conflict_or_database;
use crate::store::shared::retry_after_secs;
use crate::store::{
    Admission, AuditAction, BatchClaim, BatchInProgress, Change, Image, OutboxBacklog, ReapClaim,
    StoreError, UploadLimits,
};

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
    /// The ticket, then the capped insert, in one transaction: on SQLite the write lock is held
    /// from its start; on PostgreSQL the owner's row lock orders one user's uploads, so the
    /// pending count each insert makes sees what the previous one committed.
    pub(in crate::store) async fn insert_pending_image(
        &self,
        image: &Image,
        limits: UploadLimits,
        change: &Change<'_>,
    ) -> Result<Admission, StoreError> {
        let now_ms = change.now_ms;
        let owner = &image.owner_id;
        let per_minute = limits.per_minute.max(1);
        let mut tx = DB::begin_for_users(&self.pool, owner, owner).await?;
        let bucket = sqlx::query(sql::TAKE_UPLOAD_TOKEN)
            .bind(owner.as_str())
            .bind(now_ms)
            .bind(i64::from(per_minute) * 1000)
            .bind(i64::from(per_minute))
            .fetch_one(&mut *tx)
            .await?;
        if bucket.int(1)? == 0 {
            let retry_after_secs = retry_after_secs(bucket.int(0)?, per_minute);
            tx.commit().await?;
            return Ok(Admission::RateLimited { retry_after_secs });
        }
        let inserted = sqlx::query(sql::INSERT_PENDING_IMAGE)
            .bind(image.id.as_str())
            .bind(owner.as_str())
            .bind(image.key.as_str())
            .bind(image.visibility.as_str())
            .bind(image.content_type.as_str())
            .bind(image.size)
            .bind(image.sha256.as_deref())
            .bind(image.created_at_ms)
            .bind(image.updated_at_ms)
            .bind(i64::from(limits.max_pending))
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_or_database(e, || format!("image {}", image.id)))?;
        let admission = if DB::rows_affected(&inserted) > 0 {
            let about = About::image(image).after(image.visibility.as_str());
            record(&mut tx, change, AuditAction::UploadStarted, about).await?;
            Admission::Admitted
        } else {
            let pending = sqlx::query(sql::COUNT_PENDING)
                .bind(owner.as_str())
                .fetch_one(&mut *tx)
                .await?
                .int(0)?;
            Admission::TooManyPending {
                pending: u64::try_from(pending).unwrap_or(0),
            }
        };
        tx.commit().await?;
        Ok(admission)
    }

    pub(in crate::store) async fn claim_reapable(
        &self,
        claim: ReapClaim,
    ) -> Result<Vec<Image>, StoreError> {
        let rows = sqlx::query(DB::CLAIM_REAPABLE)
            .bind(claim.pending_before_ms)
            .bind(claim.now_ms)
            .bind(claim.until_ms)
            .bind(i64::from(claim.limit))
            .fetch_all(&self.pool)
            .await?;
        let mut images = rows
            .iter()
            .map(rows::image)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING follows no ORDER BY; the contract says oldest first.
        images.sort_by(|a, b| (a.created_at_ms, &a.id).cmp(&(b.created_at_ms, &b.id)));
        Ok(images)
    }

    pub(in crate::store) async fn queue_invalidation(
        &self,
        path: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::QUEUE_INVALIDATION)
            .bind(path)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(in crate::store) async fn claim_invalidations(
        &self,
        claim: BatchClaim<'_>,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = DB::begin_outbox(&self.pool).await?;
        sqlx::query(sql::RELEASE_STALE_PATHS)
            .bind(claim.stale_before_ms)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::DROP_STALE_BATCHES)
            .bind(claim.stale_before_ms)
            .execute(&mut *tx)
            .await?;
        let in_flight = sqlx::query(sql::PATHS_IN_FLIGHT)
            .fetch_one(&mut *tx)
            .await?
            .int(0)?;
        let room =
            (i64::from(claim.max_in_flight) - in_flight).clamp(0, i64::from(claim.max_paths));
        let mut paths = Vec::new();
        if room > 0 {
            let rows = sqlx::query(sql::CLAIM_PATHS)
                .bind(claim.reference)
                .bind(claim.now_ms)
                .bind(room)
                .fetch_all(&mut *tx)
                .await?;
            for row in &rows {
                paths.push(row.text(0)?.to_owned());
            }
        }
        if !paths.is_empty() {
            sqlx::query(sql::INSERT_BATCH)
                .bind(claim.reference)
                .bind(i64::try_from(paths.len()).unwrap_or(i64::MAX))
                .bind(claim.now_ms)
                .execute(&mut *tx)
                .await?;
        }
        // Committed even when empty: the stale batches released above stay released.
        tx.commit().await?;
        paths.sort();
        Ok(paths)
    }

    pub(in crate::store) async fn invalidation_sent(
        &self,
        reference: &str,
        cloudfront_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql::BATCH_SENT)
            .bind(reference)
            .bind(cloudfront_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::DELETE_BATCH_PATHS)
            .bind(reference)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(in crate::store) async fn invalidation_failed(
        &self,
        reference: &str,
        now_ms: i64,
        backoff_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sql::BATCH_FAILED)
            .bind(reference)
            .bind(now_ms)
            .bind(backoff_ms)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::DELETE_BATCH)
            .bind(reference)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(in crate::store) async fn invalidations_in_progress(
        &self,
        limit: u32,
    ) -> Result<Vec<BatchInProgress>, StoreError> {
        let rows = sqlx::query(sql::BATCHES_IN_PROGRESS)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(BatchInProgress {
                    reference: row.text(0)?.to_owned(),
                    cloudfront_id: row.text(1)?.to_owned(),
                })
            })
            .collect()
    }

    pub(in crate::store) async fn invalidation_completed(
        &self,
        reference: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(sql::DELETE_BATCH)
            .bind(reference)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(in crate::store) async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError> {
        let waiting = sqlx::query(sql::PATHS_WAITING)
            .fetch_one(&self.pool)
            .await?
            .int(0)?;
        let in_flight = sqlx::query(sql::PATHS_IN_FLIGHT)
            .fetch_one(&self.pool)
            .await?
            .int(0)?;
        Ok(OutboxBacklog {
            waiting: u64::try_from(waiting).unwrap_or(0),
            in_flight: u64::try_from(in_flight).unwrap_or(0),
        })
    }
}
