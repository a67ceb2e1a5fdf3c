//! The built binary, driven exactly as scripts and users drive it.

mod bad_input;
mod keygen;
mod sign_cookies;
mod sign_url;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn mediagate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mediagate"))
        .args(args)
        .output()
        .expect("run mediagate")
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// Bad input: exit 2, nothing on stdout, exactly one line on stderr that says what is wrong.
fn assert_refused(args: &[&str], needle: &str) {
    let out = mediagate(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    assert_eq!(
        stderr.lines().count(),
        1,
        "{args:?}: not one line: {stderr}"
    );
    assert!(stderr.starts_with("mediagate: error: "), "{stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: {stderr:?} lacks {needle:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}
