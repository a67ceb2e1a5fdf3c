//! One round of the sender: claim, send, record.

use std::time::Duration;

use super::{EdgeStore, EdgeStoreError};
use crate::store::{EdgeDue, Store, StoreError};

/// Keys in one `UpdateKeys` call at most. AWS's default quota is 50 keys or a 3 MB payload per
/// request, whichever comes first (the Terraform AWS provider's
/// `aws_cloudfrontkeyvaluestore_keys_exclusive.max_batch_size`, validated to 1–50, cites it); a
/// floor's key and value are well under 100 bytes, so the key count is the one that binds.
pub const MAX_KEYS_PER_UPDATE: usize = 50;

/// How a round is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a claim keeps other senders off an entry, milliseconds; an entry whose send
    /// failed waits this long before it is claimed again. It must outlast a batch's sends, or a
    /// slow sender could put an old floor after another sender put the new one: with the
    /// defaults a batch takes at most 6 tries × 2 calls × 20 s (the SDK's operation timeout) =
    /// 240 s, and a round claims no batch after it has run a fifth of the claim (60 s).
    pub claim_ms: i64,
    /// Keys per `UpdateKeys` call (at most [`MAX_KEYS_PER_UPDATE`]).
    pub keys_per_update: usize,
    /// Batches per round, so one round cannot hold the sender for ever; the rest waits for the
    /// next round, which comes at once ([`Synced::more`]).
    pub batches_per_round: usize,
    /// Times a batch is sent again after a stale ETag, each time with a fresh one.
    pub conflict_retries: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            claim_ms: 300_000,
            keys_per_update: MAX_KEYS_PER_UPDATE,
            batches_per_round: 20,
            conflict_retries: 5,
        }
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    /// Floors the edge now holds.
    pub put: usize,
    /// Expired floors the edge no longer holds.
    pub deleted: usize,
    /// Batches claimed and sent.
    pub batches: usize,
    /// The round stopped at its bound (batches or time) with entries perhaps still due.
    pub more: bool,
}

/// Why a round stopped early. Nothing is lost: what was not recorded is claimed again.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The outbox could not be read or written.
    #[error("revocation outbox {call}: {source}")]
    Store {
        /// Which store call.
        call: &'static str,
        /// Its error.
        source: StoreError,
    },
    /// The KeyValueStore refused or could not be reached.
    #[error(transparent)]
    Edge(#[from] EdgeStoreError),
}

impl SyncError {
    /// The call that failed: a store method or a data-plane call.
    pub fn call(&self) -> &'static str {
        match self {
            SyncError::Store { call, .. } => call,
            SyncError::Edge(e) => e.call(),
        }
    }
}

/// A round that stopped early, with what it had done (recorded) before.
#[derive(Debug, thiserror::Error)]
#[error("{error} (this round had put {} and deleted {} first)", .done.put, .done.deleted)]
pub struct SyncFailed {
    /// What the round had sent and recorded before it stopped.
    pub done: Synced,
    /// Why it stopped.
    pub error: SyncError,
}

/// One round at `now_ms`: claims the due entries a batch at a time, sends each batch
/// ETag-checked, and records each entry the edge now holds (`edge_synced`) or no longer holds
/// (`edge_removed`). Stops at the first error, leaving the rest to later rounds.
pub async fn sync_once(
    store: &dyn Store,
    edge: &dyn EdgeStore,
    now_ms: i64,
    limits: &Limits,
) -> Result<Synced, SyncFailed> {
    let mut round = Round {
        store,
        edge,
        now_ms,
        limits,
        etag: None,
        done: Synced::default(),
    };
    match round.run().await {
        Ok(()) => Ok(round.done),
        Err(error) => Err(SyncFailed {
            done: round.done,
            error,
        }),
    }
}

struct Round<'a> {
    store: &'a dyn Store,
    edge: &'a dyn EdgeStore,
    now_ms: i64,
    limits: &'a Limits,
    /// The store's version after our last update, so a batch after the first needs no
    /// `DescribeKeyValueStore`; `None` when it must be read.
    etag: Option<String>,
    done: Synced,
}

impl Round<'_> {
    async fn run(&mut self) -> Result<(), SyncError> {
        let per_update = self.limits.keys_per_update.clamp(1, MAX_KEYS_PER_UPDATE);
        let limit = u32::try_from(per_update).unwrap_or(1);
        let until_ms = self.now_ms.saturating_add(self.limits.claim_ms);
        // Claims run from the round's `now_ms`: a batch claimed late in a long round would get
        // less than a whole claim, so the round stops claiming early (see `Limits::claim_ms`).
        let started = std::time::Instant::now();
        let budget = Duration::from_millis(u64::try_from(self.limits.claim_ms / 5).unwrap_or(0));
        for _ in 0..self.limits.batches_per_round.max(1) {
            if started.elapsed() > budget {
                self.done.more = true;
                return Ok(());
            }
            let due = self
                .store
                .claim_edge_due(self.now_ms, until_ms, limit)
                .await
                .map_err(|source| SyncError::Store {
                    call: "claim_edge_due",
                    source,
                })?;
            if due.is_empty() {
                return Ok(());
            }
            self.batch(&due).await?;
            self.done.batches += 1;
            if due.len() < per_update {
                return Ok(());
            }
        }
        self.done.more = true;
        Ok(())
    }

    /// Puts and deletes go in separate calls, puts first: a delete that fails (it is only
    /// clean-up) never holds back a floor, which is what refuses links.
    async fn batch(&mut self, due: &[EdgeDue]) -> Result<(), SyncError> {
        let (gone, live): (Vec<&EdgeDue>, Vec<&EdgeDue>) = due.iter().partition(|d| d.expired);
        if !live.is_empty() {
            let puts: Vec<(String, String)> = live
                .iter()
                .map(|d| (d.prefix.clone(), d.floor.to_string()))
                .collect();
            self.update(&puts, &[]).await?;
            for d in &live {
                self.store
                    .edge_synced(&d.prefix, d.floor)
                    .await
                    .map_err(|source| SyncError::Store {
                        call: "edge_synced",
                        source,
                    })?;
                self.done.put += 1;
            }
        }
        if gone.is_empty() {
            return Ok(());
        }
        let deletes: Vec<String> = gone.iter().map(|d| d.prefix.clone()).collect();
        match self.update(&[], &deletes).await {
            Ok(()) => {}
            // UpdateKeys is all-or-nothing; should one key be missing already (deleted by a
            // sender that died before recording it), the rest must not wait on it.
            Err(EdgeStoreError::NotFound { .. }) if deletes.len() > 1 => {
                for key in &deletes {
                    self.delete_alone(key).await?;
                    self.removed(key).await?;
                }
                return Ok(());
            }
            // One key, alone, not found: gone already (see `delete_alone`).
            Err(EdgeStoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        for key in &deletes {
            self.removed(key).await?;
        }
        Ok(())
    }

    /// One key's delete. "Not found" means what the delete was for has happened: the store
    /// itself exists, as this round's `DescribeKeyValueStore` or update showed.
    async fn delete_alone(&mut self, key: &str) -> Result<(), SyncError> {
        match self.update(&[], &[key.to_owned()]).await {
            Ok(()) | Err(EdgeStoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn removed(&mut self, key: &str) -> Result<(), SyncError> {
        self.store
            .edge_removed(key, self.now_ms)
            .await
            .map_err(|source| SyncError::Store {
                call: "edge_removed",
                source,
            })?;
        self.done.deleted += 1;
        Ok(())
    }

    /// One update at the store's current version: on a stale ETag, reads it again and resends,
    /// up to [`Limits::conflict_retries`] times.
    async fn update(
        &mut self,
        puts: &[(String, String)],
        deletes: &[String],
    ) -> Result<(), EdgeStoreError> {
        let mut retries = 0;
        loop {
            // Taken, not borrowed: after any failure the next attempt reads a fresh one.
            let if_match = match self.etag.take() {
                Some(etag) => etag,
                None => self.edge.etag().await?,
            };
            match self.edge.update(&if_match, puts, deletes).await {
                Ok(next) => {
                    self.etag = Some(next).filter(|etag| !etag.is_empty());
                    return Ok(());
                }
                Err(EdgeStoreError::Conflict { .. }) if retries < self.limits.conflict_retries => {
                    retries += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}
