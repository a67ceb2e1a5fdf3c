//! The sections of the settings, one struct each, with their defaults. Validation across
//! sections and the layering live in `config.rs`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{AuthKind, LogFormat, SameSiteSetting, Scheme, Secret, SigningHash};

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
    /// The whole key ring as one secret, JSON (`{"active": ID, "keys": [{"key_pair_id", "private_key_pem"}]}`),
    /// e.g. injected into the environment from a secrets manager. Excludes the per-file settings.
    pub key_ring: Option<Secret>,
    /// The key ring JSON in a file (0600, or 0440 for the process's own group), re-read every
    /// `reload_interval_secs`: a mounted secret that is rotated in place.
    pub key_ring_file: Option<PathBuf>,
    /// Seconds between checks of the key files for changes (and reloads when they changed); 0 =
    /// only on SIGHUP.
    pub reload_interval_secs: u64,
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
            key_ring: None,
            key_ring_file: None,
            reload_interval_secs: 10,
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
            issuer: Some(crate::auth::DEV_ISSUER.into()),
            audience: Some(crate::auth::DEV_AUDIENCE.into()),
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
    /// Another endpoint for CloudFront's API: a stand-in such as moto's server (tests, local
    /// runs). Unset: CloudFront itself.
    pub endpoint_url: Option<String>,
}

impl Default for InvalidationConfig {
    fn default() -> Self {
        InvalidationConfig {
            enabled: false,
            distribution_id: None,
            interval_secs: 30,
            max_paths_per_batch: 1000,
            max_paths_in_flight: 3000,
            endpoint_url: None,
        }
    }
}

/// Revocation before expiry: the floors the edge enforces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RevocationConfig {
    /// The CloudFront KeyValueStore the revocation function reads, e.g.
    /// `arn:aws:cloudfront::111122223333:key-value-store/…` (the infra stacks' output). Unset:
    /// floors are enforced by the local edge only.
    pub key_value_store_arn: Option<String>,
    /// Another endpoint for the KeyValueStore API (a stand-in, in tests). Unset: AWS itself.
    pub endpoint_url: Option<String>,
    /// Seconds between two rounds of the sender (a revocation also wakes it at once).
    pub interval_secs: u64,
    /// A friendship's end revokes each FRIENDS image of both sides; a side with more than this
    /// many has its whole account revoked instead (one edge entry).
    pub max_entries_per_action: u32,
}

impl Default for RevocationConfig {
    fn default() -> Self {
        RevocationConfig {
            key_value_store_arn: None,
            endpoint_url: None,
            interval_secs: 5,
            max_entries_per_action: 100,
        }
    }
}

/// The audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Days an event is kept; older ones are removed by the reaper. 0 keeps them for ever.
    pub retention_days: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { retention_days: 90 }
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
