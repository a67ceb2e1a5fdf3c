//! The application state: one struct, built once per app, shared by every request. Caches and
//! the clock live here, not in statics, so two apps in one process never share anything.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Authenticator, Identity};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::Error;
use crate::invalidate::InvalidationQueue;
use crate::links::Linker;
use crate::metrics::Metrics;
use crate::revocation::Revocations;
use crate::s3::ObjectStore;
use crate::store::{Store, StoreError, User, UserId};
use crate::upload::UploadRules;

/// Everything a request may need.
pub struct AppState {
    /// The settings the app was built from.
    pub config: Config,
    /// Users, images, friendships.
    pub store: Arc<dyn Store>,
    /// Bearer-token verification.
    pub auth: Authenticator,
    /// Signed links and cookies.
    pub links: Linker,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Users by identity, so a signed-in request costs no database write once the user exists.
    pub users: moka::sync::Cache<String, User>,
    /// Users by id for a few seconds: every gallery starts with one, and a profile may lag that
    /// long behind a rename. Access decisions never read it.
    pub profiles: moka::sync::Cache<UserId, User>,
    /// In dev mode (generated HS256 secret), the secret, so the demo page can mint dev tokens.
    pub dev_secret: Option<Vec<u8>>,
    /// The bucket uploads go to.
    pub objects: ObjectStore,
    /// What may be uploaded.
    pub upload_rules: UploadRules,
    /// CloudFront invalidations (a no-op unless enabled).
    pub invalidations: InvalidationQueue,
    /// Wakes the revocation sender when a revocation is committed.
    pub revocations: Revocations,
    /// Servers dev mode runs beside the service (the embedded S3); they stop with the state.
    pub sidecars: Vec<Box<dyn Sidecar>>,
}

/// A server that runs beside the service and stops when dropped (dev mode's embedded S3). The
/// state keeps it alive without knowing what it is, so nothing here depends on dev mode.
pub trait Sidecar: Send + Sync + std::fmt::Debug {
    /// One line for the start-up banner, e.g. where it listens.
    fn describe(&self) -> String;

    /// Itself, for a caller that knows the concrete type (tests reach the embedded S3 directly).
    fn as_any(&self) -> &dyn std::any::Any;
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets: config is printed by section names only.
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("links", &self.links)
            .field("dev_mode", &self.dev_secret.is_some())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The user for a verified identity, created on first sight.
    pub async fn user_for(&self, identity: &Identity) -> Result<User, Error> {
        let subject = identity.user_subject();
        if let Some(user) = self.users.get(&subject)
            && user.username == identity.username
        {
            return Ok(user);
        }
        let id = UserId::parse(&identity.user_id())
            .ok_or_else(|| Error::internal(anyhow::anyhow!("derived user id is not an id")))?;
        let now_ms = self.clock.now().millis();
        let user = match self
            .store
            .upsert_user(&subject, &id, &identity.username, now_ms)
            .await
        {
            Ok(user) => user,
            // Ids are derived so that identities cannot meet (auth::Identity::user_id); what
            // is left is an id created for someone else by other means (an older release's
            // ids, `mediagate seed`): refuse this token, change nothing.
            Err(StoreError::Conflict(_)) => {
                tracing::warn!(
                    user_id = %id,
                    issuer = %identity.issuer,
                    "a token's user id belongs to another identity"
                );
                return Err(Error::forbidden(format!(
                    "this token's identity (issuer {:?}, subject {:?}) would be user {:?}, but \
                     that id belongs to another identity; sign in with that account's issuer, \
                     or ask an operator to resolve the two accounts",
                    identity.issuer,
                    identity.subject,
                    id.as_str()
                )));
            }
            Err(e) => return Err(e.into()),
        };
        self.users.insert(subject, user.clone());
        self.profiles.insert(user.id.clone(), user.clone());
        Ok(user)
    }

    /// Signed cookies for `owner`'s media, carrying their current link version (read from the
    /// store, not a cache: a cookie issued after a revocation must carry the new one).
    pub async fn owner_cookies(
        &self,
        owner: &UserId,
        now: crate::cloudfront::Epoch,
    ) -> Result<crate::cloudfront::SignedCookies, Error> {
        let version = self
            .store
            .user(owner)
            .await?
            .map_or(0, |user| user.links_revised);
        self.links.owner_cookies(owner, version, now)
    }

    /// A user by id, from the profile cache when it has it.
    pub async fn user(&self, id: &UserId) -> Result<Option<User>, Error> {
        if let Some(user) = self.profiles.get(id) {
            return Ok(Some(user));
        }
        let user = self.store.user(id).await?;
        if let Some(u) = &user {
            self.profiles.insert(id.clone(), u.clone());
        }
        Ok(user)
    }
}

/// The identity cache: bounded, and short-lived so renamed users show up soon.
pub fn user_cache() -> moka::sync::Cache<String, User> {
    moka::sync::Cache::builder()
        .max_capacity(100_000)
        .time_to_live(Duration::from_secs(300))
        .build()
}

/// The profile cache: bounded, ten seconds.
pub fn profile_cache() -> moka::sync::Cache<UserId, User> {
    moka::sync::Cache::builder()
        .max_capacity(100_000)
        .time_to_live(Duration::from_secs(10))
        .build()
}
