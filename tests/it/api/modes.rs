//! Dev mode is one explicit state (issue 11). A production-shaped config (a CloudFront domain or a
//! bucket) never gets the dev routes or generated secrets unless `dev = true` is asked for, and
//! the start-up log says which mode runs. Driven through the binary, configured from the
//! environment alone, in an empty directory.

use std::io::{BufRead as _, BufReader, Read as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mediagate::cloudfront::{KeyAlgorithm, PrivateKey};
use mediagate::keyfile;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_mediagate");

/// Writes a 0600 file.
fn private(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// A production-shaped environment: a real-looking distribution, a bucket on an S3-compatible
/// endpoint with a static key (nothing is called at start), a CloudFront key.
fn production_env(dir: &Path) -> Vec<(String, String)> {
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("key");
    let files = keyfile::write_key_pair(&dir.join("cf"), &key).expect("write key");
    private(&dir.join("s3.secret"), "s3-secret-not-used-here");
    [
        (
            "MEDIAGATE_CLOUDFRONT__DOMAIN",
            "d111111abcdef8.cloudfront.net",
        ),
        ("MEDIAGATE_S3__BUCKET", "media"),
        ("MEDIAGATE_S3__ENDPOINT", "http://127.0.0.1:9"),
        ("MEDIAGATE_S3__FORCE_PATH_STYLE", "true"),
        ("MEDIAGATE_S3__ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("MEDIAGATE_S3__SECRET_ACCESS_KEY_FILE", "s3.secret"),
        ("MEDIAGATE_SIGNING__KEY_PAIR_ID", "K2JCJMDEHXQW5F"),
        (
            "MEDIAGATE_SIGNING__PRIVATE_KEY_FILE",
            files.private.to_str().expect("utf-8 path"),
        ),
        ("MEDIAGATE_SERVER__LISTEN", "127.0.0.1:0"),
        ("MEDIAGATE_LOG__LEVEL", "info"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into()
}

fn command(dir: &Path, env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A started `serve`: its addresses (from the lines it prints) and its stderr so far.
struct Running {
    child: Child,
    main: String,
    admin: Option<String>,
}

impl Running {
    fn start(dir: &Path, env: &[(String, String)]) -> Running {
        let mut child = command(dir, env).spawn().expect("spawn serve");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let address = |line: &str| {
            line.split("http://")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_owned)
        };
        let mut line = String::new();
        out.read_line(&mut line).expect("read");
        let Some(main) = address(&line) else {
            let mut err = String::new();
            child
                .stderr
                .take()
                .expect("stderr")
                .read_to_string(&mut err)
                .ok();
            panic!("serve did not start: {line:?}\n{err}");
        };
        let mut admin = None;
        let mut next = String::new();
        if env
            .iter()
            .any(|(k, _)| k == "MEDIAGATE_SERVER__ADMIN_LISTEN")
        {
            out.read_line(&mut next).expect("read");
            admin = address(&next);
            assert!(next.starts_with("admin listening"), "{next:?}");
        }
        Running { child, main, admin }
    }

    /// Stops it and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let mut logs = String::new();
        self.child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut logs)
            .ok();
        self.child.wait().ok();
        logs
    }
}

async fn status(client: &reqwest::Client, method: &str, url: &str) -> u16 {
    let req = match method {
        "POST" => client.post(url).json(&json!({ "sub": "mallory" })),
        _ => client.get(url),
    };
    req.timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

/// The hole: with a real domain and bucket but no HS256 secret, `/dev/token` minted a token for
/// anyone under a generated secret. Now production mode generates nothing and says what to set.
#[tokio::test]
async fn production_shape_without_a_secret_refuses_to_start() {
    let dir = tempfile::tempdir().expect("dir");
    let env = production_env(dir.path());
    let out = command(dir.path(), &env).output().expect("run serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started: {stderr}");
    assert!(stderr.contains("auth.hs256_secret_file"), "{stderr}");
    assert!(stderr.contains("dev = true"), "{stderr}");
    assert!(!dir.path().join("data/dev-hs256.secret").exists());
}

#[tokio::test]
async fn production_shape_serves_no_dev_routes_and_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let mut env = production_env(dir.path());
    private(&dir.path().join("jwt.secret"), &"s".repeat(40));
    env.push((
        "MEDIAGATE_AUTH__HS256_SECRET_FILE".into(),
        "jwt.secret".into(),
    ));
    let served = Running::start(dir.path(), &env);
    let client = reqwest::Client::new();
    let base = format!("http://{}", served.main);
    for (method, path) in [
        ("POST", "/dev/token"),
        ("GET", "/demo"),
        ("GET", "/edge/alice/a/b.png"),
        ("GET", "/metrics"),
        ("GET", "/graphiql"),
    ] {
        assert_eq!(
            status(&client, method, &format!("{base}{path}")).await,
            404,
            "{method} {path}"
        );
    }
    assert_eq!(
        status(&client, "GET", &format!("{base}/healthz")).await,
        200
    );
    let introspection: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "{ __schema { queryType { name } } }" }))
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    assert!(!introspection["errors"].is_null(), "{introspection}");
    let logs = served.stop();
    assert!(logs.contains("production mode"), "{logs}");
    assert!(!logs.contains("DEV MODE"), "{logs}");
    assert!(!dir.path().join("data/dev-hs256.secret").exists());
}

#[tokio::test]
async fn metrics_live_on_the_admin_listener() {
    let dir = tempfile::tempdir().expect("dir");
    let mut env = production_env(dir.path());
    private(&dir.path().join("jwt.secret"), &"s".repeat(40));
    env.push((
        "MEDIAGATE_AUTH__HS256_SECRET_FILE".into(),
        "jwt.secret".into(),
    ));
    env.push((
        "MEDIAGATE_SERVER__ADMIN_LISTEN".into(),
        "127.0.0.1:0".into(),
    ));
    let served = Running::start(dir.path(), &env);
    let client = reqwest::Client::new();
    let admin = format!("http://{}", served.admin.clone().expect("admin address"));
    let main = format!("http://{}", served.main);
    assert_eq!(
        status(&client, "GET", &format!("{admin}/metrics")).await,
        200
    );
    assert_eq!(
        status(&client, "GET", &format!("{admin}/readyz")).await,
        200
    );
    assert_eq!(
        status(&client, "GET", &format!("{admin}/graphql")).await,
        404
    );
    assert_eq!(
        status(&client, "GET", &format!("{main}/metrics")).await,
        404
    );
    served.stop();
}

/// Dev mode with a real domain and bucket exists, but only when asked for, and loudly.
#[tokio::test]
async fn explicit_dev_mode_is_loud() {
    let dir = tempfile::tempdir().expect("dir");
    let mut env = production_env(dir.path());
    env.push(("MEDIAGATE_DEV".into(), "true".into()));
    let served = Running::start(dir.path(), &env);
    let client = reqwest::Client::new();
    let base = format!("http://{}", served.main);
    assert_eq!(
        status(&client, "POST", &format!("{base}/dev/token")).await,
        200
    );
    // Links go to the configured domain, so there is no local edge.
    assert_eq!(
        status(&client, "GET", &format!("{base}/edge/alice/a/b.png")).await,
        404
    );
    let logs = served.stop();
    assert!(logs.contains("DEV MODE"), "{logs}");
}

/// Embedded defaults: the database, its WAL and the dev secret are the service user's alone.
#[tokio::test]
async fn embedded_defaults_keep_data_private() {
    let dir = tempfile::tempdir().expect("dir");
    let served = Running::start(
        dir.path(),
        &[("MEDIAGATE_SERVER__LISTEN".into(), "127.0.0.1:0".into())],
    );
    let client = reqwest::Client::new();
    // A write, so the WAL exists.
    let token: serde_json::Value = client
        .post(format!("http://{}/dev/token", served.main))
        .json(&json!({ "sub": "alice" }))
        .send()
        .await
        .expect("dev token")
        .json()
        .await
        .expect("json");
    let res = client
        .post(format!("http://{}/graphql", served.main))
        .bearer_auth(token["token"].as_str().expect("token"))
        .json(&json!({ "query": "{ viewer { id } }" }))
        .send()
        .await
        .expect("graphql");
    assert_eq!(res.status(), 200);
    let mode = |p: &str| {
        std::fs::metadata(dir.path().join(p))
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("data"), 0o700);
    for file in [
        "data/mediagate.db",
        "data/mediagate.db-wal",
        "data/dev-hs256.secret",
    ] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    let logs = served.stop();
    assert!(logs.contains("DEV MODE"), "{logs}");
}
