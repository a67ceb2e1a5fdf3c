//! [`OidcKeyStore`]: the issuer's keys, cached by `kid`, fetched lazily, refreshed on an unknown
//! `kid` (rate-limited) and in the background before the set's maximum age; one fetch at a time.
//!
//! Ages are measured on the epoch seconds each call passes in (the app's clock), so a test can
//! move time without waiting; a clock that steps back makes the set look younger, never older,
//! so requests racing one another never force a fetch.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use async_trait::async_trait;

use super::load_jwks::{JwksSource, check_issuer};
use super::{IssuerKey, KeyStore};
use crate::auth::error::{AuthError, shown};

/// After a failed fetch, the next one waits at least this long (or the refresh interval, if
/// shorter), so a dead issuer is not asked once per request.
const FAILED_FETCH_RETRY: Duration = Duration::from_secs(5);

/// The issuer's keys, fetched on demand.
pub(crate) struct OidcKeyStore {
    /// Shared with the background refreshes it starts.
    inner: Arc<Inner>,
}

struct Inner {
    source: JwksSource,
    min_refresh_interval: Duration,
    /// Age (whole seconds) at which the set is no longer used.
    max_age_secs: u64,
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

// Named as before the store went behind a trait, so a logged authenticator reads the same.
impl fmt::Debug for OidcKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let store = &self.inner;
        let cache = store.read_cache();
        let mut kids: Vec<&String> = cache.keys.keys().collect();
        kids.sort();
        f.debug_struct("KeyStore")
            .field("issuer", &store.source.issuer())
            .field("min_refresh_interval", &store.min_refresh_interval)
            .field("max_age_secs", &store.max_age_secs)
            .field("cached_kids", &kids)
            .finish_non_exhaustive()
    }
}

impl OidcKeyStore {
    /// Checks the issuer URL and builds the HTTP client; fetches nothing.
    pub(crate) fn new(
        issuer: String,
        min_refresh_interval: Duration,
        max_age: Duration,
        http_timeout: Duration,
    ) -> Result<OidcKeyStore, AuthError> {
        check_issuer(&issuer, http_timeout)?;
        if max_age.as_secs() == 0 {
            return Err(AuthError::Config(
                "the JWKS maximum age is under 1 s; keys would never be trusted".to_owned(),
            ));
        }
        let source = JwksSource::new(issuer, http_timeout)?;
        Ok(OidcKeyStore {
            inner: Arc::new(Inner {
                source,
                min_refresh_interval,
                max_age_secs: max_age.as_secs(),
                cache: RwLock::default(),
                fetch: tokio::sync::Mutex::default(),
                refreshing: AtomicBool::new(false),
            }),
        })
    }
}

#[async_trait]
impl KeyStore for OidcKeyStore {
    async fn key(&self, kid: &str, now: Epoch) -> Result<Arc<IssuerKey>, AuthError> {
        self.inner.key(kid, now).await
    }
}

impl Inner {
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
    async fn key(self: &Arc<Self>, kid: &str, now: Epoch) -> Result<Arc<IssuerKey>, AuthError> {
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
        let fetched = self.source.load_jwks(&mut fetch.jwks_uri).await;
        let mut cache = self.write_cache();
        cache.attempts += 1;
        match fetched {
            Ok(keys) => {
                tracing::info!(
                    issuer = %self.source.issuer(),
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
                    issuer = %self.source.issuer(),
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
}

fn unknown_kid(kid: &str, cache: &KeyCache, now: Epoch) -> AuthError {
    AuthError::UnknownKeyId {
        kid: shown(kid),
        refreshed_secs_ago: cache.age_secs(now).unwrap_or(0),
    }
}
