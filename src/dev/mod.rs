//! Dev mode, in one place: everything that exists so the whole flow runs on a laptop with no AWS
//! account, and nothing a production deployment runs.
//!
//! - `keys.rs`: the dev signing key in `keys/` and the HS256 dev secret in `data/`, generated on
//!   first use;
//! - [`local_s3`]: the embedded S3 server uploads go to when no bucket is set (feature
//!   `local-s3`);
//! - [`edge`]: the local CloudFront edge at `/edge`, when no CloudFront domain is set;
//! - [`demo`]: the demo gallery at `/demo` and `POST /dev/token`.
//!
//! The rest of the service reaches it only through [`Routes`] (which `app::start` hands to the
//! HTTP server), [`local_object_store`] and the key helpers, all called by `app.rs` when
//! [`Config::dev_mode`] says so; production code has no dev branches of its own.

use std::net::SocketAddr;

use actix_web::web;

use crate::config::Config;
use crate::s3::ObjectStore;
use crate::state::Sidecar;

pub mod demo;
pub mod edge;
mod keys;
#[cfg(feature = "local-s3")]
pub mod local_s3;

pub use keys::{DEV_SECRET_FILE, dev_key_pair_id, ensure_dev_key, ensure_dev_secret};

/// The routes dev mode adds to the main listener; decided once from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Routes {
    /// `/demo` and `/dev/token` (dev mode).
    demo: bool,
    /// The local CloudFront edge at `/edge` (dev mode without a CloudFront domain).
    edge: bool,
}

impl Routes {
    /// What `config` turns on; nothing outside dev mode.
    pub fn of(config: &Config) -> Routes {
        let dev = config.dev_mode();
        Routes {
            demo: dev,
            edge: dev && config.cloudfront.domain.is_none(),
        }
    }

    /// Adds the routes to an actix app.
    pub fn configure(self, cfg: &mut web::ServiceConfig) {
        if self.demo {
            demo::configure(cfg);
        }
        if self.edge {
            edge::configure(cfg);
        }
    }
}

/// Where links point when the local edge is the CDN (dev mode without `cloudfront.domain`), given
/// the main listener's bound address; `None` otherwise.
pub fn edge_origin(config: &Config, main: SocketAddr) -> Option<String> {
    Routes::of(config)
        .edge
        .then(|| format!("http://{main}{}", edge::PREFIX.trim_end_matches('/')))
}

/// The embedded S3 server, started for a config without a bucket (dev mode only), and a client
/// for it.
pub async fn local_object_store(
    config: &Config,
) -> anyhow::Result<(ObjectStore, Box<dyn Sidecar>)> {
    // `check_production` has refused a missing bucket outside dev mode; this holds the line.
    anyhow::ensure!(config.dev_mode(), "s3.bucket is not set");
    #[cfg(feature = "local-s3")]
    {
        let local = local_s3::LocalS3::start(&config.s3.local_listen, &config.s3.local_dir).await?;
        tracing::warn!(
            endpoint = %format!("http://{}", local.addr()),
            dir = %config.s3.local_dir.display(),
            "LOCAL S3 IN USE: uploads go to the embedded development S3 server. Set s3.bucket for real S3."
        );
        let objects = ObjectStore::connect(local.target()).await?;
        Ok((objects, Box::new(local)))
    }
    #[cfg(not(feature = "local-s3"))]
    anyhow::bail!(
        "s3.bucket is not set and this build has no embedded local S3 server (feature local-s3)"
    )
}
