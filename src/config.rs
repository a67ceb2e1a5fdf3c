//! Typed settings, layered in a fixed order: built-in defaults → `mediagate.toml` (or `--config`)
//! → `MEDIAGATE_*` environment (`__` separates sections: `MEDIAGATE_SIGNING__TTL_SECS=600`) →
//! command-line flags. `DATABASE_URL` is honoured too. Secrets may come from `*_file` settings;
//! such files must not be readable by anyone else (`private_files::read_private`).

use std::path::{Path, PathBuf};

use std::collections::HashMap;

use figment::Figment;
use figment::providers::{Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};

mod choices;
mod secret;
mod sections;

pub use choices::{AuthKind, LogFormat, SameSiteSetting, Scheme, SigningHash};
pub use secret::Secret;
pub use sections::{
    AuditConfig, AuthConfig, CloudFrontConfig, CookieConfig, DatabaseConfig, ExtraKey,
    GraphqlConfig, InvalidationConfig, LogConfig, ReaperConfig, RevocationConfig, S3Config,
    ServerConfig, SigningConfig, UploadConfig,
};

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
    /// Revocation of links before they expire.
    pub revocation: RevocationConfig,
    /// The audit trail.
    pub audit: AuditConfig,
    /// Logging.
    pub log: LogConfig,
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

/// Secret settings whose environment value is taken as the text it is.
const VERBATIM: &[&str] = &["signing.key_ring", "auth.hs256_secret", "database.url"];

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
        // Which environment variable set each key, to name it when its value is refused.
        let mut from_env: HashMap<String, String> = HashMap::new();
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
                from_env.insert(
                    key.clone(),
                    format!("MEDIAGATE_{}", key.to_ascii_uppercase()),
                );
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
            let setting = key.replace("__", ".");
            // Values parse as figment's Env provider parses them ("false" is a bool, "20" a number),
            // except secrets, which are text as given: a key ring's JSON is not figment's dict
            // syntax, and a secret that happens to read as a number is still a secret.
            let value: figment::value::Value = if VERBATIM.contains(&setting.as_str()) {
                value.clone().into()
            } else {
                value.parse().unwrap_or_else(|never| match never {})
            };
            figment = figment.merge(Serialized::global(&setting, value));
            from_env.insert(setting, format!("MEDIAGATE_{}", key.to_ascii_uppercase()));
        }
        if let Some((_, url)) = env.iter().find(|(k, _)| k == "DATABASE_URL") {
            figment = figment.merge(Serialized::global("database.url", url));
            from_env.insert("database.url".into(), "DATABASE_URL".into());
        }
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(refusal(e, &from_env)))?;
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
        if self.signing.key_pair_id.is_none()
            && self.signing.key_ring.is_none()
            && self.signing.key_ring_file.is_none()
        {
            missing.push("signing.key_ring_file, signing.key_ring or signing.key_pair_id (with signing.private_key_file): the keys your CloudFront key group trusts");
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
        let s = &self.signing;
        if s.key_ring.is_some() && s.key_ring_file.is_some() {
            return bad("signing.key_ring and signing.key_ring_file are two ways to give the same key ring; set one".into());
        }
        if (s.key_ring.is_some() || s.key_ring_file.is_some())
            && (s.key_pair_id.is_some() || !s.extra_keys.is_empty())
        {
            return bad("signing.key_ring(_file) holds every key and names the active one; leave signing.key_pair_id and signing.extra_keys unset".into());
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

/// figment's errors, in our words: the setting's name and where its value came from (the file,
/// or the environment variable), instead of figment's layer names ("default.", "global.") and the
/// Rust source line that merged an environment value. One line; several errors are joined.
fn refusal(errors: figment::Error, from_env: &HashMap<String, String>) -> String {
    errors
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let origin = match e.metadata.as_ref().and_then(|m| m.source.as_ref()) {
                Some(figment::Source::File(path)) => format!(" (in {})", path.display()),
                _ => from_env
                    .get(&key)
                    .map(|var| format!(" (from the environment variable {var})"))
                    .unwrap_or_default(),
            };
            let what = match &e.kind {
                figment::error::Kind::UnknownVariant(found, allowed) => {
                    format!("`{found}` is not one of {}", words(allowed))
                }
                figment::error::Kind::UnknownField(found, allowed) => {
                    format!(
                        "no setting `{found}` here; the settings are {}",
                        words(allowed)
                    )
                }
                kind => kind.to_string().replace('\n', " "),
            };
            if key.is_empty() {
                format!("{what}{origin}")
            } else {
                format!("{key}: {what}{origin}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `a`, `b`, `c`.
fn words(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    quoted.join(", ")
}

/// Reads a secret file, refusing one anyone else may read (`private_files::read_private`);
/// trailing newlines are dropped.
pub fn read_secret_file(path: &Path) -> Result<String, ConfigError> {
    let err = |why: String| ConfigError::SecretFile {
        path: path.to_owned(),
        why,
    };
    let bytes = crate::private_files::read_private(path).map_err(|e| err(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| err("is not UTF-8 text".into()))?;
    let text = text.trim_end_matches(['\n', '\r']).to_owned();
    if text.is_empty() {
        return Err(err("is empty".into()));
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
