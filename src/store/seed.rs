//! The benchmark dataset, loaded in bulk: users `u0000`… (username = id, subject
//! `{issuer}|u0000`, so a token of that issuer for `u0000` is that user), each with images
//! `{user}-{n:04}` keyed `{user}/{user}-{n:04}/{n:04}.jpg`, all PUBLIC and READY, image/jpeg,
//! size 1000 + n.
//!
//! Not part of [`Store`](super::Store): the service never seeds; `mediagate seed`, the load
//! tests and the test suite do, through [`seeder`](super::seeder). Each backend writes the rows
//! its fastest way (SQLite: multi-row VALUES; PostgreSQL: arrays and UNNEST), in one transaction.

use async_trait::async_trait;

use super::StoreError;

/// What the seeder did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Users inserted.
    pub users: u64,
    /// Images inserted.
    pub images: u64,
}

/// Loads the benchmark dataset: users `u0000`… with images `{user}-{n:04}`, all PUBLIC and
/// READY (the full shape is in `store/seed.rs`).
#[async_trait]
pub trait Seed: Send + Sync {
    /// Inserts `users` users with `images_per_user` images each, created at `now_ms`; skips rows
    /// that exist. Calls `progress(rows_done)` now and then.
    async fn seed(
        &self,
        users: u32,
        images_per_user: u32,
        issuer: &str,
        now_ms: i64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<SeedReport, StoreError>;
}

pub(super) const CONTENT_TYPE: &str = "image/jpeg";

/// The dataset's rows, by number.
pub(super) struct Dataset {
    /// `u0000`, `u0001`, …
    pub(super) users: Vec<String>,
    pub(super) issuer: String,
    images_per_user: u32,
}

/// One seed image.
pub(super) struct SeedImage<'a> {
    pub(super) id: String,
    pub(super) owner: &'a str,
    pub(super) key: String,
    pub(super) size: i64,
}

impl Dataset {
    pub(super) fn new(users: u32, images_per_user: u32, issuer: &str) -> Dataset {
        Dataset {
            users: (0..users).map(|i| format!("u{i:04}")).collect(),
            issuer: issuer.to_owned(),
            images_per_user,
        }
    }

    /// `{issuer}|{user}`.
    pub(super) fn subject(&self, user: &str) -> String {
        format!("{}|{user}", self.issuer)
    }

    /// How many images in all.
    pub(super) fn image_count(&self) -> u64 {
        self.users.len() as u64 * u64::from(self.images_per_user)
    }

    /// Images `start..end`, numbered user by user (chunk boundaries fall anywhere).
    pub(super) fn images(&self, start: u64, end: u64) -> impl Iterator<Item = SeedImage<'_>> {
        let per_user = u64::from(self.images_per_user);
        (start..end).map(move |row| {
            // Both fit: row < users * images_per_user, so the quotient indexes `users` and the
            // remainder is below images_per_user.
            let owner = self.users[(row / per_user) as usize].as_str();
            let n = (row % per_user) as u32;
            let id = format!("{owner}-{n:04}");
            SeedImage {
                key: format!("{owner}/{id}/{n:04}.jpg"),
                id,
                owner,
                size: 1000 + i64::from(n),
            }
        })
    }
}

/// Calls `progress` once every `every` rows, and once at the end.
pub(super) struct Pace<'a> {
    progress: &'a (dyn Fn(u64) + Send + Sync),
    every: u64,
    done: u64,
    reported: u64,
}

impl<'a> Pace<'a> {
    pub(super) fn new(progress: &'a (dyn Fn(u64) + Send + Sync), every: u64) -> Pace<'a> {
        Pace {
            progress,
            every,
            done: 0,
            reported: 0,
        }
    }

    /// `rows` more rows were written; users count too, but only images report.
    pub(super) fn advance(&mut self, rows: u64, report: bool) {
        self.done += rows;
        if report && self.done - self.reported >= self.every {
            (self.progress)(self.done);
            self.reported = self.done;
        }
    }

    /// The last report, unless the last `advance` made it.
    pub(super) fn finish(self) {
        if self.done != self.reported {
            (self.progress)(self.done);
        }
    }
}
