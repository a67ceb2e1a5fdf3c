//! How tokens are verified: [`AuthSettings`] and [`AuthMode`], their defaults, and the rule every
//! HS256 secret must meet (for verifying and for issuing alike).

use std::fmt;
use std::time::Duration;

/// Default allowance for clock skew on `exp` and `nbf`, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 60;
/// Default shortest time between two JWKS fetches.
pub const DEFAULT_JWKS_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// Default limit on each HTTP request to the issuer (connect, send, read the answer).
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// Default age at which a fetched JWKS is no longer trusted (jose's `cacheMaxAge`).
pub const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(600);
/// Default longest a token may still be valid for, from now: 24 h.
pub const DEFAULT_MAX_TOKEN_LIFETIME_SECS: u64 = 86_400;
/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits).
pub const MIN_HS256_SECRET_BYTES: usize = 32;

/// How tokens are verified.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Shared secret or OIDC issuer.
    pub mode: AuthMode,
    /// The `iss` every token must carry. HS256: `None` accepts any issuer, or none. OIDC: must be
    /// `None` or the mode's issuer (tokens must always carry the OIDC issuer).
    pub issuer: Option<String>,
    /// The audience every token must name in `aud`; `None` skips the check.
    pub audience: Option<String>,
    /// Allowance for clock skew on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// Accept a token without `aud` whose `client_id` is the audience (Cognito access tokens
    /// carry `client_id` instead of `aud`; Cognito ID tokens carry `aud`).
    pub accept_client_id_as_audience: bool,
    /// Refuse a token whose `exp` is further than this from now (plus the leeway).
    pub max_token_lifetime_secs: u64,
    /// OIDC: accept only tokens marked as access tokens (header `typ` `at+jwt`, or
    /// `token_use: access`). Off is for issuers that mark neither; `token_use` other than
    /// `access` is refused either way.
    pub require_access_token_type: bool,
}

impl AuthSettings {
    /// HS256 with `secret`, any issuer, no audience check, the default leeway.
    pub fn hs256(secret: impl Into<Vec<u8>>) -> AuthSettings {
        AuthSettings::with_mode(AuthMode::Hs256 {
            secret: secret.into(),
        })
    }

    /// OIDC with `issuer`, no audience check, the default leeway, refresh interval, maximum age
    /// and timeout; access tokens only.
    pub fn oidc(issuer: impl Into<String>) -> AuthSettings {
        AuthSettings::with_mode(AuthMode::Oidc {
            issuer: issuer.into(),
            jwks_min_refresh_interval: DEFAULT_JWKS_MIN_REFRESH_INTERVAL,
            jwks_max_age: DEFAULT_JWKS_MAX_AGE,
            http_timeout: DEFAULT_HTTP_TIMEOUT,
        })
    }

    fn with_mode(mode: AuthMode) -> AuthSettings {
        AuthSettings {
            mode,
            issuer: None,
            audience: None,
            leeway_secs: DEFAULT_LEEWAY_SECS,
            accept_client_id_as_audience: false,
            max_token_lifetime_secs: DEFAULT_MAX_TOKEN_LIFETIME_SECS,
            require_access_token_type: true,
        }
    }
}

/// Where the keys come from.
#[derive(Clone)]
pub enum AuthMode {
    /// One shared secret; only `HS256` is accepted.
    Hs256 {
        /// The HMAC key, at least [`MIN_HS256_SECRET_BYTES`] long.
        secret: Vec<u8>,
    },
    /// An OpenID Connect issuer: keys from its JWKS; only `RS256` and `ES256` are accepted.
    Oidc {
        /// The issuer URL, e.g. `https://cognito-idp.{region}.amazonaws.com/{poolId}`; discovery
        /// is `{issuer}/.well-known/openid-configuration`.
        issuer: String,
        /// Shortest time between two JWKS refreshes (fetches caused by a token naming an unknown
        /// `kid`; the first load is not one).
        jwks_min_refresh_interval: Duration,
        /// Age at which the fetched key set is no longer trusted (whole seconds count).
        jwks_max_age: Duration,
        /// Limit on each HTTP request to the issuer.
        http_timeout: Duration,
    },
}

impl fmt::Debug for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthMode::Hs256 { secret } => f
                .debug_struct("Hs256")
                .field(
                    "secret",
                    &format_args!("[redacted, {} bytes]", secret.len()),
                )
                .finish(),
            AuthMode::Oidc {
                issuer,
                jwks_min_refresh_interval,
                jwks_max_age,
                http_timeout,
            } => f
                .debug_struct("Oidc")
                .field("issuer", issuer)
                .field("jwks_min_refresh_interval", jwks_min_refresh_interval)
                .field("jwks_max_age", jwks_max_age)
                .field("http_timeout", http_timeout)
                .finish(),
        }
    }
}

pub(super) fn check_hs256_secret(secret: &[u8]) -> Result<(), String> {
    if secret.len() < MIN_HS256_SECRET_BYTES {
        return Err(format!(
            "the HS256 secret is {} bytes; it must be at least {MIN_HS256_SECRET_BYTES} \
             (RFC 7518 §3.2), e.g. from `openssl rand -base64 48`",
            secret.len()
        ));
    }
    Ok(())
}
