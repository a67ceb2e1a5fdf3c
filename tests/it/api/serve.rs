//! `mediagate serve` as shipped: embedded defaults in an empty directory, dev-token from the same
//! directory, JSON logs without secrets, and a clean stop on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[tokio::test]
async fn serve_on_embedded_defaults_then_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let bin = env!("CARGO_BIN_EXE_mediagate");
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();

    for (file, mode) in [("keys/dev.pem", 0o600), ("data/dev-hs256.secret", 0o600)] {
        let meta =
            std::fs::metadata(dir.path().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{file}");
    }
    assert!(dir.path().join("keys/dev.pub.pem").exists());
    assert!(dir.path().join("data/mediagate.db").exists());

    let token = Command::new(bin)
        .args(["dev-token", "--sub", "alice"])
        .current_dir(dir.path())
        .output()
        .expect("dev-token");
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    let body: Value = client
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(&token)
        .json(&json!({"query": "{ viewer { id username } }"}))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json");
    assert_eq!(
        body,
        json!({"data": {"viewer": {"id": "alice", "username": "alice"}}})
    );
    let ready: Value = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .expect("readyz")
        .json()
        .await
        .expect("json");
    assert!(
        ready["active_key"]
            .as_str()
            .is_some_and(|k| k.starts_with("KDEV")),
        "{ready}"
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "serve exited with {status}");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut logs)
        .expect("logs");
    assert!(logs.contains("DEV KEY IN USE"), "{logs}");
    assert!(!logs.contains(&token), "the token was logged");
    let secret = std::fs::read_to_string(dir.path().join("data/dev-hs256.secret")).expect("secret");
    assert!(!logs.contains(secret.trim()), "the secret was logged");
    let request_lines: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &Value| v["message"] == json!("request"))
        .collect();
    assert!(request_lines.len() >= 2, "{logs}");
    assert!(
        request_lines
            .iter()
            .all(|l| l["request_id"].is_string() && l["status"].is_number()),
        "{logs}"
    );
}
