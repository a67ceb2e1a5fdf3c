//! Typed settings, layered in a fixed order: built-in defaults → `mediagate.toml` (or `--config`)
//! → `MEDIAGATE_*` environment (`__` separates sections: `MEDIAGATE_SIGNING__TTL_SECS=600`) →
//! command-line flags. `DATABASE_URL` is honoured too. Secrets may come from `*_file` settings;
//! such files must not be readable by group or others.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};

mod choices;
mod secret;

pub use choices::{AuthKind, LogFormat, SameSiteSetting, Scheme, SigningHash};
pub use secret::Secret;

/// Every setting. Field docs are the reference; `mediagate.toml` repeats them with defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Dev mode: the embedded conveniences (generated signing key and HS256 secret, embedded S3,
    /// the local edge, `/dev/token`, `/demo`, GraphiQL, introspection and `/metrics` on the main
    /// listener). Unset: on exactly when neither `cloudfront.domain` nor `s3.bucket` is set, so a
    /// production-shaped config never gets them by accident. See [`Config::dev_mode`].
    pub dev: Option<bool>,
    /// HTTP server.
    pub server: ServerConfig,
    /// Metadata database.
    pub database: DatabaseConfig,
    /// CloudFront signing keys and link lifetimes.
    pub signing: SigningConfig,
    /// The distribution links point at.
    pub cloudfront: CloudFrontConfig,
    /// Signed-cookie attributes.
    pub cookies: CookieConfig,
    /// Who the caller is.
    pub auth: AuthConfig,
    /// GraphQL limits.
    pub graphql: GraphqlConfig,
    /// Where uploads go: S3, or the embedded local S3 server.
    pub s3: S3Config,
    /// What may be uploaded, and how often.
    pub uploads: UploadConfig,
    /// The background job that finishes deletes and abandoned uploads.
    pub reaper: ReaperConfig,
    /// CloudFront invalidations when an image is hidden.
    pub invalidation: InvalidationConfig,
    /// Logging.
    pub log: LogConfig,
}

/// HTTP server settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: String,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// How long in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// A second listener for operators: `/metrics`, `/healthz` and `/readyz`. Unset: `/metrics`
    /// is on the main listener in dev mode and nowhere otherwise.
    pub admin_listen: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            workers: 0,
            body_limit_bytes: 64 * 1024,
            shutdown_timeout_secs: 30,
            admin_listen: None,
        }
    }
}

/// Database settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path` (embedded default) or `postgres://user@host/db`.
    pub url: Secret,
    /// Read the URL (it may hold a password) from this file instead.
    pub url_file: Option<PathBuf>,
    /// Connection pool size.
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: Secret::new("sqlite://data/mediagate.db"),
            url_file: None,
            max_connections: 4,
        }
    }
}

/// One more signing key, trusted for verification and available for rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraKey {
    /// Its CloudFront key-pair id.
    pub key_pair_id: String,
    /// Its private key file (mode 0600).
    pub private_key_file: PathBuf,
}

/// Signing settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigningConfig {
    /// CloudFront key-pair id of the active key. Unset: a dev key is generated in `keys/`.
    pub key_pair_id: Option<String>,
    /// The active private key (PEM, mode 0600).
    pub private_key_file: PathBuf,
    /// Other keys in the ring (e.g. the previous key during a rotation).
    pub extra_keys: Vec<ExtraKey>,
    /// `sha1` (what every AWS SDK signs with) or `sha256`.
    pub hash: SigningHash,
    /// Links made within one window share an expiry, so they are identical and cacheable.
    pub window_secs: u64,
    /// How long a link stays valid after its window closes.
    pub ttl_secs: u64,
    /// Signature cache capacity, in bytes of URL and key.
    pub cache_bytes: u64,
}

impl Default for SigningConfig {
    fn default() -> Self {
        SigningConfig {
            key_pair_id: None,
            private_key_file: "keys/dev.pem".into(),
            extra_keys: Vec::new(),
            hash: SigningHash::Sha1,
            window_secs: 300,
            ttl_secs: 3600,
            cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Distribution settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CloudFrontConfig {
    /// Domain (and optional port) of the distribution or its alternate domain name. Unset: the
    /// local edge at `/edge` on this service is the CDN (development; plain http).
    pub domain: Option<String>,
    /// `https` in production; `http` only for a local edge.
    pub scheme: Scheme,
}

impl Default for CloudFrontConfig {
    fn default() -> Self {
        CloudFrontConfig {
            domain: None,
            scheme: Scheme::Https,
        }
    }
}

/// Signed-cookie attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CookieConfig {
    /// Cookie Domain, e.g. `example.com` so `media.example.com` receives them. Unset: host-only.
    pub domain: Option<String>,
    /// `strict`, `lax` or `none`.
    pub same_site: SameSiteSetting,
    /// Mark cookies Secure (turn off only for a plain-http local edge that is not localhost).
    pub secure: bool,
}

impl Default for CookieConfig {
    fn default() -> Self {
        CookieConfig {
            domain: None,
            same_site: SameSiteSetting::Lax,
            secure: true,
        }
    }
}

/// Identity settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// `hs256` (shared secret) or `oidc` (issuer + JWKS).
    pub mode: AuthKind,
    /// HS256 secret. Prefer `hs256_secret_file`.
    pub hs256_secret: Option<Secret>,
    /// File holding the HS256 secret (mode 0600). Neither set: a dev secret is generated in `data/`.
    pub hs256_secret_file: Option<PathBuf>,
    /// Expected `iss`; for OIDC, the issuer URL to discover.
    pub issuer: Option<String>,
    /// Expected `aud`.
    pub audience: Option<String>,
    /// Accept Cognito access tokens, which carry `client_id` instead of `aud`.
    pub accept_client_id_as_audience: bool,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway_secs: u64,
    /// An unknown `kid` refreshes the JWKS at most this often.
    pub jwks_min_refresh_interval_secs: u64,
    /// A fetched JWKS is trusted this long (refreshed in the background before).
    pub jwks_max_age_secs: u64,
    /// Timeout for discovery and JWKS requests.
    pub http_timeout_secs: u64,
    /// A token whose `exp` is further ahead than this (plus the leeway) is refused.
    pub max_token_lifetime_secs: u64,
    /// OIDC: accept only access tokens (header `typ` `at+jwt`, or `token_use: access`).
    pub require_access_token_type: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            mode: AuthKind::Hs256,
            hs256_secret: None,
            hs256_secret_file: None,
            issuer: Some("mediagate-dev".into()),
            audience: Some("mediagate".into()),
            accept_client_id_as_audience: false,
            leeway_secs: 60,
            jwks_min_refresh_interval_secs: 30,
            jwks_max_age_secs: 600,
            http_timeout_secs: 5,
            max_token_lifetime_secs: 86_400,
            require_access_token_type: true,
        }
    }
}

/// GraphQL guards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraphqlConfig {
    /// Deepest selection nesting accepted (fragments expanded).
    pub max_depth: usize,
    /// Most aliased fields in one document.
    pub max_aliases: usize,
    /// Largest cost of one operation (every field counts 1, a `first: n` below it counts n times);
    /// checked with the request's variables before anything runs.
    pub max_cost: u64,
    /// Largest response body; a bigger answer is replaced by an error.
    pub max_response_bytes: usize,
    /// Answer introspection queries (schema discovery; GraphiQL needs it). Unset: on in dev
    /// mode only.
    pub introspection: Option<bool>,
    /// Serve GraphiQL at `/graphiql`. Unset: in dev mode only.
    pub graphiql: Option<bool>,
}

impl Default for GraphqlConfig {
    fn default() -> Self {
        GraphqlConfig {
            max_depth: 10,
            max_aliases: 30,
            max_cost: 5_000,
            max_response_bytes: 4 * 1024 * 1024,
            introspection: None,
            graphiql: None,
        }
    }
}

/// S3 settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// The bucket. Unset: the embedded local S3 server (dev), storing under `local_dir`.
    pub bucket: Option<String>,
    /// The bucket's region.
    pub region: String,
    /// An S3-compatible endpoint (`http://127.0.0.1:9000`). Unset: AWS S3 for the region.
    pub endpoint: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need.
    pub force_path_style: bool,
    /// Static access key id for an S3-compatible endpoint. Unset: the AWS credential chain
    /// (environment, profile, web identity, ECS, instance metadata).
    pub access_key_id: Option<String>,
    /// File holding the secret access key that goes with `access_key_id` (mode 0600).
    pub secret_access_key_file: Option<PathBuf>,
    /// The embedded local S3 server's address (used only when `bucket` is unset); port 0 picks one.
    pub local_listen: String,
    /// Where the embedded local S3 server keeps objects.
    pub local_dir: PathBuf,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            bucket: None,
            region: "us-east-1".into(),
            endpoint: None,
            force_path_style: false,
            access_key_id: None,
            secret_access_key_file: None,
            local_listen: "127.0.0.1:0".into(),
            local_dir: PathBuf::from("data/s3"),
        }
    }
}

/// Upload rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadConfig {
    /// Content types `createUpload` accepts.
    pub allowed_content_types: Vec<String>,
    /// Largest upload, in bytes.
    pub max_bytes: u64,
    /// How long a presigned PUT or DELETE stays valid.
    pub url_ttl_secs: u64,
    /// Most PENDING uploads one user may have at once.
    pub max_pending_per_user: u32,
    /// `createUpload` calls one user may make per minute (bursts up to this many).
    pub per_minute: u32,
    /// A PENDING upload older than this is abandoned: the reaper removes it and its object.
    pub abandon_after_secs: u64,
}

impl Default for UploadConfig {
    fn default() -> Self {
        UploadConfig {
            allowed_content_types: [
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/webp",
                "image/avif",
                "image/heic",
            ]
            .map(String::from)
            .to_vec(),
            max_bytes: 25 * 1024 * 1024,
            url_ttl_secs: 60,
            max_pending_per_user: 20,
            per_minute: 30,
            abandon_after_secs: 3600,
        }
    }
}

/// Reaper settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReaperConfig {
    /// Seconds between two passes; 0 turns the reaper off.
    pub interval_secs: u64,
    /// Most images handled per pass.
    pub batch: u32,
}

impl Default for ReaperConfig {
    fn default() -> Self {
        ReaperConfig {
            interval_secs: 60,
            batch: 500,
        }
    }
}

/// CloudFront invalidation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InvalidationConfig {
    /// Send invalidations (CloudFront charges per path beyond the free tier).
    pub enabled: bool,
    /// The distribution's id, e.g. `E2QWRUHAPOMQZL`.
    pub distribution_id: Option<String>,
    /// Seconds between two batches.
    pub interval_secs: u64,
    /// Most paths in one invalidation batch.
    pub max_paths_per_batch: usize,
    /// Most paths in flight (CloudFront allows 3000 per distribution).
    pub max_paths_in_flight: usize,
}

impl Default for InvalidationConfig {
    fn default() -> Self {
        InvalidationConfig {
            enabled: false,
            distribution_id: None,
            interval_secs: 30,
            max_paths_per_batch: 1000,
            max_paths_in_flight: 3000,
        }
    }
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `json` (one object per line) or `pretty`.
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `mediagate=debug,info`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Json,
            level: "info".into(),
        }
    }
}

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file, environment or a value is wrong.
    #[error("configuration: {0}")]
    Invalid(String),
    /// A secret file could not be used.
    #[error("secret file {path}: {why}")]
    SecretFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

/// The sections of the file, which are also the first part of `MEDIAGATE_SECTION__KEY`.
const SECTIONS: [&str; 12] = [
    "server",
    "database",
    "signing",
    "cloudfront",
    "cookies",
    "auth",
    "graphql",
    "s3",
    "uploads",
    "reaper",
    "invalidation",
    "log",
];

/// Settings outside any section: `MEDIAGATE_DEV` sets `dev`.
const TOP_LEVEL: [&str; 1] = ["dev"];

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_FILE: &str = "mediagate.toml";

impl Config {
    /// Loads defaults → `file` (or `mediagate.toml` when present) → environment. `env` is the
    /// environment to read (pass `std::env::vars()`), so tests need not touch the process's.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(ConfigError::Invalid(format!(
                        "config file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None if Path::new(DEFAULT_FILE).exists() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_FILE))
            }
            None => {}
        }
        let env: Vec<(String, String)> = env.into_iter().collect();
        let prefixed: Vec<(String, String)> = env
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("MEDIAGATE_")
                    .map(|k| (k.to_ascii_lowercase(), v.clone()))
            })
            .collect();
        for (key, value) in &prefixed {
            if TOP_LEVEL.contains(&key.as_str()) {
                let value: figment::value::Value =
                    value.parse().unwrap_or_else(|never| match never {});
                figment = figment.merge(Serialized::global(key, value));
                continue;
            }
            // Other MEDIAGATE_* variables (test tooling, wrappers) are not settings; only a near
            // miss of one, a section name with a single underscore, is worth refusing.
            if !key.contains("__") {
                if let Some(section) = SECTIONS.iter().find(|s| key.starts_with(&format!("{s}_"))) {
                    return Err(ConfigError::Invalid(format!(
                        "environment variable MEDIAGATE_{} looks like a setting but needs two underscores after the section: MEDIAGATE_{}__{}",
                        key.to_ascii_uppercase(),
                        section.to_ascii_uppercase(),
                        key[section.len() + 1..].to_ascii_uppercase()
                    )));
                }
                continue;
            }
            // Values parse as figment's Env provider parses them ("false" is a bool, "20" a number).
            let value: figment::value::Value = value.parse().unwrap_or_else(|never| match never {});
            figment = figment.merge(Serialized::global(&key.replace("__", "."), value));
        }
        if let Some((_, url)) = env.iter().find(|(k, _)| k == "DATABASE_URL") {
            figment = figment.merge(Serialized::global("database.url", url));
        }
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(one_line(&e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Whether dev mode is on: `dev` when set, otherwise whether this is the embedded-defaults
    /// shape (no CloudFront domain and no bucket).
    pub fn dev_mode(&self) -> bool {
        self.dev
            .unwrap_or(self.cloudfront.domain.is_none() && self.s3.bucket.is_none())
    }

    /// Whether introspection is answered (`graphql.introspection`, or dev mode).
    pub fn introspection(&self) -> bool {
        self.graphql.introspection.unwrap_or(self.dev_mode())
    }

    /// Whether `/graphiql` is served (`graphql.graphiql`, or dev mode).
    pub fn graphiql(&self) -> bool {
        self.graphql.graphiql.unwrap_or(self.dev_mode())
    }

    /// Outside dev mode nothing is generated or embedded: what production needs must be set, and
    /// the error names each missing setting.
    pub fn check_production(&self) -> Result<(), ConfigError> {
        if self.dev_mode() {
            return Ok(());
        }
        let mut missing = Vec::new();
        if self.signing.key_pair_id.is_none() {
            missing.push("signing.key_pair_id (with signing.private_key_file): the key your CloudFront key group trusts");
        }
        if self.auth.mode == AuthKind::Hs256
            && self.auth.hs256_secret.is_none()
            && self.auth.hs256_secret_file.is_none()
        {
            missing.push("auth.hs256_secret_file (or auth.mode = \"oidc\")");
        }
        if self.s3.bucket.is_none() {
            missing.push("s3.bucket");
        }
        if self.cloudfront.domain.is_none() {
            missing.push("cloudfront.domain");
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(ConfigError::Invalid(format!(
            "production mode (cloudfront.domain or s3.bucket is set, or dev = false) generates \
             and embeds nothing; set {}; or set dev = true (MEDIAGATE_DEV=true) for the \
             development defaults",
            missing.join(", ")
        )))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if self.signing.window_secs == 0 || self.signing.ttl_secs == 0 {
            return bad("signing.window_secs and signing.ttl_secs must be at least 1".into());
        }
        if self.auth.mode == AuthKind::Oidc
            && self
                .auth
                .issuer
                .as_deref()
                .is_none_or(|i| !i.starts_with("http"))
        {
            return bad(
                "auth.mode = \"oidc\" needs auth.issuer, the issuer URL (https://…)".into(),
            );
        }
        if self.auth.jwks_max_age_secs == 0 || self.auth.max_token_lifetime_secs == 0 {
            return bad(
                "auth.jwks_max_age_secs and auth.max_token_lifetime_secs must be at least 1".into(),
            );
        }
        if let Some(domain) = &self.cloudfront.domain
            && (domain.is_empty() || domain.contains(['/', '?', '#', ' ']))
        {
            return bad(format!(
                "cloudfront.domain {domain:?} must be a host name such as d111111abcdef8.cloudfront.net"
            ));
        }
        if self.graphql.max_depth == 0 {
            return bad("graphql.max_depth must be at least 1".into());
        }
        if self.graphql.max_cost == 0 {
            return bad("graphql.max_cost must be at least 1".into());
        }
        if self.graphql.max_response_bytes < 1024 {
            return bad("graphql.max_response_bytes must be at least 1024".into());
        }
        if self.s3.bucket.as_deref().is_some_and(str::is_empty) {
            return bad(
                "s3.bucket is empty; set a bucket name or leave it unset for the local S3 server"
                    .into(),
            );
        }
        if self
            .s3
            .endpoint
            .as_deref()
            .is_some_and(|e| !(e.starts_with("http://") || e.starts_with("https://")))
        {
            return bad(format!(
                "s3.endpoint {:?} must be a URL such as http://127.0.0.1:9000",
                self.s3.endpoint.as_deref().unwrap_or_default()
            ));
        }
        if self.s3.access_key_id.is_some() != self.s3.secret_access_key_file.is_some() {
            return bad("s3.access_key_id and s3.secret_access_key_file go together".into());
        }
        // SigV4 presigned URLs cannot live longer than 7 days.
        if !(1..=604_800).contains(&self.uploads.url_ttl_secs) {
            return bad(
                "uploads.url_ttl_secs must be between 1 and 604800 (SigV4's 7 days)".into(),
            );
        }
        if self.uploads.allowed_content_types.is_empty() {
            return bad("uploads.allowed_content_types is empty: nothing could be uploaded".into());
        }
        if self.uploads.max_bytes == 0
            || self.uploads.per_minute == 0
            || self.uploads.max_pending_per_user == 0
        {
            return bad("uploads.max_bytes, uploads.per_minute and uploads.max_pending_per_user must be at least 1".into());
        }
        if self.invalidation.enabled && self.invalidation.distribution_id.is_none() {
            return bad("invalidation.enabled needs invalidation.distribution_id".into());
        }
        if !(1..=3000).contains(&self.invalidation.max_paths_per_batch)
            || self.invalidation.max_paths_in_flight < self.invalidation.max_paths_per_batch
        {
            return bad("invalidation.max_paths_per_batch must be 1..=3000 and at most invalidation.max_paths_in_flight".into());
        }
        Ok(())
    }
}

fn one_line(e: &figment::Error) -> String {
    e.to_string().replace('\n', " ")
}

/// Reads a secret file, refusing one the group or others can read; trailing newlines are dropped.
pub fn read_secret_file(path: &Path) -> Result<String, ConfigError> {
    let err = |why: String| ConfigError::SecretFile {
        path: path.to_owned(),
        why,
    };
    let mode = std::fs::metadata(path)
        .map_err(|e| err(e.to_string()))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(err(format!(
            "is readable by group or others (mode {mode:04o}); run: chmod 600 {}",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let text = text.trim_end_matches(['\n', '\r']).to_owned();
    if text.is_empty() {
        return Err(err("is empty".into()));
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
