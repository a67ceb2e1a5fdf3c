//! `TestApp`: one app per test, nothing shared.

use std::sync::Arc;

use crate::support::change;
use mediagate::auth::issue_hs256;
use mediagate::clock::Clock;
use mediagate::cloudfront::{Epoch, KeyAlgorithm, PrivateKey};
use mediagate::config::{Config, Secret};
use mediagate::graphql::prepared::PreparedDocuments;
use mediagate::keyfile;
use mediagate::state::AppState;
use mediagate::store::{Image, ImageId, ImageStatus, Seed, Store, UserId, Visibility};
use serde_json::{Value, json};

use crate::s3_server::S3Server;

pub const SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";
pub const KEY_ID: &str = "KTESTAPPKEY";
pub const START: Epoch = Epoch(1_800_000_000);

pub struct TestApp {
    pub base: String,
    pub state: Arc<AppState>,
    /// The GraphQL documents the server has validated.
    pub documents: Arc<PreparedDocuments>,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    handle: actix_web::dev::ServerHandle,
    /// The s3s-fs server standing in for the embedded S3 (see [`without_embedded_s3`]).
    _s3: Option<S3Server>,
}

/// `MEDIAGATE_TEST_S3=s3s-fs`: every app that would use the embedded S3 gets its own s3s-fs
/// server instead, so `scripts/test` runs the API suite once with no embedded S3 at all.
fn without_embedded_s3() -> bool {
    std::env::var("MEDIAGATE_TEST_S3").as_deref() == Ok("s3s-fs")
}

/// Writes an RSA test key into `dir` (once) and returns its path.
pub fn test_key(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("signing.pem");
    if !path.exists() {
        let key = PrivateKey::generate(KeyAlgorithm::Rsa2048).expect("key");
        keyfile::write_key_pair(&dir.join("signing"), &key).expect("write key");
    }
    path
}

pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config {
        // The embedded S3 serves the tests: development defaults, asked for explicitly.
        dev: Some(true),
        ..Config::default()
    };
    config.server.listen = "127.0.0.1:0".into();
    config.server.workers = 2;
    config.server.shutdown_timeout_secs = 1;
    config.database.url = Secret::new(format!("sqlite://{}", dir.join("mediagate.db").display()));
    config.signing.key_pair_id = Some(KEY_ID.into());
    config.signing.private_key_file = test_key(dir);
    config.cloudfront.domain = Some("d111111abcdef8.cloudfront.net".into());
    config.auth.hs256_secret = Some(Secret::new(SECRET));
    config.log.level = "warn".into();
    // No bucket: the embedded local S3 server, keeping objects in this test's directory.
    config.s3.local_dir = dir.join("s3");
    // Tests run the reaper themselves, at the time they choose.
    config.reaper.interval_secs = 0;
    config
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(dir.path());
        adjust(&mut config);
        Self::spawn_in(dir, config).await
    }

    pub async fn spawn_in(dir: tempfile::TempDir, config: Config) -> TestApp {
        Self::spawn_in_with(dir, config, |_, _| {}).await
    }

    /// As `spawn_in`, letting the test replace parts of the state (e.g. a fake control plane).
    pub async fn spawn_in_with(
        dir: tempfile::TempDir,
        mut config: Config,
        adjust: impl FnOnce(&mut AppState, Arc<ManualClock>),
    ) -> TestApp {
        let s3 = (config.s3.bucket.is_none() && without_embedded_s3()).then(|| {
            let server = S3Server::start();
            server.configure(&mut config, dir.path());
            server
        });
        let clock = Arc::new(ManualClock::new(START));
        let (state, app) =
            mediagate::app::start(config, clock.clone(), |state| adjust(state, clock.clone()))
                .await
                .expect("start");
        let documents = app.documents();
        let base = format!("http://{}", app.addr());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            base,
            state,
            documents,
            clock,
            client: reqwest::Client::new(),
            dir,
            handle,
            _s3: s3,
        }
    }

    pub fn clock_now(&self) -> Epoch {
        self.clock.now()
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().seconds() as i64 * 1000
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.state.store
    }

    /// A seeder on the app's database (its own connections; the app sees what it commits).
    pub async fn seeder(&self) -> Box<dyn Seed> {
        let url = mediagate::app::database_url(&self.state.config).expect("database url");
        mediagate::store::seeder(&url).await.expect("seeder")
    }

    pub fn token(&self, sub: &str) -> String {
        issue_hs256(
            SECRET.as_bytes(),
            sub,
            None,
            "mediagate-dev",
            "mediagate",
            3600,
            self.clock.now().seconds(),
        )
        .expect("token")
    }

    /// POSTs a GraphQL request; returns the status and the body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("JSON body"))
    }

    /// `POST /cookies` for `token`'s holder: the Set-Cookie headers it answers with.
    pub async fn set_cookies(&self, token: &str) -> Vec<String> {
        let res = self
            .client
            .post(format!("{}/cookies", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("POST /cookies");
        assert_eq!(res.status(), 200);
        res.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .collect()
    }

    /// Creates (via the API, so through auth) the user `sub`.
    pub async fn user(&self, sub: &str) -> String {
        let token = self.token(sub);
        let (status, body) = self.gql(Some(&token), "{ viewer { id } }", json!({})).await;
        assert_eq!(status, 200, "{body}");
        body["data"]["viewer"]["id"]
            .as_str()
            .expect("viewer id")
            .to_owned()
    }

    /// Inserts a READY image for `owner` straight into the store.
    pub async fn image(&self, owner: &str, id: &str, visibility: Visibility) -> Image {
        let now_ms = self.now_ms();
        let image = Image {
            id: ImageId::parse(id).expect("image id"),
            owner_id: UserId::parse(owner).expect("user id"),
            key: format!("{owner}/{id}/photo.jpg"),
            visibility,
            status: ImageStatus::Ready,
            content_type: "image/jpeg".into(),
            size: 1234,
            sha256: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            link_version: 0,
        };
        self.store()
            .insert_image(&image)
            .await
            .expect("insert image");
        image
    }

    /// Makes `a` and `b` friends the only way there is: `a` asks, `b` accepts.
    pub async fn befriend(&self, a: &str, b: &str) {
        let now_ms = self.now_ms();
        let (a, b) = (UserId::parse(a).expect("id"), UserId::parse(b).expect("id"));
        self.store()
            .request_friendship(&a, &b, 100, &change(now_ms))
            .await
            .expect("request");
        self.store()
            .accept_friendship(&b, &a, &change(now_ms))
            .await
            .expect("accept");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

/// The GraphQL error code of the first error.
pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

/// Records invalidated paths. CloudFront's control plane has no local stand-in, so this fake is
/// what the service talks to in the tests that use it (their names say so); `invalidate.rs`
/// unit-tests the batching against one too.
#[derive(Debug, Default)]
pub struct FakeCloudFront {
    paths: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

#[async_trait::async_trait]
impl mediagate::invalidate::ControlPlane for FakeCloudFront {
    async fn create(
        &self,
        paths: &[String],
        _: &str,
    ) -> Result<String, mediagate::invalidate::ControlPlaneError> {
        self.paths
            .lock()
            .expect("lock")
            .extend(paths.iter().cloned());
        Ok("I1".into())
    }
    async fn is_complete(&self, _: &str) -> Result<bool, mediagate::invalidate::ControlPlaneError> {
        Ok(true)
    }
}

impl FakeCloudFront {
    /// An app whose invalidations go to a fake CloudFront every second, its clock at real time.
    pub async fn app() -> (TestApp, Arc<FakeCloudFront>) {
        let fake = Arc::new(FakeCloudFront::default());
        let dir = tempfile::tempdir().expect("dir");
        let mut config = test_config(dir.path());
        config.invalidation.interval_secs = 1;
        let plane: Arc<dyn mediagate::invalidate::ControlPlane> = fake.clone();
        let app = TestApp::spawn_in_with(dir, config, |state, clock| {
            state.invalidations = mediagate::invalidate::InvalidationQueue::start(
                &state.config.invalidation,
                Arc::clone(&state.store),
                plane,
                clock,
                state.metrics.clone(),
            );
        })
        .await;
        app.clock.set(mediagate::clock::SystemClock.now());
        (app, fake)
    }

    /// Waits (at most 20 s) until exactly `want` has been invalidated.
    pub async fn wait_for(&self, want: &[String]) {
        let want: std::collections::BTreeSet<String> = want.iter().cloned().collect();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while *self.paths.lock().expect("lock") != want {
            assert!(
                std::time::Instant::now() < deadline,
                "invalidated {:?}, wanted {want:?}",
                self.paths.lock().expect("lock")
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// A clock that only moves when told to (tests; the reaper's tests in particular).
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicU64);

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: Epoch) -> ManualClock {
        ManualClock(std::sync::atomic::AtomicU64::new(now.0))
    }

    /// Sets the time.
    pub fn set(&self, now: Epoch) {
        self.0.store(now.0, std::sync::atomic::Ordering::SeqCst);
    }

    /// Moves the time forward.
    pub fn advance(&self, seconds: u64) {
        self.0
            .fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Epoch {
        Epoch(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}
