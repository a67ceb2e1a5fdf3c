//! `mediagate serve`: the service.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use super::Outcome;

use crate::app;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::telemetry;

/// Where settings come from.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// Settings file (default: ./mediagate.toml when it exists)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    /// Defaults → file → environment.
    pub fn load(&self) -> anyhow::Result<Config> {
        Ok(Config::load(self.config.as_deref(), std::env::vars())?)
    }
}

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArgs,
    /// Address to listen on (overrides server.listen), e.g. 127.0.0.1:0 for any free port
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
}

pub(super) fn run(args: Args) -> anyhow::Result<Outcome> {
    let config_file = args.config.config.clone();
    let mut config = args.config.load()?;
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    telemetry::init(&config.log);
    // One thread: this runtime only awaits the server and signals; actix runs its own workers.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(config, config_file))?;
    Ok(Outcome::Done)
}

async fn serve(config: Config, config_file: Option<PathBuf>) -> anyhow::Result<()> {
    let (state, app) = app::start(config.clone(), Arc::new(SystemClock), |_| {}).await?;
    let addr = app.addr();
    tracing::info!(%addr, admin = ?app.admin_addr(), active_key = state.links.active_key_id(), "listening");
    // Scripts read these lines; one that closed its end of the pipe must not stop the service.
    let mut out = std::io::stdout();
    let graphiql = if state.config.graphiql() {
        ", GraphiQL at /graphiql"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "mediagate listening on http://{addr} (GraphQL at /graphql{graphiql})"
    );
    if let Some(admin) = app.admin_addr() {
        let _ = writeln!(
            out,
            "admin listening on http://{admin} (/metrics, /healthz, /readyz)"
        );
    }
    for sidecar in &state.sidecars {
        let _ = writeln!(out, "{}", sidecar.describe());
    }
    let _ = out.flush();
    crate::lifecycle::spawn_reaper(Arc::clone(&state));
    let keys_of = Arc::clone(&state);
    crate::key_ring::reload::spawn(config, config_file, move |ring| {
        keys_of.links.replace_keys(ring)
    });
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
