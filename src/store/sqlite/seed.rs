//! The benchmark dataset on SQLite: multi-row VALUES statements, one transaction.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::SqliteStore;
use crate::store::seed::{CONTENT_TYPE, Dataset, Pace, Seed, SeedReport};
use crate::store::sql::statements::image_columns;
use crate::store::{ImageStatus, StoreError, Visibility};

/// SQLite refuses statements with more than 32766 bound parameters; seed chunks stay below.
const IMAGES_PER_STATEMENT: usize = 8_000;
const USERS_PER_STATEMENT: usize = 16_000;
/// How many rows go by between two `progress` calls.
const PROGRESS_EVERY: u64 = 50_000;

#[async_trait]
impl Seed for SqliteStore {
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
        // One transaction: SQLite's cost is per commit (a WAL sync), not per row.
        let mut tx = self.pool().begin().await?;

        for chunk in data.users.chunks(USERS_PER_STATEMENT) {
            let mut query = sqlx::query(AssertSqlSafe(users_sql(chunk.len()))).bind(now_ms);
            for id in chunk {
                query = query.bind(id.as_str()).bind(data.subject(id));
            }
            report.users += query.execute(&mut *tx).await?.rows_affected();
            pace.advance(chunk.len() as u64, false);
        }

        let full_sql = images_sql(IMAGES_PER_STATEMENT);
        let total = data.image_count();
        let mut next = 0u64;
        while next < total {
            let end = total.min(next + IMAGES_PER_STATEMENT as u64);
            let rows = (end - next) as usize;
            // Full chunks share one statement text, so SQLite prepares it once.
            let sql = if rows == IMAGES_PER_STATEMENT {
                full_sql.clone()
            } else {
                images_sql(rows)
            };
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .bind(now_ms)
                .bind(Visibility::Public.as_str())
                .bind(ImageStatus::Ready.as_str())
                .bind(CONTENT_TYPE);
            for image in data.images(next, end) {
                query = query
                    .bind(image.id)
                    .bind(image.owner)
                    .bind(image.key)
                    .bind(image.size);
            }
            next = end;
            report.images += query.execute(&mut *tx).await?.rows_affected();
            pace.advance(rows as u64, true);
        }
        tx.commit().await?;
        pace.finish();
        Ok(report)
    }
}

// The seed statements number nothing: each `?NNN` is a name SQLite looks up in a list, once per
// parameter when preparing and again when sqlx binds it (sqlite3_bind_parameter_name), which is
// quadratic at 32k parameters (a million rows took minutes). Plain `?`s are numbered in the order
// they appear, so the shared values come first, in a one-row subquery.

/// `INSERT` of `rows` seed users: the time, then (id, subject) per row; username = id.
fn users_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO users (id, subject, username, created_at_ms)
         SELECT v.column1, v.column2, v.column1, c.now FROM (SELECT ? AS now) AS c, (VALUES ",
    );
    push_rows(&mut sql, rows, "(?,?)");
    // `WHERE true`: without it SQLite would read ON CONFLICT as the join's ON.
    sql.push_str(") AS v WHERE true ON CONFLICT DO NOTHING");
    sql
}

/// `INSERT` of `rows` seed images: the time, visibility, status and content type shared by every
/// row, then (id, owner, key, size) per row.
fn images_sql(rows: usize) -> String {
    let mut sql = String::from(concat!(
        "INSERT INTO images (",
        image_columns!(),
        ") SELECT v.column1, v.column2, v.column3, c.visibility, c.status, c.content_type,",
        " v.column4, NULL, c.now, c.now, 0",
        " FROM (SELECT ? AS now, ? AS visibility, ? AS status, ? AS content_type) AS c, (VALUES "
    ));
    push_rows(&mut sql, rows, "(?,?,?,?)");
    sql.push_str(") AS v WHERE true ON CONFLICT DO NOTHING");
    sql
}

/// Appends `rows` copies of `row`, comma-separated.
fn push_rows(sql: &mut String, rows: usize, row: &str) {
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push_str(row);
    }
}
