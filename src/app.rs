//! Putting the service together from settings: database, keys (dev defaults when unset),
//! identity, links, the object store, and (in [`start`]) the listeners and the HTTP server with
//! dev mode's routes. Shared by `serve`, the CLI tools and the tests.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::auth::{AuthMode, AuthSettings, Authenticator};
use crate::clock::Clock;
use crate::cloudfront::CookieAttributes;
use crate::config::{AuthKind, Config, read_secret_file};
use crate::dev;
use crate::http::{Application, Listeners};
use crate::invalidate::{CloudFrontControlPlane, InvalidationQueue};
use crate::key_ring::load_key_ring;
use crate::links::cache::ExpiryWindow;
use crate::links::{Linker, LinkerSettings};
use crate::metrics::Metrics;
use crate::s3::{ObjectStore, S3Target};
use crate::state::{AppState, Sidecar, profile_cache, user_cache};
use crate::store;
use crate::upload::UploadRules;

/// The database URL, from `database.url_file` when set.
pub fn database_url(config: &Config) -> anyhow::Result<String> {
    match &config.database.url_file {
        Some(path) => Ok(read_secret_file(path)?),
        None => Ok(config.database.url.expose().to_owned()),
    }
}

/// The HS256 secret: configured, from a file, or (dev) generated under `data/`. The flag is true
/// in dev mode (the secret was generated here).
pub fn hs256_secret(config: &Config) -> anyhow::Result<(Vec<u8>, bool)> {
    let a = &config.auth;
    match (&a.hs256_secret, &a.hs256_secret_file) {
        (Some(_), Some(_)) => {
            anyhow::bail!("set auth.hs256_secret or auth.hs256_secret_file, not both")
        }
        (Some(secret), None) => Ok((secret.expose().as_bytes().to_vec(), false)),
        (None, Some(path)) => Ok((read_secret_file(path)?.into_bytes(), false)),
        (None, None) if !config.dev_mode() => anyhow::bail!(
            "auth.hs256_secret_file is not set: outside dev mode no secret is generated"
        ),
        (None, None) => Ok((
            dev::ensure_dev_secret(Path::new(dev::DEV_SECRET_FILE))?,
            true,
        )),
    }
}

/// The authenticator the settings describe, and the dev secret when in dev mode.
pub fn authenticator(config: &Config) -> anyhow::Result<(Authenticator, Option<Vec<u8>>)> {
    let a = &config.auth;
    let (mode, dev_secret) = match a.mode {
        AuthKind::Oidc => (
            AuthMode::Oidc {
                issuer: a.issuer.clone().unwrap_or_default(),
                jwks_min_refresh_interval: Duration::from_secs(a.jwks_min_refresh_interval_secs),
                jwks_max_age: Duration::from_secs(a.jwks_max_age_secs),
                http_timeout: Duration::from_secs(a.http_timeout_secs),
            },
            None,
        ),
        AuthKind::Hs256 => {
            let (secret, dev) = hs256_secret(config)?;
            (
                AuthMode::Hs256 {
                    secret: secret.clone(),
                },
                dev.then_some(secret),
            )
        }
    };
    let auth = Authenticator::new(AuthSettings {
        mode,
        issuer: a.issuer.clone(),
        audience: a.audience.clone(),
        leeway_secs: a.leeway_secs,
        accept_client_id_as_audience: a.accept_client_id_as_audience,
        max_token_lifetime_secs: a.max_token_lifetime_secs,
        require_access_token_type: a.require_access_token_type,
    })?;
    Ok((auth, dev_secret))
}

fn cookie_attributes(config: &Config) -> anyhow::Result<CookieAttributes> {
    let c = &config.cookies;
    let attributes = CookieAttributes::new(c.domain.as_deref(), "/")?;
    // The local edge speaks plain http, where browsers drop Secure cookies.
    let attributes = if c.secure && config.cloudfront.domain.is_some() {
        attributes
    } else {
        attributes.without_secure()?
    };
    Ok(attributes.with_same_site(c.same_site.into())?)
}

/// The bucket from `[s3]`; without one, dev mode's embedded S3 server.
async fn object_store(config: &Config) -> anyhow::Result<(ObjectStore, Vec<Box<dyn Sidecar>>)> {
    match S3Target::from_config(&config.s3)? {
        Some(target) => Ok((ObjectStore::connect(&target).await?, Vec::new())),
        None => {
            let (objects, local) = dev::local_object_store(config).await?;
            Ok((objects, vec![local]))
        }
    }
}

/// Says loudly, once at start, which mode runs and what it means.
fn announce_mode(config: &Config) {
    if config.dev_mode() {
        tracing::warn!(
            explicit = config.dev.is_some(),
            local_edge = config.cloudfront.domain.is_none(),
            embedded_s3 = config.s3.bucket.is_none(),
            "DEV MODE: generated keys and secrets, /dev/token, /demo, GraphiQL, introspection and \
             /metrics are on{}. Never expose this to the internet; set cloudfront.domain and \
             s3.bucket (or dev = false) for production.",
            if config.cloudfront.domain.is_none() {
                ", and the local edge serves /edge"
            } else {
                ""
            }
        );
    } else {
        tracing::info!(
            introspection = config.introspection(),
            graphiql = config.graphiql(),
            metrics = if config.server.admin_listen.is_some() {
                "admin listener"
            } else {
                "off (set server.admin_listen)"
            },
            "production mode: no dev routes (/dev/token, /demo, /edge), nothing generated or embedded"
        );
    }
}

/// Binds the listeners, builds the state and the HTTP server with dev mode's routes when it is on:
/// what `serve` runs and what the tests drive. `adjust` may replace parts of the state first
/// (tests give a fake control plane).
pub async fn start(
    config: Config,
    clock: Arc<dyn Clock>,
    adjust: impl FnOnce(&mut AppState),
) -> anyhow::Result<(Arc<AppState>, Application)> {
    let listeners = Listeners::bind(&config.server)?;
    let mut state = build_state(config, clock, listeners.addr()).await?;
    adjust(&mut state);
    let state = Arc::new(state);
    let dev_routes = dev::Routes::of(&state.config);
    let app = Application::build(Arc::clone(&state), listeners, move |cfg| {
        dev_routes.configure(cfg)
    })?;
    Ok((state, app))
}

/// Builds the whole state: connects (and migrates) the database, loads keys, sets up identity.
/// `main` is the main listener's address (the local edge's links point there).
pub async fn build_state(
    config: Config,
    clock: Arc<dyn Clock>,
    main: SocketAddr,
) -> anyhow::Result<AppState> {
    config.check_production()?;
    announce_mode(&config);
    let url = database_url(&config)?;
    let store = store::connect(&url, config.database.max_connections)
        .await
        .context("while opening the database")?;
    let keys = load_key_ring(&config).context("while loading signing keys")?;
    let (auth, dev_secret) = authenticator(&config).context("while setting up authentication")?;
    let metrics = Metrics::new()?;
    let window = ExpiryWindow::new(config.signing.window_secs, config.signing.ttl_secs)
        .context("signing.window_secs and ttl_secs must be at least 1")?;
    let hash = config.signing.hash.into();
    let links = Linker::new(
        LinkerSettings {
            keys,
            window,
            hash,
            // Without a domain, in dev mode, the local edge is the CDN.
            origin: match (&config.cloudfront.domain, dev::edge_origin(&config, main)) {
                (Some(domain), _) => format!("{}://{domain}", config.cloudfront.scheme),
                (None, Some(edge)) => edge,
                (None, None) => anyhow::bail!("cloudfront.domain is not set"),
            },
            cookies: cookie_attributes(&config)?,
            cache_bytes: config.signing.cache_bytes,
        },
        metrics.clone(),
    );
    let (objects, sidecars) = object_store(&config).await?;
    let invalidations = match (
        &config.invalidation.enabled,
        &config.invalidation.distribution_id,
    ) {
        (true, Some(id)) => InvalidationQueue::start(
            &config.invalidation,
            Arc::clone(&store),
            Arc::new(
                CloudFrontControlPlane::new(
                    id.clone(),
                    config.invalidation.endpoint_url.as_deref(),
                    None,
                )
                .await,
            ),
            Arc::clone(&clock),
            metrics.clone(),
        ),
        _ => InvalidationQueue::disabled(),
    };
    let revocations = match &config.revocation.key_value_store_arn {
        Some(arn) => crate::revocation::Revocations::start(
            Arc::clone(&store),
            Arc::new(
                crate::revocation::edge::KeyValueStoreClient::new(
                    arn.clone(),
                    config.revocation.endpoint_url.as_deref(),
                    None,
                )
                .await,
            ),
            Duration::from_secs(config.revocation.interval_secs.max(1)),
            Arc::clone(&clock),
            metrics.clone(),
        ),
        None => {
            if config.cloudfront.domain.is_some() && !config.dev_mode() {
                tracing::warn!(
                    "revocation.key_value_store_arn is not set: CloudFront keeps serving revoked \
                     links until they expire (the stacks' output RevocationKeyValueStoreArn)"
                );
            }
            crate::revocation::Revocations::new()
        }
    };
    Ok(AppState {
        objects,
        upload_rules: UploadRules::new(&config.uploads),
        invalidations,
        revocations,
        sidecars,
        config,
        store,
        auth,
        links,
        metrics,
        clock,
        users: user_cache(),
        profiles: profile_cache(),
        dev_secret,
    })
}
