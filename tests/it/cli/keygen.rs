//! `keygen`: an owner-only private key, never overwritten, never printed.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;

use serde_json::json;

use super::{assert_refused, mediagate, p, stdout_json};

#[test]
fn keygen_writes_owner_only_private_key_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    for alg in ["rsa2048", "ecdsa-p256"] {
        let prefix = dir.path().join("keys").join(alg);
        let out = mediagate(&["keygen", "--algorithm", alg, "--out", p(&prefix), "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let info = stdout_json(&out);
        let private = dir.path().join(format!("keys/{alg}.pem"));
        let public = dir.path().join(format!("keys/{alg}.pub.pem"));
        assert_eq!(info["private"], json!(private));
        assert_eq!(info["public"], json!(public));
        assert_eq!(
            fs::metadata(&private)
                .expect("private")
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
        let pem = fs::read_to_string(&private).expect("read");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(
            fs::read_to_string(&public)
                .expect("read")
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
        // No key material on stdout, ever.
        let body: String = pem.lines().nth(1).expect("body").chars().take(24).collect();
        assert!(!String::from_utf8_lossy(&out.stdout).contains(&body));
        assert_refused(
            &["keygen", "--algorithm", alg, "--out", p(&prefix)],
            "already exists",
        );
        assert_eq!(
            fs::read_to_string(&private).expect("read"),
            pem,
            "refused keygen changed the key"
        );
    }
    assert_refused(
        &[
            "keygen",
            "--algorithm",
            "rsa1024",
            "--out",
            p(&dir.path().join("x")),
        ],
        "rsa1024",
    );
}
