//! The OIDC issuer's signing keys: discovery, the JWKS, and the cache that holds them (see the
//! module documentation of [`crate::auth`] for the rules: lazy first load, rate-limited refresh
//! on an unknown `kid`, one fetch at a time, a maximum age with a background refresh before it).
//!
//! Ages are measured on the epoch seconds each call passes in (the app's clock), so a test can
//! move time without waiting; a clock that steps back makes the set look younger, never older,
//! so requests racing one another never force a fetch.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

use super::error::{AuthError, shown};
use super::header::algorithm_name;
use super::identity::normalise_issuer;

/// Discovery documents and key sets larger than this are refused.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// After a failed fetch, the next one waits at least this long (or the refresh interval, if
/// shorter), so a dead issuer is not asked once per request.
const FAILED_FETCH_RETRY: Duration = Duration::from_secs(5);
/// RSA keys in a JWKS must have a modulus of 2048 to 8192 bits.
const RSA_MODULUS_BYTES: std::ops::RangeInclusive<usize> = 256..=1024;

/// One verification key from the issuer's JWKS.
pub(crate) struct IssuerKey {
    /// The one algorithm this key verifies.
    pub(crate) algorithm: Algorithm,
    /// The key.
    pub(crate) key: DecodingKey,
}

/// The issuer's keys, fetched on demand. Shared in an `Arc` with the background refreshes.
pub(crate) struct KeyStore {
    issuer: String,
    discovery_url: String,
    min_refresh_interval: Duration,
    /// Age (whole seconds) at which the set is no longer used.
    max_age_secs: u64,
    http: reqwest::Client,
    cache: RwLock<KeyCache>,
    /// Held for the whole of a fetch: one fetch at a time, and the rest wait for its answer.
    fetch: tokio::sync::Mutex<FetchState>,
    /// A background refresh is running (or about to): at most one.
    refreshing: AtomicBool,
}

/// Epoch seconds, on the caller's clock.
type Epoch = u64;

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, Arc<IssuerKey>>,
    /// Completed fetch attempts; a waiter that sees it change knows a fetch answered for it.
    attempts: u64,
    /// The last successful fetch (the first load or a refresh).
    fetched_at: Option<Epoch>,
    /// The last successful refresh: rate-limits the next unknown-`kid` refresh.
    refreshed_at: Option<Epoch>,
    last_failure: Option<(Epoch, AuthError)>,
}

/// How far the cached set is into its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Age {
    /// Used as it is.
    Fresh,
    /// Used, and a background refresh is due.
    RefreshDue,
    /// Never loaded, or past the maximum age: not used; a request must wait for a fetch.
    Expired,
}

impl KeyCache {
    fn age_secs(&self, now: Epoch) -> Option<u64> {
        self.fetched_at.map(|at| now.saturating_sub(at))
    }

    fn age(&self, now: Epoch, max_age_secs: u64) -> Age {
        match self.age_secs(now) {
            None => Age::Expired,
            Some(age) if age >= max_age_secs => Age::Expired,
            // Three quarters of the way: room for a few retries before the set runs out.
            Some(age) if age >= max_age_secs - max_age_secs / 4 => Age::RefreshDue,
            Some(_) => Age::Fresh,
        }
    }

    /// The failure of a fetch that ended less than `retry` before `now`.
    fn recent_failure(&self, now: Epoch, retry: Duration) -> Option<&AuthError> {
        self.last_failure
            .as_ref()
            .filter(|(at, _)| Duration::from_secs(now.saturating_sub(*at)) < retry)
            .map(|(_, error)| error)
    }
}

/// Lowers the flag however the task ends (a runtime shutting down drops it mid-fetch).
struct ClearOnDrop<'a>(&'a AtomicBool);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[derive(Default)]
struct FetchState {
    jwks_uri: Option<String>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cache = self.read_cache();
        let mut kids: Vec<&String> = cache.keys.keys().collect();
        kids.sort();
        f.debug_struct("KeyStore")
            .field("issuer", &self.issuer)
            .field("min_refresh_interval", &self.min_refresh_interval)
            .field("max_age_secs", &self.max_age_secs)
            .field("cached_kids", &kids)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct JwksDocument {
    keys: Vec<Value>,
}

impl KeyStore {
    /// Checks the issuer URL and builds the HTTP client; fetches nothing.
    pub(crate) fn new(
        issuer: String,
        min_refresh_interval: Duration,
        max_age: Duration,
        http_timeout: Duration,
    ) -> Result<KeyStore, AuthError> {
        let config = |why: String| AuthError::Config(why);
        let url = reqwest::Url::parse(&issuer)
            .map_err(|e| config(format!("the OIDC issuer {issuer:?} is not a URL: {e}")))?;
        if !(url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url))) {
            return Err(config(format!(
                "the OIDC issuer {issuer:?} must be an https URL (http only for localhost)"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(config(format!(
                "the OIDC issuer {issuer:?} must not have a query or fragment"
            )));
        }
        if http_timeout.is_zero() {
            return Err(config("the OIDC HTTP timeout is 0".to_owned()));
        }
        if max_age.as_secs() == 0 {
            return Err(config(
                "the JWKS maximum age is under 1 s; keys would never be trusted".to_owned(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(http_timeout)
            .connect_timeout(http_timeout)
            .user_agent(concat!("mediagate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config(format!("cannot build the HTTP client: {}", error_chain(&e))))?;
        Ok(KeyStore {
            discovery_url: format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            ),
            issuer,
            min_refresh_interval,
            max_age_secs: max_age.as_secs(),
            http,
            cache: RwLock::default(),
            fetch: tokio::sync::Mutex::default(),
            refreshing: AtomicBool::new(false),
        })
    }

    fn read_cache(&self) -> RwLockReadGuard<'_, KeyCache> {
        self.cache.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_cache(&self) -> RwLockWriteGuard<'_, KeyCache> {
        self.cache.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn failure_retry(&self) -> Duration {
        self.min_refresh_interval.min(FAILED_FETCH_RETRY)
    }

    /// The key named `kid` at `now`: from the cache while the set is young enough, else after
    /// one fetch (rate-limited when only an unknown `kid` asks for it).
    pub(crate) async fn key(
        self: &Arc<Self>,
        kid: &str,
        now: Epoch,
    ) -> Result<Arc<IssuerKey>, AuthError> {
        let attempts_seen = {
            let cache = self.read_cache();
            let age = cache.age(now, self.max_age_secs);
            match cache.keys.get(kid) {
                Some(key) if age != Age::Expired => {
                    let key = Arc::clone(key);
                    let start = age == Age::RefreshDue
                        && cache.recent_failure(now, self.failure_retry()).is_none();
                    drop(cache);
                    if start {
                        self.refresh_in_background(now);
                    }
                    return Ok(key);
                }
                _ => cache.attempts,
            }
        };

        let mut fetch = self.fetch.lock().await;
        {
            let cache = self.read_cache();
            // `now` is fixed for this call, so only a fetch (which counts an attempt) changes it.
            let live = cache.age(now, self.max_age_secs) != Age::Expired;
            if cache.attempts != attempts_seen {
                // A fetch finished while this request waited: its answer is this request's too.
                if live && let Some(key) = cache.keys.get(kid) {
                    return Ok(Arc::clone(key));
                }
                if let Some((_, error)) = &cache.last_failure {
                    return Err(error.clone());
                }
                return Err(unknown_kid(kid, &cache, now));
            }
            // An unknown kid in a live set: a refresh, rate-limited. An expired set is fetched
            // whatever the interval says (once per maximum age, or per failure retry).
            if live
                && let Some(at) = cache.refreshed_at
                && Duration::from_secs(now.saturating_sub(at)) < self.min_refresh_interval
            {
                return Err(unknown_kid(kid, &cache, now));
            }
            if let Some(error) = cache.recent_failure(now, self.failure_retry()) {
                return Err(error.clone());
            }
        }
        self.fetch_into_cache(&mut fetch, now).await?;
        let cache = self.read_cache();
        match cache.keys.get(kid) {
            Some(key) => Ok(Arc::clone(key)),
            None => Err(unknown_kid(kid, &cache, now)),
        }
    }

    /// Starts one refresh that no request waits for; requests go on using the current set.
    /// Without a tokio runtime (nothing here needs one otherwise) the set simply runs to its
    /// maximum age and is fetched then.
    fn refresh_in_background(self: &Arc<Self>, now: Epoch) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let store = Arc::clone(self);
        runtime.spawn(async move {
            let _done = ClearOnDrop(&store.refreshing);
            let mut fetch = store.fetch.lock().await;
            // A request may have fetched (or failed to) while this task waited for the lock.
            let due = {
                let cache = store.read_cache();
                cache.age(now, store.max_age_secs) == Age::RefreshDue
                    && cache.recent_failure(now, store.failure_retry()).is_none()
            };
            if due {
                // The outcome is in the cache (and the log); nobody waits for it.
                let _ = store.fetch_into_cache(&mut fetch, now).await;
            }
        });
    }

    /// One fetch; its outcome is recorded in the cache for every request that waited.
    async fn fetch_into_cache(&self, fetch: &mut FetchState, now: Epoch) -> Result<(), AuthError> {
        let fetched = self.fetch_keys(fetch).await;
        let mut cache = self.write_cache();
        cache.attempts += 1;
        match fetched {
            Ok(keys) => {
                tracing::info!(
                    issuer = %self.issuer,
                    kids = ?keys.keys().collect::<Vec<_>>(),
                    "fetched the issuer's JWKS"
                );
                if cache.fetched_at.is_some() {
                    cache.refreshed_at = Some(now);
                }
                cache.keys = keys;
                cache.fetched_at = Some(now);
                cache.last_failure = None;
                Ok(())
            }
            Err(error) => {
                let age_secs = cache.age_secs(now);
                let expired = cache.age(now, self.max_age_secs) == Age::Expired;
                tracing::warn!(
                    issuer = %self.issuer,
                    %error,
                    cached_set_age_secs = age_secs,
                    cached_set_expired = expired,
                    "JWKS refresh failed"
                );
                if expired {
                    // Nothing may use these any more; keep no stale key material around.
                    cache.keys.clear();
                }
                // Discover again next time: the issuer may have moved its JWKS.
                fetch.jwks_uri = None;
                cache.last_failure = Some((now, error.clone()));
                Err(error)
            }
        }
    }

    async fn fetch_keys(
        &self,
        fetch: &mut FetchState,
    ) -> Result<HashMap<String, Arc<IssuerKey>>, AuthError> {
        let jwks_uri = match &fetch.jwks_uri {
            Some(uri) => uri.clone(),
            None => {
                let uri = self.discover().await?;
                fetch.jwks_uri = Some(uri.clone());
                uri
            }
        };
        let document: JwksDocument = self.get_json(&jwks_uri).await?;
        let keys = usable_keys(document);
        if keys.is_empty() {
            return Err(AuthError::Upstream(format!(
                "the JWKS at {jwks_uri} has no usable signing key (RS256 RSA or ES256 P-256, \
                 use \"sig\", with a kid)"
            )));
        }
        Ok(keys)
    }

    async fn discover(&self) -> Result<String, AuthError> {
        let discovery: Discovery = self.get_json(&self.discovery_url).await?;
        if normalise_issuer(&discovery.issuer) != normalise_issuer(&self.issuer) {
            return Err(AuthError::IssuerMismatch {
                url: self.discovery_url.clone(),
                discovered: shown(&discovery.issuer),
                configured: self.issuer.clone(),
            });
        }
        let jwks = reqwest::Url::parse(&discovery.jwks_uri).map_err(|e| {
            AuthError::Upstream(format!(
                "discovery at {} gives jwks_uri {:?}, not a URL: {e}",
                self.discovery_url,
                shown(&discovery.jwks_uri)
            ))
        })?;
        let issuer_is_https = self.issuer.starts_with("https:");
        if !(jwks.scheme() == "https" || (!issuer_is_https && jwks.scheme() == "http")) {
            return Err(AuthError::Upstream(format!(
                "discovery at {} gives jwks_uri {:?}; it must be https",
                self.discovery_url,
                shown(&discovery.jwks_uri)
            )));
        }
        Ok(discovery.jwks_uri)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, AuthError> {
        let failed = |why: String| AuthError::Upstream(format!("GET {url}: {why}"));
        let mut response = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| failed(error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("answered HTTP {status}")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| failed(error_chain(&e)))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(failed(format!(
                    "the answer is larger than {MAX_DOCUMENT_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| failed(format!("unexpected JSON: {e}")))
    }
}

fn unknown_kid(kid: &str, cache: &KeyCache, now: Epoch) -> AuthError {
    AuthError::UnknownKeyId {
        kid: shown(kid),
        refreshed_secs_ago: cache.age_secs(now).unwrap_or(0),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The keys this module can use, by `kid`: RSA (2048 to 8192 bits) for RS256 and EC P-256 for
/// ES256, meant for signatures. Every other key is skipped (and logged at debug level).
fn usable_keys(document: JwksDocument) -> HashMap<String, Arc<IssuerKey>> {
    let mut keys = HashMap::new();
    for value in document.keys {
        let kid = value.get("kid").and_then(Value::as_str).map(shown);
        match usable_key(value) {
            Ok((kid, key)) => match keys.entry(kid) {
                Entry::Vacant(slot) => {
                    slot.insert(Arc::new(key));
                }
                Entry::Occupied(slot) => {
                    tracing::warn!(
                        kid = slot.key(),
                        "JWKS lists this key id twice; using the first"
                    );
                }
            },
            Err(reason) => tracing::debug!(kid, reason, "skipping a JWKS key"),
        }
    }
    keys
}

fn usable_key(value: Value) -> Result<(String, IssuerKey), &'static str> {
    let jwk: Jwk = serde_json::from_value(value).map_err(|_| "not a JWK")?;
    let kid = jwk.common.key_id.clone().ok_or("no kid")?;
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => return Err("use is not \"sig\""),
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.contains(&KeyOperations::Verify)
    {
        return Err("key_ops lacks \"verify\"");
    }
    let declared = jwk.common.key_algorithm.map(|alg| alg.to_string());
    let algorithm = match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => {
            let n = URL_SAFE_NO_PAD
                .decode(&rsa.n)
                .map_err(|_| "n is not base64url")?;
            let e = URL_SAFE_NO_PAD
                .decode(&rsa.e)
                .map_err(|_| "e is not base64url")?;
            let n_len = n.iter().skip_while(|b| **b == 0).count();
            if !RSA_MODULUS_BYTES.contains(&n_len) {
                return Err("RSA modulus is not 2048 to 8192 bits");
            }
            if e.is_empty() || e.len() > 8 {
                return Err("RSA exponent is unusable");
            }
            Algorithm::RS256
        }
        AlgorithmParameters::EllipticCurve(ec) => {
            if ec.curve != EllipticCurve::P256 {
                return Err("EC curve is not P-256");
            }
            let x = URL_SAFE_NO_PAD
                .decode(&ec.x)
                .map_err(|_| "x is not base64url")?;
            let y = URL_SAFE_NO_PAD
                .decode(&ec.y)
                .map_err(|_| "y is not base64url")?;
            if !p256_point_is_valid(&x, &y) {
                return Err("EC point is not on P-256");
            }
            Algorithm::ES256
        }
        _ => return Err("key type is not RSA or EC"),
    };
    if let Some(declared) = declared
        && declared != algorithm_name(algorithm)
    {
        return Err("alg is not RS256 (RSA) or ES256 (EC)");
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| "jsonwebtoken refused the key")?;
    Ok((kid, IssuerKey { algorithm, key }))
}

fn p256_point_is_valid(x: &[u8], y: &[u8]) -> bool {
    use openssl::bn::BigNumContext;
    use openssl::ec::{EcGroup, EcPoint};
    use openssl::nid::Nid;

    if x.len() != 32 || y.len() != 32 {
        return false;
    }
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(0x04);
    sec1.extend_from_slice(x);
    sec1.extend_from_slice(y);
    let (Ok(group), Ok(mut ctx)) = (
        EcGroup::from_curve_name(Nid::X9_62_PRIME256V1),
        BigNumContext::new(),
    ) else {
        return false;
    };
    EcPoint::from_bytes(&group, &sec1, &mut ctx).is_ok()
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}
