//! One `mediagate serve` process, as an operator runs it: a settings file, PostgreSQL, s3s-fs
//! for S3 and moto's server for CloudFront's control plane. Killed (SIGKILL) when dropped.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

pub const SECRET: &str = "replicas-secret-0123456789abcdef0123456789";
pub const ISSUER: &str = "mediagate-replicas-test";

/// What every replica shares, and what one may differ in.
pub struct Settings<'a> {
    pub dir: &'a Path,
    pub database_url: &'a str,
    pub key: &'a Path,
    pub s3_endpoint: &'a str,
    pub s3_secret_file: &'a Path,
    pub moto: &'a str,
    pub distribution: &'a str,
    pub per_minute: u32,
    pub abandon_after_secs: u64,
    /// Seconds between two ticks of this replica's invalidation sender.
    pub invalidation_interval_secs: u64,
}

impl Settings<'_> {
    /// The settings file of replica `name`.
    fn write(&self, name: &str) -> PathBuf {
        let path = self.dir.join(format!("{name}.toml"));
        let toml = format!(
            r#"[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
workers = 1
shutdown_timeout_secs = 1
[database]
url = "{db}"
max_connections = 4
[signing]
key_pair_id = "KREPLICASTEST"
private_key_file = "{key}"
[cloudfront]
domain = "d111111abcdef8.cloudfront.net"
[auth]
hs256_secret = "{SECRET}"
issuer = "{ISSUER}"
audience = "{ISSUER}"
[s3]
bucket = "{bucket}"
endpoint = "{s3}"
force_path_style = true
access_key_id = "{s3_key}"
secret_access_key_file = "{s3_secret}"
[uploads]
per_minute = {per_minute}
abandon_after_secs = {abandon}
[reaper]
interval_secs = 1
[invalidation]
enabled = true
distribution_id = "{distribution}"
endpoint_url = "{moto}"
interval_secs = {interval}
[log]
level = "info"
"#,
            db = self.database_url,
            key = self.key.display(),
            bucket = crate::s3_server::BUCKET,
            s3 = self.s3_endpoint,
            s3_key = crate::s3_server::ACCESS_KEY,
            s3_secret = self.s3_secret_file.display(),
            per_minute = self.per_minute,
            abandon = self.abandon_after_secs,
            distribution = self.distribution,
            moto = self.moto,
            interval = self.invalidation_interval_secs,
        );
        std::fs::write(&path, toml).expect("settings file");
        path
    }
}

pub struct Replica {
    pub name: String,
    pub base: String,
    pub admin: String,
    child: Child,
    client: reqwest::Client,
}

impl Replica {
    /// Starts `mediagate serve` (without waiting for it: see [`Replica::ready`]).
    pub fn spawn(name: &str, settings: &Settings<'_>) -> Child {
        let config = settings.write(name);
        let log = std::fs::File::create(settings.dir.join(format!("{name}.log"))).expect("log");
        Command::new(env!("CARGO_BIN_EXE_mediagate"))
            .args(["serve", "--config"])
            .arg(&config)
            .env_remove("RUST_LOG")
            .env_remove("DATABASE_URL")
            // The CloudFront client's credentials, from the standard chain as in production.
            .env("AWS_ACCESS_KEY_ID", crate::moto::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", crate::moto::SECRET_KEY)
            .env_remove("AWS_PROFILE")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start mediagate serve")
    }

    /// Waits for a spawned replica to say where it listens.
    pub fn ready(name: &str, mut child: Child, dir: &Path) -> Replica {
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let (mut base, mut admin) = (None, None);
        while base.is_none() || admin.is_none() {
            let Some(Ok(line)) = lines.next() else {
                let log = std::fs::read_to_string(dir.join(format!("{name}.log")));
                panic!(
                    "replica {name} exited before listening: {}",
                    log.unwrap_or_default()
                );
            };
            let at = |prefix: &str| {
                line.strip_prefix(prefix)
                    .and_then(|rest| rest.split_whitespace().next())
                    .map(|a| format!("http://{a}"))
            };
            base = base.or(at("mediagate listening on http://"));
            admin = admin.or(at("admin listening on http://"));
        }
        std::thread::spawn(move || for _ in lines {});
        Replica {
            name: name.to_owned(),
            base: base.unwrap_or_default(),
            admin: admin.unwrap_or_default(),
            child,
            client: reqwest::Client::new(),
        }
    }

    pub fn start(name: &str, settings: &Settings<'_>) -> Replica {
        Replica::ready(name, Replica::spawn(name, settings), settings.dir)
    }

    /// A GraphQL request; the response body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        res.json().await.expect("JSON body")
    }

    /// The value of one sample of `/metrics` (a name with its labels, as printed), 0 if absent.
    pub async fn metric(&self, sample: &str) -> f64 {
        let text = self
            .client
            .get(format!("{}/metrics", self.admin))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .filter_map(|l| l.strip_prefix(sample))
            .filter_map(|rest| rest.strip_prefix(' '))
            .find_map(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// SIGKILL: no shutdown, nothing flushed.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
