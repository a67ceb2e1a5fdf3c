//! PostgreSQL's request-path reads, pipelined.
//!
//! sqlx's pool gives each query a connection of its own: one write and one read per query, and
//! the wake-ups of both processes. Under load that was half the service's CPU per link, most of it
//! in the kernel. Here a few tokio-postgres connections are each shared by every request at
//! once: the queries of concurrent requests go out in one write and their answers come back in
//! one read. Against the sqlx pool, in alternating runs, one link cost the service 76 → 28 µs and
//! PostgreSQL 63 → 17 µs; a gallery 185 → 114 µs and 132 → 64 µs (README, "Load tests").
//! Writes, transactions and migrations stay on sqlx.
//!
//! A connection that closes (a restarted server, a network cut) fails the queries in flight on
//! it, which answer `UPSTREAM`, and is replaced by the first request that finds it closed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use crate::store::sql::rows;
use crate::store::sql::statements as sql;
use crate::store::sql::{Page, split_friendship, visibility_slots};
use crate::store::{Image, ImageId, StoreError};

use super::tls::{Checks, Tls, connector};

/// One connection and its prepared statements.
struct Conn {
    client: Client,
    image_for_viewer: Statement,
    page: Statement,
    page_after: Statement,
    page_for_viewer: Statement,
    page_for_viewer_after: Statement,
}

/// The pipelined connections, taken in turn.
pub(super) struct Reader {
    /// Holds the password: never printed (see the `Debug` impl).
    config: tokio_postgres::Config,
    tls: Tls,
    slots: Vec<Slot>,
    next: AtomicUsize,
}

struct Slot {
    conn: RwLock<Arc<Conn>>,
    /// One reconnection at a time per slot.
    reconnecting: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("connections", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// `connections` pipelined connections to `url`, each with the read statements prepared.
    pub(super) async fn connect(url: &str, connections: usize) -> Result<Reader, StoreError> {
        let (config, tls) = settings(url)?;
        let mut slots = Vec::new();
        for _ in 0..connections.max(1) {
            slots.push(Slot {
                conn: RwLock::new(Arc::new(open(&config, &tls).await?)),
                reconnecting: tokio::sync::Mutex::new(()),
            });
        }
        Ok(Reader {
            config,
            tls,
            slots,
            next: AtomicUsize::new(0),
        })
    }

    /// The next connection in turn, and its slot.
    fn conn(&self) -> (&Slot, Arc<Conn>) {
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let slot = &self.slots[n];
        let conn = match slot.conn.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        };
        (slot, conn)
    }

    /// After a failed query: replaces the connection if it is closed (once, whoever sees it
    /// first). The failed query itself is not retried: it may have run.
    async fn recover(&self, slot: &Slot, failed: &Arc<Conn>) {
        if !failed.client.is_closed() {
            return;
        }
        let _one = slot.reconnecting.lock().await;
        let current = match slot.conn.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        };
        if !Arc::ptr_eq(&current, failed) {
            return; // someone else replaced it already
        }
        match open(&self.config, &self.tls).await {
            Ok(conn) => {
                let mut guard = match slot.conn.write() {
                    Ok(g) => g,
                    Err(poisoned) => poisoned.into_inner(),
                };
                *guard = Arc::new(conn);
                tracing::info!("PostgreSQL read connection replaced");
            }
            Err(e) => tracing::warn!(error = %e, "PostgreSQL read connection still down"),
        }
    }

    pub(super) async fn image_for(
        &self,
        id: &ImageId,
        viewer: &str,
    ) -> Result<Option<(Image, bool)>, StoreError> {
        let (slot, c) = self.conn();
        match c
            .client
            .query_opt(&c.image_for_viewer, &[&viewer, &id.as_str()])
            .await
        {
            Ok(row) => row.as_ref().map(rows::image_for_viewer).transpose(),
            Err(e) => {
                self.recover(slot, &c).await;
                Err(e.into())
            }
        }
    }

    pub(super) async fn images_by_owner(&self, page: Page<'_>) -> Result<Vec<Image>, StoreError> {
        let rows = self.page(page).await?;
        rows.iter().map(rows::image).collect()
    }

    pub(super) async fn gallery_for(
        &self,
        page: Page<'_>,
    ) -> Result<(Vec<Image>, Option<bool>), StoreError> {
        let rows = self.page(page).await?;
        let rows = rows
            .iter()
            .map(rows::image_for_viewer)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(split_friendship(rows))
    }

    /// Runs the page statement for `page`.
    async fn page(&self, page: Page<'_>) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let (slot, c) = self.conn();
        let statement = match (page.viewer.is_some(), page.after.is_some()) {
            (false, false) => &c.page,
            (false, true) => &c.page_after,
            (true, false) => &c.page_for_viewer,
            (true, true) => &c.page_for_viewer_after,
        };
        let [v1, v2, v3] = visibility_slots(page.visibilities);
        let friend_slots = page.viewer.map(|(_, f)| visibility_slots(f));
        let (owner, status) = (page.owner.as_str(), page.status.as_str());
        let viewer = page.viewer.map(|(v, _)| v.as_str());
        let after = page.after.map(|a| (a.created_at_ms, a.id.as_str()));
        let limit = i64::from(page.limit);
        // In the order the statements number their parameters: [viewer] owner status
        // [slots if a friend] slots [cursor] limit.
        let mut values: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(12);
        if let Some(v) = &viewer {
            values.push(v);
        }
        values.push(&owner);
        values.push(&status);
        if let Some(slots) = &friend_slots {
            values.extend(slots.iter().map(|s| s as &(dyn ToSql + Sync)));
        }
        values.extend([&v1 as &(dyn ToSql + Sync), &v2, &v3]);
        if let Some((at, id)) = &after {
            values.push(at);
            values.push(id);
        }
        values.push(&limit);
        match c.client.query(statement, &values).await {
            Ok(rows) => Ok(rows),
            Err(e) => {
                self.recover(slot, &c).await;
                Err(e.into())
            }
        }
    }
}

/// A new connection, driven by its own task, with the read statements prepared.
async fn open(config: &tokio_postgres::Config, tls: &Tls) -> Result<Conn, StoreError> {
    let (client, connection) = config.connect(tls.clone()).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "PostgreSQL read connection closed");
        }
    });
    Ok(Conn {
        image_for_viewer: client.prepare(sql::IMAGE_FOR_VIEWER).await?,
        page: client.prepare(sql::PAGE).await?,
        page_after: client.prepare(sql::PAGE_AFTER).await?,
        page_for_viewer: client.prepare(sql::PAGE_FOR_VIEWER).await?,
        page_for_viewer_after: client.prepare(sql::PAGE_FOR_VIEWER_AFTER).await?,
        client,
    })
}

/// The connection settings and TLS for `url`, with libpq's (and sqlx's) meaning of `sslmode`:
/// `prefer` (the default) and `require` encrypt without checking the certificate, `verify-ca`
/// checks it against `sslrootcert` (or the system's roots), `verify-full` the host name too.
/// tokio-postgres knows only disable, prefer and require, so the verify modes reach it as
/// `require` with the checks set on the connector.
fn settings(url: &str) -> Result<(tokio_postgres::Config, Tls), StoreError> {
    let bad = |what: String| StoreError::Database(sqlx::Error::Configuration(what.into()));
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut mode = "prefer".to_owned();
    let mut root = None;
    let mut kept: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", m)) => mode = m.to_owned(),
            Some(("sslrootcert", path)) => root = Some(path.to_owned()),
            _ => kept.push(pair.to_owned()),
        }
    }
    let (verify_ca, verify_host) = match mode.as_str() {
        "disable" | "allow" | "prefer" | "require" => (false, false),
        "verify-ca" => (true, false),
        "verify-full" => (true, true),
        other => {
            return Err(bad(format!(
                "unknown sslmode {other:?} in the database URL"
            )));
        }
    };
    let passed_mode = match mode.as_str() {
        "disable" => "disable",
        "allow" | "prefer" => "prefer",
        _ => "require",
    };
    kept.push(format!("sslmode={passed_mode}"));
    let config: tokio_postgres::Config = format!("{base}?{}", kept.join("&")).parse()?;
    let tls = connector(&Checks {
        verify_ca,
        verify_host,
        root,
    })
    .map_err(bad)?;
    Ok((config, tls))
}

#[cfg(test)]
mod tests {
    use tokio_postgres::config::SslMode;

    use super::settings;

    #[test]
    fn sslmode_means_what_it_means_for_libpq() {
        let mode = |url: &str| settings(url).map(|(c, _)| c.get_ssl_mode());
        let base = "postgres://u:p@db.example:5432/app";
        assert!(matches!(mode(base), Ok(SslMode::Prefer)));
        assert!(matches!(
            mode(&format!("{base}?sslmode=disable")),
            Ok(SslMode::Disable)
        ));
        assert!(matches!(
            mode(&format!("{base}?sslmode=require")),
            Ok(SslMode::Require)
        ));
        for verify in ["verify-ca", "verify-full"] {
            let url = format!("{base}?application_name=mg&sslmode={verify}");
            assert!(matches!(mode(&url), Ok(SslMode::Require)), "{verify}");
        }
        let refusal = |url: String| settings(&url).err().map(|e| e.to_string());
        let e = refusal(format!("{base}?sslmode=sometimes")).unwrap_or_default();
        assert!(e.contains("unknown sslmode \"sometimes\""), "{e}");
        let e = refusal(format!("{base}?sslmode=verify-ca&sslrootcert=/no/such.pem"))
            .unwrap_or_default();
        assert!(e.contains("cannot read sslrootcert /no/such.pem"), "{e}");
    }
}
