//! The benchmark dataset on PostgreSQL: whole columns as arrays, turned back into rows by
//! UNNEST; one transaction.

use async_trait::async_trait;

use super::PostgresStore;
use crate::store::seed::{CONTENT_TYPE, Dataset, Pace, Seed, SeedReport};
use crate::store::sql::statements::image_columns;
use crate::store::{ImageStatus, StoreError, Visibility};

/// Rows per statement: arrays have no parameter limit, this only bounds memory and sets the pace
/// of the `progress` calls.
const ROWS_PER_STATEMENT: usize = 50_000;
/// How many rows go by between two `progress` calls.
const PROGRESS_EVERY: u64 = 50_000;

// Statement texts that never change, so each is prepared once.
const USERS_SQL: &str = "INSERT INTO users (id, subject, username, created_at_ms)
     SELECT id, subject, id, $3 FROM UNNEST($1::text[], $2::text[]) AS t (id, subject)
     ON CONFLICT DO NOTHING";
const IMAGES_SQL: &str = concat!(
    "INSERT INTO images (",
    image_columns!(),
    ") SELECT id, owner_id, key, $5, $6, $7, size, NULL, $8, $8, 0",
    " FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[]) AS t (id, owner_id, key, size)",
    " ON CONFLICT DO NOTHING"
);

#[async_trait]
impl Seed for PostgresStore {
    async fn seed(
        &self,
        users: u32,
        images_per_user: u32,
        issuer: &str,
        now_ms: i64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<SeedReport, StoreError> {
        let data = Dataset::new(users, images_per_user, issuer);
        let mut pace = Pace::new(progress, PROGRESS_EVERY);
        let mut report = SeedReport {
            users: 0,
            images: 0,
        };
        let mut tx = self.pool().begin().await?;

        for chunk in data.users.chunks(ROWS_PER_STATEMENT) {
            let subjects: Vec<String> = chunk.iter().map(|id| data.subject(id)).collect();
            report.users += sqlx::query(USERS_SQL)
                .bind(chunk)
                .bind(subjects)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            pace.advance(chunk.len() as u64, false);
        }

        let total = data.image_count();
        let mut next = 0u64;
        while next < total {
            let end = total.min(next + ROWS_PER_STATEMENT as u64);
            let rows = (end - next) as usize;
            let mut ids = Vec::with_capacity(rows);
            let mut owners = Vec::with_capacity(rows);
            let mut keys = Vec::with_capacity(rows);
            let mut sizes = Vec::with_capacity(rows);
            for image in data.images(next, end) {
                ids.push(image.id);
                owners.push(image.owner);
                keys.push(image.key);
                sizes.push(image.size);
            }
            next = end;
            report.images += sqlx::query(IMAGES_SQL)
                .bind(ids)
                .bind(owners)
                .bind(keys)
                .bind(sizes)
                .bind(Visibility::Public.as_str())
                .bind(ImageStatus::Ready.as_str())
                .bind(CONTENT_TYPE)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            pace.advance(rows as u64, true);
        }
        tx.commit().await?;
        // After a bulk load: fresh statistics for the planner, and a visibility map that lets a
        // gallery page be an Index Only Scan (autovacuum would get there, later).
        sqlx::query("VACUUM (ANALYZE) users, images")
            .execute(self.pool())
            .await?;
        pace.finish();
        Ok(report)
    }
}
