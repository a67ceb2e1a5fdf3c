//! `mediagate serve` run as a process, for the tests that drive the binary.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_mediagate");

/// `mediagate` run in `dir`, as a user would from that directory; it must succeed.
pub fn mediagate(dir: &Path, args: &[&str]) -> Output {
    mediagate_env(dir, &[], args)
}

/// `mediagate` run in `dir` with `env` added, which must succeed.
pub fn mediagate_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("run mediagate");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A running `mediagate serve`.
pub struct Served {
    child: Child,
    /// Where it listens.
    pub addr: String,
    /// A client for it.
    pub client: reqwest::Client,
    /// stderr so far, read by a thread as it comes.
    logs: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    /// `mediagate serve` on any free port, run in `dir` as a user would from there.
    pub fn start(dir: &Path) -> Served {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .current_dir(dir)
            .env_remove("DATABASE_URL");
        Served::spawn(cmd)
    }

    /// Runs `cmd`, which must start `serve` (perhaps through a wrapper), and waits for its first
    /// line, which names the address.
    pub fn spawn(mut cmd: Command) -> Served {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        let logs = Arc::new(Mutex::new(String::new()));
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let sink = logs.clone();
        let reader = std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let mut logs = sink.lock().expect("logs");
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        Served {
            child,
            addr,
            client: reqwest::Client::new(),
            logs,
            reader: Some(reader),
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) until the logs contain `needle`.
    pub async fn wait_for_log(&self, needle: &str) {
        self.wait_for_line(needle, |_| true).await;
    }

    /// Waits (bounded) until one log line contains `needle` and passes `also`.
    pub async fn wait_for_line(&self, needle: &str, also: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let found = || {
            let logs = self.logs.lock().expect("logs");
            logs.lines().any(|l| l.contains(needle) && also(l))
        };
        while !found() {
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in the logs:\n{}",
                self.logs.lock().expect("logs")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything it logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().expect("logs").clone()
    }

    pub async fn graphql(&self, token: Option<&str>, query: &str) -> Value {
        let mut req = self
            .client
            .post(format!("http://{}/graphql", self.addr))
            .json(&json!({"query": query}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
            .await
            .expect("graphql")
            .json()
            .await
            .expect("json")
    }

    pub async fn active_key(&self) -> String {
        let ready: Value = self
            .client
            .get(format!("http://{}/readyz", self.addr))
            .send()
            .await
            .expect("readyz")
            .json()
            .await
            .expect("json");
        ready["active_key"].as_str().unwrap_or_default().to_owned()
    }

    pub fn signal(&self, signal: &str) {
        assert!(
            Command::new("kill")
                .args([signal, &self.child.id().to_string()])
                .status()
                .expect("kill")
                .success()
        );
    }

    /// SIGTERM, wait for a clean exit, and return the logs.
    pub fn stop(mut self) -> String {
        self.signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "serve exited with {status}");
        if let Some(reader) = self.reader.take() {
            reader.join().expect("log reader");
        }
        self.logs.lock().expect("logs").clone()
    }
}

/// A test that fails before `stop` must not leave its server running.
impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
