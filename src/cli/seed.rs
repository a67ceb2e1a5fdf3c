//! `mediagate seed` and `mediagate migrate`: database chores.

use std::io::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context as _;

use super::Outcome;
use super::serve::ConfigArgs;
use crate::app::database_url;
use crate::store;

/// Arguments of `seed`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArgs,
    /// Users to create: u0000, u0001, …
    #[arg(long)]
    users: u32,
    /// Images per user: {user}-0000, … (all PUBLIC and READY)
    #[arg(long)]
    images_per_user: u32,
}

/// Arguments of `migrate`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    config: ConfigArgs,
}

pub(super) fn run(args: Args, now: crate::cloudfront::Epoch) -> anyhow::Result<Outcome> {
    let config = args.config.load()?;
    let url = database_url(&config)?;
    let total = u64::from(args.users) * u64::from(args.images_per_user);
    let runtime = tokio::runtime::Runtime::new()?;
    let started = Instant::now();
    let last = Mutex::new(Instant::now());
    let report = runtime.block_on(async {
        let seeder = store::seeder(&url)
            .await
            .context("while opening the database")?;
        let progress = |done: u64| {
            if let Ok(mut last) = last.lock()
                && last.elapsed().as_millis() >= 500
            {
                *last = Instant::now();
                let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
                eprint!("\rseeding: {done}/{total} rows ({rate:.0} rows/s)   ");
                let _ = std::io::stderr().flush();
            }
        };
        let now_ms = now.millis();
        // The dev issuer's users: `dev-token --sub u0042` signs in as seeded u0042.
        let configured = config.auth.issuer.as_deref();
        let issuer = crate::auth::normalise_issuer(configured.unwrap_or(crate::auth::DEV_ISSUER));
        seeder
            .seed(args.users, args.images_per_user, &issuer, now_ms, &progress)
            .await
            .context("while seeding")
    })?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!();
    println!(
        "seeded {} users and {} images in {secs:.1} s ({:.0} images/s); existing rows were kept",
        report.users,
        report.images,
        report.images as f64 / secs.max(0.001)
    );
    Ok(Outcome::Done)
}

pub(super) fn migrate(args: MigrateArgs) -> anyhow::Result<Outcome> {
    let config = args.config.load()?;
    let url = database_url(&config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime
        .block_on(store::connect(&url, 1))
        .context("while migrating")?;
    println!("database is up to date");
    Ok(Outcome::Done)
}
