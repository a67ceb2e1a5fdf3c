//! Who is calling: bearer JWTs, verified with a shared HS256 secret (the dev default) or against
//! an OIDC issuer's JWKS (Cognito, Okta, Auth0, Keycloak).
//!
//! Time is passed in: [`Authenticator::verify`] checks `exp` and `nbf` against the caller's `now`,
//! so any moment can be tested. jsonwebtoken checks only the signature here (its own time, issuer
//! and audience checks are off); every claim is checked below, so each rejection says what is
//! wrong in words a person can act on.
//!
//! OIDC keys are fetched lazily (the service starts while the issuer is down), cached by `kid`
//! and refreshed when a token names an unknown `kid`: at most once per
//! `jwks_min_refresh_interval` (the first load does not count), one fetch at a time, and requests
//! that arrive during a fetch wait for its answer instead of starting their own. After a failed
//! fetch the next waits at least 5 s (or the interval, if shorter); meanwhile requests that need
//! a fetch get the same upstream error at once.
//!
//! The key set also has a maximum age (`jwks_max_age`, 600 s by default, as `jose`'s
//! `createRemoteJWKSet`), so a key the issuer removed stops being trusted even if no token ever
//! names an unknown `kid`. Once the set is three quarters of that old, a request starts one
//! refresh in the background and is answered from the set it has; a refresh that fails keeps the
//! set until the maximum age, after which tokens are refused as upstream failures (fail closed)
//! until the issuer answers again. These ages are measured on the `now` each call passes in.
//!
//! OIDC tokens must be access tokens: header `typ` `at+jwt` (RFC 9068 §4), or Cognito's
//! `token_use: access`; an ID token names the same audience when the audience is the client id,
//! and must not open the API. `require_access_token_type = false` is for issuers that mark
//! neither. No token may live longer than `max_token_lifetime_secs` from now.
//!
//! Identities: see [`Identity::user_id`]. Issuers are compared and stored in one spelling,
//! [`normalise_issuer`].
//!
//! Nothing here puts a token, the secret or key material in an error message or a log line.
#![warn(missing_docs)]

mod jwks;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use self::jwks::KeyStore;

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

/// A longer token is refused before any decoding.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

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

/// Why a token, a header or the configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The configuration cannot work.
    #[error("auth configuration: {0}")]
    Config(String),
    /// The `Authorization` header is not `Bearer <token>`.
    #[error("Authorization header must be 'Bearer <token>' ({0})")]
    AuthorizationHeader(&'static str),
    /// Not a JWS compact token, or its parts do not decode.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The header names an algorithm this mode does not accept (including `none`).
    #[error("token signed with alg {alg}; only {} accepted", accepted_phrase(.accepted))]
    AlgorithmNotAccepted {
        /// The header's `alg`.
        alg: String,
        /// The algorithms this mode accepts.
        accepted: &'static [&'static str],
    },
    /// The header's `alg` is not the algorithm of the key its `kid` names.
    #[error("token signed with alg {alg}, but key id {kid:?} is an {key_alg} key")]
    AlgorithmKeyMismatch {
        /// The header's `alg`.
        alg: &'static str,
        /// The header's `kid`.
        kid: String,
        /// The algorithm of that key.
        key_alg: &'static str,
    },
    /// An OIDC token without `kid`.
    #[error("token header has no key id (kid); the issuer's tokens must name their signing key")]
    MissingKeyId,
    /// An OIDC token whose `kid` is not in the issuer's key set, even after a refresh.
    #[error(
        "token key id {kid:?} is not in the issuer's JWKS (refreshed {refreshed_secs_ago} s ago)"
    )]
    UnknownKeyId {
        /// The header's `kid`.
        kid: String,
        /// Age of the key set that was searched.
        refreshed_secs_ago: u64,
    },
    /// The signature does not verify with the key.
    #[error("token signature does not verify with {0}")]
    BadSignature(String),
    /// `exp` (plus leeway) has passed.
    #[error("token expired {secs_ago} s ago")]
    Expired {
        /// `now - exp`.
        secs_ago: u64,
    },
    /// `exp` is further ahead than the configured maximum lifetime.
    #[error(
        "token expires in {expires_in_secs} s; at most {max_secs} s are accepted \
         (auth.max_token_lifetime_secs): ask the issuer for a shorter-lived token"
    )]
    LivesTooLong {
        /// `exp - now`.
        expires_in_secs: u64,
        /// The configured maximum.
        max_secs: u64,
    },
    /// An OIDC token that is not marked as an access token (an ID token, most likely).
    #[error("{0}")]
    NotAnAccessToken(String),
    /// `nbf` (minus leeway) has not come yet.
    #[error("token is not valid for another {secs} s (nbf)")]
    NotYetValid {
        /// `nbf - now`.
        secs: u64,
    },
    /// A required claim is absent.
    #[error("token has no {0:?} claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or an empty value.
    #[error("token claim {claim:?} {problem}")]
    InvalidClaim {
        /// The claim.
        claim: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// `iss` is not the configured issuer.
    #[error("token issuer {found:?} is not the configured issuer {expected:?}")]
    WrongIssuer {
        /// The token's `iss`.
        found: String,
        /// The configured issuer.
        expected: String,
    },
    /// `aud` does not name the configured audience.
    #[error("token audience {found:?} does not include {expected:?}")]
    WrongAudience {
        /// The token's `aud`, as a list.
        found: Vec<String>,
        /// The configured audience.
        expected: String,
    },
    /// No `aud`, and `client_id` is not accepted in its place (or is not the audience).
    #[error("token has no audience (aud); expected {expected:?}{}", client_id_hint(.client_id, *.client_id_accepted))]
    MissingAudience {
        /// The token's `client_id`, if any.
        client_id: Option<String>,
        /// Whether `accept_client_id_as_audience` is on.
        client_id_accepted: bool,
        /// The configured audience.
        expected: String,
    },
    /// The issuer's discovery document names another issuer.
    #[error(
        "OIDC discovery at {url} names issuer {discovered:?}, not the configured issuer {configured:?}; fix the configured issuer URL"
    )]
    IssuerMismatch {
        /// The discovery URL.
        url: String,
        /// The `issuer` it returned.
        discovered: String,
        /// The configured issuer.
        configured: String,
    },
    /// The issuer could not be reached, or answered something unusable.
    #[error("OIDC issuer unavailable: {0}")]
    Upstream(String),
    /// [`issue_hs256`] was asked for something it cannot sign.
    #[error("cannot issue token: {0}")]
    Issue(String),
}

impl AuthError {
    /// True when the fault is the issuer's (unreachable, bad answer, discovery mismatch), not the
    /// token's: the HTTP layer answers 503 for these and 401 for the rest.
    pub fn is_upstream(&self) -> bool {
        matches!(
            self,
            AuthError::Upstream(_) | AuthError::IssuerMismatch { .. }
        )
    }
}

fn accepted_phrase(accepted: &[&str]) -> String {
    match accepted {
        [one] => format!("{one} is"),
        [init @ .., last] => format!("{} and {last} are", init.join(", ")),
        [] => "nothing is".to_owned(),
    }
}

fn client_id_hint(client_id: &Option<String>, accepted: bool) -> String {
    match (client_id, accepted) {
        (Some(id), true) => format!(", and its client_id {id:?} is not that"),
        (Some(_), false) => "; it carries client_id (a Cognito access token?): \
             set accept_client_id_as_audience to accept it"
            .to_owned(),
        (None, _) => String::new(),
    }
}

/// The verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The token's `iss`, in [`normalise_issuer`]'s spelling (empty for an HS256 token without
    /// one when no issuer is configured).
    pub issuer: String,
    /// The token's `sub`.
    pub subject: String,
    /// `preferred_username`, else `cognito:username`, else `username`, else `email`, else `sub`.
    pub username: String,
    /// The token's `exp`, epoch seconds.
    pub expires_at: u64,
    /// Signed with this service's own HS256 secret, so its `sub` names one of this service's
    /// users and may be the user id as it is (see [`Identity::user_id`]).
    pub own_issuer: bool,
}

impl Identity {
    /// "{issuer}|{subject}": the stored identity of a user ([`subject_key`]).
    pub fn user_subject(&self) -> String {
        subject_key(&self.issuer, &self.subject)
    }

    /// Our user id for a new user. Two forms that can never meet:
    /// - a *direct* id, the `sub` itself: only for this service's own tokens (HS256), and only
    ///   when the `sub` is `[A-Za-z0-9_-]{1,64}` and not of the derived form;
    /// - a *derived* id, "u" + the first 24 hex digits of sha256([`Identity::user_subject`]):
    ///   for every other token (every OIDC token), and for own `sub`s that cannot be direct.
    ///
    /// So a `sub` from an outside issuer never takes the id of a user of ours (a seeded `u0042`,
    /// a dev user `alice`), two issuers never share one, and an issuer spelled two ways is one
    /// issuer. A user keeps the id it was created with: the store looks users up by subject.
    pub fn user_id(&self) -> String {
        if self.own_issuer && is_direct_id(&self.subject) {
            return self.subject.clone();
        }
        let digest = openssl::sha::sha256(self.user_subject().as_bytes());
        let mut id = String::with_capacity(DERIVED_ID_LEN);
        id.push('u');
        for byte in &digest[..12] {
            id.push_str(&format!("{byte:02x}"));
        }
        id
    }
}

/// "u" + 24 lowercase hex digits.
const DERIVED_ID_LEN: usize = 25;

fn is_derived_id(id: &str) -> bool {
    id.len() == DERIVED_ID_LEN
        && id.starts_with('u')
        && id[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_direct_id(sub: &str) -> bool {
    (1..=64).contains(&sub.len())
        && sub
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !is_derived_id(sub)
}

/// The stored identity of a user: "{issuer}|{sub}", the issuer in [`normalise_issuer`]'s spelling.
/// A seeded user stored under `subject_key(<auth.issuer>, id)` is the user a dev token for that
/// id signs in as.
pub fn subject_key(issuer: &str, sub: &str) -> String {
    format!("{}|{sub}", normalise_issuer(issuer))
}

/// The one spelling of an issuer, for comparing and storing: an `http`/`https` URL as the URL
/// standard serialises it (scheme and host in lower case, no default port), without trailing
/// slashes (Auth0's issuers end in one, most configurations do not); any other issuer (the dev
/// issuer `mediagate-dev`) as it is, without trailing slashes.
pub fn normalise_issuer(issuer: &str) -> String {
    if let Ok(url) = reqwest::Url::parse(issuer)
        && matches!(url.scheme(), "http" | "https")
    {
        return url.as_str().trim_end_matches('/').to_owned();
    }
    issuer.trim_end_matches('/').to_owned()
}

/// The token from an `Authorization` header value: `Bearer <token>`, the scheme in any case.
pub fn bearer_token(authorization_header: &str) -> Result<&str, AuthError> {
    let header = authorization_header.trim();
    if header.is_empty() {
        return Err(AuthError::AuthorizationHeader("it is empty"));
    }
    let (scheme, rest) = header
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::AuthorizationHeader(
            "it does not use the Bearer scheme",
        ));
    }
    let token = rest.trim_start();
    if token.is_empty() {
        return Err(AuthError::AuthorizationHeader("the token is missing"));
    }
    if token.contains(|c: char| c.is_whitespace()) {
        return Err(AuthError::AuthorizationHeader(
            "the token contains whitespace",
        ));
    }
    Ok(token)
}

/// Signs an HS256 token: for `mediagate dev-token` and tests. `iss` and `aud` are left out when
/// empty; `username` becomes `preferred_username`; `iat` is `now`, `exp` is `now + ttl_secs`.
pub fn issue_hs256(
    secret: &[u8],
    subject: &str,
    username: Option<&str>,
    issuer: &str,
    audience: &str,
    ttl_secs: u64,
    now: u64,
) -> Result<String, AuthError> {
    check_hs256_secret(secret).map_err(AuthError::Issue)?;
    if subject.is_empty() {
        return Err(AuthError::Issue("the subject is empty".to_owned()));
    }
    if ttl_secs == 0 {
        return Err(AuthError::Issue("the lifetime is 0 s".to_owned()));
    }
    let exp = now
        .checked_add(ttl_secs)
        .ok_or_else(|| AuthError::Issue("now + ttl overflows".to_owned()))?;
    let mut claims = Map::new();
    if !issuer.is_empty() {
        claims.insert("iss".to_owned(), issuer.into());
    }
    claims.insert("sub".to_owned(), subject.into());
    if !audience.is_empty() {
        claims.insert("aud".to_owned(), audience.into());
    }
    claims.insert("iat".to_owned(), now.into());
    claims.insert("exp".to_owned(), exp.into());
    if let Some(username) = username {
        claims.insert("preferred_username".to_owned(), username.into());
    }
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| AuthError::Issue(e.to_string()))
}

fn check_hs256_secret(secret: &[u8]) -> Result<(), String> {
    if secret.len() < MIN_HS256_SECRET_BYTES {
        return Err(format!(
            "the HS256 secret is {} bytes; it must be at least {MIN_HS256_SECRET_BYTES} \
             (RFC 7518 §3.2), e.g. from `openssl rand -base64 48`",
            secret.len()
        ));
    }
    Ok(())
}

const HS256_ONLY: &[&str] = &["HS256"];
const OIDC_ALGORITHMS: &[&str] = &["RS256", "ES256"];

/// Verifies bearer tokens. Cheap to share in an `Arc`; its `Debug` never shows the secret.
pub struct Authenticator {
    keys: Keys,
    /// The expected issuer, in [`normalise_issuer`]'s spelling.
    issuer: Option<String>,
    audience: Option<String>,
    leeway_secs: u64,
    accept_client_id_as_audience: bool,
    max_token_lifetime_secs: u64,
    require_access_token_type: bool,
}

enum Keys {
    Hs256(DecodingKey),
    /// Shared with the background refreshes it starts.
    Oidc(Arc<KeyStore>),
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Authenticator");
        match &self.keys {
            Keys::Hs256(_) => s.field("mode", &"HS256 (secret redacted)"),
            Keys::Oidc(oidc) => s.field("mode", &"OIDC").field("oidc", oidc),
        };
        s.field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway_secs", &self.leeway_secs)
            .field(
                "accept_client_id_as_audience",
                &self.accept_client_id_as_audience,
            )
            .field("max_token_lifetime_secs", &self.max_token_lifetime_secs)
            .field("require_access_token_type", &self.require_access_token_type)
            .finish()
    }
}

impl Authenticator {
    /// Checks the configuration; makes no network call (OIDC keys are fetched on first use).
    pub fn new(config: AuthSettings) -> Result<Authenticator, AuthError> {
        if config.audience.as_deref() == Some("") {
            return Err(AuthError::Config(
                "the audience is empty; leave it unset to skip the audience check".to_owned(),
            ));
        }
        if config.max_token_lifetime_secs == 0 {
            return Err(AuthError::Config(
                "the maximum token lifetime is 0 s; no token could be accepted".to_owned(),
            ));
        }
        let (keys, issuer) = match config.mode {
            AuthMode::Hs256 { secret } => {
                check_hs256_secret(&secret).map_err(AuthError::Config)?;
                (
                    Keys::Hs256(DecodingKey::from_secret(&secret)),
                    config.issuer,
                )
            }
            AuthMode::Oidc {
                issuer,
                jwks_min_refresh_interval,
                jwks_max_age,
                http_timeout,
            } => {
                if let Some(expected) = &config.issuer
                    && normalise_issuer(expected) != normalise_issuer(&issuer)
                {
                    return Err(AuthError::Config(format!(
                        "the expected issuer {expected:?} differs from the OIDC issuer {issuer:?}; \
                         leave it unset"
                    )));
                }
                let oidc = KeyStore::new(
                    issuer.clone(),
                    jwks_min_refresh_interval,
                    jwks_max_age,
                    http_timeout,
                )?;
                (Keys::Oidc(Arc::new(oidc)), Some(issuer))
            }
        };
        Ok(Authenticator {
            keys,
            issuer: issuer.as_deref().map(normalise_issuer),
            audience: config.audience,
            leeway_secs: config.leeway_secs,
            accept_client_id_as_audience: config.accept_client_id_as_audience,
            max_token_lifetime_secs: config.max_token_lifetime_secs,
            require_access_token_type: config.require_access_token_type,
        })
    }

    /// Verifies `token` (without the `Bearer ` prefix) at `now` (epoch seconds).
    pub async fn verify(&self, token: &str, now: u64) -> Result<Identity, AuthError> {
        let header = TokenHeader::parse(token)?;
        let held_key;
        let (key, algorithm, key_name) = match &self.keys {
            Keys::Hs256(key) => {
                let algorithm = header.algorithm(HS256_ONLY)?;
                (key, algorithm, "the configured HS256 secret".to_owned())
            }
            Keys::Oidc(oidc) => {
                let algorithm = header.algorithm(OIDC_ALGORITHMS)?;
                let kid = header.kid.as_deref().ok_or(AuthError::MissingKeyId)?;
                held_key = oidc.key(kid, now).await?;
                if held_key.algorithm != algorithm {
                    return Err(AuthError::AlgorithmKeyMismatch {
                        alg: algorithm_name(algorithm),
                        kid: shown(kid),
                        key_alg: algorithm_name(held_key.algorithm),
                    });
                }
                (&held_key.key, algorithm, format!("key id {:?}", shown(kid)))
            }
        };

        // Signature only: time, issuer and audience are checked below, against `now`.
        let mut validation = Validation::new(algorithm);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => AuthError::BadSignature(key_name),
                _ => AuthError::Malformed(e.to_string()),
            })?
            .claims;
        let own_issuer = matches!(self.keys, Keys::Hs256(_));
        if !own_issuer {
            self.check_access_token(header.typ.as_deref(), &claims)?;
        }
        self.check_claims(claims, now, own_issuer)
    }

    /// RFC 9068 §4: an access token says so in its header (`at+jwt`); Cognito's say so in
    /// `token_use` instead. Whatever calls itself something else is refused even with the check
    /// off.
    fn check_access_token(&self, typ: Option<&str>, claims: &Claims) -> Result<(), AuthError> {
        let token_use = string_claim(&claims.token_use, "token_use")?;
        if let Some(token_use) = token_use
            && token_use != "access"
        {
            return Err(AuthError::NotAnAccessToken(format!(
                "token_use is {:?}, not \"access\": an access token is required, not an ID token; \
                 send the access token the issuer gave with it",
                shown(token_use)
            )));
        }
        let marked = token_use == Some("access")
            // Media types compare case-insensitively, "application/" may be left out (RFC 7515
            // §4.1.9).
            || typ.is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                t == "at+jwt" || t == "application/at+jwt"
            });
        if marked || !self.require_access_token_type {
            return Ok(());
        }
        let found = match typ {
            Some(t) => format!("token type (header typ) is {:?}", shown(t)),
            None => "token has no type (header typ)".to_owned(),
        };
        Err(AuthError::NotAnAccessToken(format!(
            "{found}, not \"at+jwt\": an access token (RFC 9068) is required, not an ID token; \
             for an issuer that does not mark its access tokens, an operator can set \
             auth.require_access_token_type = false"
        )))
    }

    fn check_claims(
        &self,
        claims: Claims,
        now: u64,
        own_issuer: bool,
    ) -> Result<Identity, AuthError> {
        let exp = numeric_date(&claims.exp, "exp")?.ok_or(AuthError::MissingClaim("exp"))?;
        if now >= exp.saturating_add(self.leeway_secs) {
            return Err(AuthError::Expired {
                secs_ago: now.saturating_sub(exp),
            });
        }
        let latest = now
            .saturating_add(self.max_token_lifetime_secs)
            .saturating_add(self.leeway_secs);
        if exp > latest {
            return Err(AuthError::LivesTooLong {
                expires_in_secs: exp - now,
                max_secs: self.max_token_lifetime_secs,
            });
        }
        if let Some(nbf) = numeric_date(&claims.nbf, "nbf")?
            && nbf > now.saturating_add(self.leeway_secs)
        {
            return Err(AuthError::NotYetValid { secs: nbf - now });
        }

        // Most tokens spell the issuer exactly as expected (already normal): no URL parse then.
        let iss = string_claim(&claims.iss, "iss")?.map(|raw| match &self.issuer {
            Some(expected) if expected == raw => expected.clone(),
            _ => normalise_issuer(raw),
        });
        if let Some(expected) = &self.issuer {
            let found = iss.as_deref().ok_or(AuthError::MissingClaim("iss"))?;
            if found != expected {
                return Err(AuthError::WrongIssuer {
                    found: shown(found),
                    expected: expected.clone(),
                });
            }
        }

        if let Some(expected) = &self.audience {
            self.check_audience(&claims, expected)?;
        }

        let sub = string_claim(&claims.sub, "sub")?.ok_or(AuthError::MissingClaim("sub"))?;
        if sub.is_empty() {
            return Err(AuthError::InvalidClaim {
                claim: "sub",
                problem: "is empty",
            });
        }

        let username = [
            &claims.preferred_username,
            &claims.cognito_username,
            &claims.username,
            &claims.email,
        ]
        .into_iter()
        .find_map(|claim| claim.as_ref()?.as_str().filter(|s| !s.is_empty()))
        .unwrap_or(sub);

        Ok(Identity {
            issuer: iss.unwrap_or_default(),
            subject: sub.to_owned(),
            username: username.to_owned(),
            expires_at: exp,
            own_issuer,
        })
    }

    fn check_audience(&self, claims: &Claims, expected: &str) -> Result<(), AuthError> {
        const PROBLEM: &str = "must be a string or an array of strings";
        let found: Vec<&str> = match &claims.aud {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(aud)) => vec![aud],
            Some(Value::Array(auds)) => auds
                .iter()
                .map(|a| {
                    a.as_str().ok_or(AuthError::InvalidClaim {
                        claim: "aud",
                        problem: PROBLEM,
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(AuthError::InvalidClaim {
                    claim: "aud",
                    problem: PROBLEM,
                });
            }
        };
        if found.contains(&expected) {
            return Ok(());
        }
        if !found.is_empty() {
            return Err(AuthError::WrongAudience {
                found: found.into_iter().map(shown).collect(),
                expected: expected.to_owned(),
            });
        }
        let client_id = string_claim(&claims.client_id, "client_id")?;
        if self.accept_client_id_as_audience && client_id == Some(expected) {
            return Ok(());
        }
        Err(AuthError::MissingAudience {
            client_id: client_id.map(shown),
            client_id_accepted: self.accept_client_id_as_audience,
            expected: expected.to_owned(),
        })
    }
}

/// The claims this module reads; each as raw JSON so a wrong type gets its own message.
#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    iss: Option<Value>,
    #[serde(default)]
    sub: Option<Value>,
    #[serde(default)]
    aud: Option<Value>,
    #[serde(default)]
    exp: Option<Value>,
    #[serde(default)]
    nbf: Option<Value>,
    #[serde(default)]
    client_id: Option<Value>,
    #[serde(default)]
    token_use: Option<Value>,
    #[serde(default)]
    preferred_username: Option<Value>,
    #[serde(default, rename = "cognito:username")]
    cognito_username: Option<Value>,
    #[serde(default)]
    username: Option<Value>,
    #[serde(default)]
    email: Option<Value>,
}

fn string_claim<'a>(
    value: &'a Option<Value>,
    claim: &'static str,
) -> Result<Option<&'a str>, AuthError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(AuthError::InvalidClaim {
            claim,
            problem: "must be a string",
        }),
    }
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, possibly fractional (floored).
fn numeric_date(value: &Option<Value>, claim: &'static str) -> Result<Option<u64>, AuthError> {
    let invalid = AuthError::InvalidClaim {
        claim,
        problem: "must be a non-negative number of seconds since the epoch",
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(secs), _) => Ok(Some(secs)),
            // Flooring is the point: a NumericDate may carry fractions of a second.
            (None, Some(secs)) if secs.is_finite() && secs >= 0.0 && secs < u64::MAX as f64 => {
                Ok(Some(secs as u64))
            }
            _ => Err(invalid),
        },
        Some(_) => Err(invalid),
    }
}

/// A token-supplied string, made safe and short enough for a message.
pub(crate) fn shown(s: &str) -> String {
    const MAX_CHARS: usize = 80;
    let mut out: String = s.chars().take(MAX_CHARS).collect();
    if s.chars().nth(MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}

pub(crate) fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        _ => "unsupported",
    }
}

/// The JOSE header, read before the signature is checked so the algorithm and key can be chosen
/// (and refused) with a clear message. jsonwebtoken's own `Header` cannot hold `alg: none`.
#[derive(Deserialize)]
struct TokenHeader {
    alg: Value,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
}

impl TokenHeader {
    fn parse(token: &str) -> Result<TokenHeader, AuthError> {
        let malformed = |why: &str| AuthError::Malformed(why.to_owned());
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed(format!(
                "it is {} bytes; at most {MAX_TOKEN_BYTES} are accepted",
                token.len()
            )));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(_), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(
                "a JWT has three base64url parts separated by '.'",
            ));
        };
        let header = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| malformed("the header is not base64url"))?;
        let header: TokenHeader = serde_json::from_slice(&header).map_err(|_| {
            malformed(
                "the header is not a JSON object with \"alg\" (and a string \"kid\" and \"typ\", \
                 if any)",
            )
        })?;
        if header.crit.is_some() {
            return Err(malformed(
                "the header lists critical extensions (crit), which this service does not support",
            ));
        }
        Ok(header)
    }

    fn algorithm(&self, accepted: &'static [&'static str]) -> Result<Algorithm, AuthError> {
        let refused = |alg: String| AuthError::AlgorithmNotAccepted { alg, accepted };
        let alg = self
            .alg
            .as_str()
            .ok_or_else(|| refused("(not a string)".to_owned()))?;
        if !accepted.contains(&alg) {
            return Err(refused(shown(alg)));
        }
        match alg {
            "HS256" => Ok(Algorithm::HS256),
            "RS256" => Ok(Algorithm::RS256),
            "ES256" => Ok(Algorithm::ES256),
            _ => Err(refused(shown(alg))),
        }
    }
}

#[cfg(test)]
mod tests;
