//! The built binary, driven exactly as scripts and users drive it.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::support::{fixtures, python_oracle};

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

#[test]
fn sign_url_matches_botocore_and_verifies() {
    let f = fixtures();
    let url = "https://d111111abcdef8.cloudfront.net/u0042/u0042-0007/caf%C3%A9%20au%20lait.jpg?w=640&fmt=webp";
    let out = mediagate(&[
        "sign-url",
        "--url",
        url,
        "--key-pair-id",
        f.rsa.signing.id.as_str(),
        "--private-key",
        p(&f.rsa.private_pem),
        "--expires",
        "2000000000",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed = stdout_json(&out);
    let botocore = python_oracle(
        "botocore_sign",
        vec![json!({
            "url": url, "key_pair_id": f.rsa.signing.id.as_str(), "private_key_pem": f.rsa.private_pem,
            "expires": 2_000_000_000u64, "policy": null,
        })],
    );
    assert_eq!(signed["url"], botocore[0]["url"]);
    assert_eq!(signed["expires"], json!(2_000_000_000u64));
    assert_eq!(
        signed["policy"],
        json!(format!(
            r#"{{"Statement":[{{"Resource":"{url}","Condition":{{"DateLessThan":{{"AWS:EpochTime":2000000000}}}}}}]}}"#
        ))
    );
    let key = format!("{}={}", f.rsa.signing.id, p(&f.rsa.public_pem));
    let signed_url = signed["url"].as_str().expect("url");

    let ok = mediagate(&[
        "verify",
        signed_url,
        "--public-key",
        &key,
        "--now",
        "1999999999",
        "--json",
    ]);
    assert_eq!(ok.status.code(), Some(0));
    let decision = stdout_json(&ok);
    assert_eq!(
        (&decision["valid"], &decision["reason"], &decision["policy"]),
        (&json!(true), &Value::Null, &json!("canned"))
    );

    let late = mediagate(&[
        "verify",
        signed_url,
        "--public-key",
        &key,
        "--now",
        "2000000042",
        "--json",
    ]);
    assert_eq!(late.status.code(), Some(1));
    let decision = stdout_json(&late);
    assert_eq!(decision["valid"], json!(false));
    assert_eq!(decision["code"], json!("expired"));
    assert_eq!(
        decision["reason"],
        json!("expired 42 s ago (at 2000000000)")
    );

    let plain = mediagate(&[
        "verify",
        &signed_url.replace("w=640", "w=641"),
        "--public-key",
        &key,
        "--now",
        "1999999999",
    ]);
    assert_eq!(plain.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&plain.stdout).starts_with("invalid: bad signature:"));
}

#[test]
fn sign_url_custom_policy_options() {
    let f = fixtures();
    let key = format!("{}={}", f.ec.signing.id, p(&f.ec.public_pem));
    let out = mediagate(&[
        "sign-url",
        "--url",
        "https://m.example.com/u1/a.jpg",
        "--policy-resource",
        "https://m.example.com/u1/*",
        "--key-pair-id",
        f.ec.signing.id.as_str(),
        "--private-key",
        p(&f.ec.private_pem),
        "--expires",
        "+600",
        "--not-before",
        "1000",
        "--ip",
        "192.0.2.0/24",
        "--hash",
        "sha256",
        "--json",
    ]);
    let signed = stdout_json(&out);
    let url = signed["url"].as_str().expect("url");
    assert!(
        url.contains("?Policy=") && url.ends_with("&Hash-Algorithm=SHA256"),
        "{url}"
    );
    let policy: Value =
        serde_json::from_str(signed["policy"].as_str().expect("policy")).expect("policy JSON");
    assert_eq!(
        policy["Statement"][0]["Condition"]["IpAddress"]["AWS:SourceIp"],
        json!("192.0.2.0/24")
    );
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", url, "--public-key", &key, "--json"];
        args.extend_from_slice(extra);
        let out = mediagate(&args);
        stdout_json(&out)["code"].clone()
    };
    assert_eq!(verify(&["--client-ip", "192.0.2.9"]), Value::Null);
    assert_eq!(
        verify(&["--client-ip", "192.0.3.9"]),
        json!("ip_not_allowed")
    );
    assert_eq!(verify(&[]), json!("ip_not_allowed"));
    assert_eq!(
        verify(&["--client-ip", "192.0.2.9", "--now", "999"]),
        json!("not_yet_valid")
    );
}

#[test]
fn sign_cookies_then_verify_with_them() {
    let f = fixtures();
    let out = mediagate(&[
        "sign-cookies",
        "--resource",
        "https://m.example.com/u7/*",
        "--key-pair-id",
        f.rsa.signing.id.as_str(),
        "--private-key",
        p(&f.rsa.private_pem),
        "--expires",
        "+3600",
        "--domain",
        "example.com",
        "--json",
    ]);
    let signed = stdout_json(&out);
    let cookies = signed["cookies"].as_object().expect("cookies");
    assert_eq!(cookies.len(), 3);
    let set_cookie = signed["set_cookie"].as_array().expect("set_cookie");
    assert!(set_cookie.iter().all(|h| {
        let h = h.as_str().expect("header");
        h.contains("; Domain=example.com; Path=/;")
            && h.ends_with("; Secure; HttpOnly; SameSite=Lax")
    }));
    let key = format!("{}={}", f.rsa.signing.id, p(&f.rsa.public_pem));
    let cookie_args: Vec<String> = cookies
        .iter()
        .map(|(n, v)| format!("{n}={}", v.as_str().expect("value")))
        .collect();
    let run = |url: &str| {
        let mut args = vec!["verify", url, "--public-key", &key, "--json"];
        for c in &cookie_args {
            args.extend(["--cookie", c.as_str()]);
        }
        stdout_json(&mediagate(&args))
    };
    assert_eq!(
        run("https://m.example.com/u7/x/y.jpg")["source"],
        json!("cookies")
    );
    assert_eq!(
        run("https://m.example.com/u8/y.jpg")["code"],
        json!("resource_mismatch")
    );

    let plain = mediagate(&[
        "sign-cookies",
        "--resource",
        "https://m.example.com/a.jpg",
        "--key-pair-id",
        f.rsa.signing.id.as_str(),
        "--private-key",
        p(&f.rsa.private_pem),
        "--expires",
        "+60",
        "--hash",
        "sha256",
    ]);
    let text = String::from_utf8_lossy(&plain.stdout);
    let names: Vec<&str> = text
        .lines()
        .map(|l| l.split('=').next().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        [
            "Set-Cookie: CloudFront-Expires",
            "Set-Cookie: CloudFront-Signature",
            "Set-Cookie: CloudFront-Key-Pair-Id",
            "Set-Cookie: CloudFront-Hash-Algorithm"
        ]
    );
}

#[test]
fn bad_input_is_one_clear_line() {
    let f = fixtures();
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.pem");
    fs::write(&garbage, "not a key").expect("write");
    fs::set_permissions(&garbage, fs::Permissions::from_mode(0o600)).expect("chmod");
    let loose = dir.path().join("loose.pem");
    fs::copy(&f.rsa.private_pem, &loose).expect("copy");
    fs::set_permissions(&loose, fs::Permissions::from_mode(0o644)).expect("chmod");
    let key = p(&f.rsa.private_pem);
    let sign = |url: &str, extra: &[&str], needle: &str| {
        let mut args = vec![
            "sign-url",
            "--url",
            url,
            "--key-pair-id",
            "K1",
            "--private-key",
            key,
            "--expires",
            "+60",
        ];
        args.extend_from_slice(extra);
        assert_refused(&args, needle);
    };
    let u = "https://d.example/a.jpg";
    assert_refused(&["sign-url", "--bogus"], "--bogus");
    assert_refused(&["sign-url", "--url", u], "required");
    assert_refused(&["frobnicate"], "frobnicate");
    sign("d.example/a.jpg", &[], "http:// or https://");
    sign("https://d.example/a b.jpg", &[], "%20");
    sign("https://d.example/a.jpg#x", &[], "fragment");
    sign(
        "https://d.example/a.jpg?Signature=x",
        &[],
        "already carries",
    );
    sign(u, &["--ip", "10.0.0.300"], "not an IPv4 address");
    sign(u, &["--ip", "10.0.0.1/8"], "did you mean 10.0.0.0/8");
    sign(u, &["--ip", "2001:db8::/32"], "IPv4");
    sign(
        u,
        &["--not-before", "+120"],
        "must be earlier than the expiry",
    );
    sign(u, &["--hash", "md5"], "md5");
    sign(
        u,
        &["--policy-resource", "https://other.example/*"],
        "outside the policy resource",
    );
    assert_refused(
        &[
            "sign-url",
            "--url",
            u,
            "--key-pair-id",
            "K1",
            "--private-key",
            key,
            "--expires",
            "1",
        ],
        "not in the future",
    );
    assert_refused(
        &[
            "sign-url",
            "--url",
            u,
            "--key-pair-id",
            "K1",
            "--private-key",
            key,
            "--expires",
            "tomorrow",
        ],
        "tomorrow",
    );
    assert_refused(
        &[
            "sign-url",
            "--url",
            u,
            "--key-pair-id",
            "K1",
            "--private-key",
            key,
            "--expires",
            "9999999999",
        ],
        "2038",
    );
    assert_refused(
        &[
            "sign-url",
            "--url",
            u,
            "--key-pair-id",
            "K 1",
            "--private-key",
            key,
            "--expires",
            "+9",
        ],
        "key-pair id",
    );
    assert_refused(
        &[
            "sign-url",
            "--url",
            u,
            "--key-pair-id",
            "K1",
            "--private-key",
            p(&garbage),
            "--expires",
            "+9",
        ],
        "is not a PEM private key",
    );
    assert_refused(
        &[
            "sign-url",
            "--url",
            u,
            "--key-pair-id",
            "K1",
            "--private-key",
            p(&loose),
            "--expires",
            "+9",
        ],
        "chmod 600",
    );
    assert_refused(
        &[
            "sign-url",
            "--url",
            u,
            "--key-pair-id",
            "K1",
            "--private-key",
            "/nonexistent.pem",
            "--expires",
            "+9",
        ],
        "No such file",
    );
    assert_refused(
        &[
            "sign-cookies",
            "--resource",
            u,
            "--key-pair-id",
            "K1",
            "--private-key",
            key,
            "--expires",
            "+9",
            "--domain",
            "a b",
        ],
        "not a host name",
    );
    assert_refused(&["verify", u, "--public-key", "K1"], "ID=FILE");
    assert_refused(
        &["verify", u, "--public-key", &format!("K1={}", p(&garbage))],
        "not a PEM public key",
    );
    assert_refused(
        &[
            "verify",
            u,
            "--public-key",
            &format!("K1={}", p(&f.rsa.public_pem)),
            "--cookie",
            "x",
        ],
        "NAME=VALUE",
    );
    assert_refused(
        &[
            "verify",
            u,
            "--public-key",
            &format!("K1={}", p(&f.rsa.public_pem)),
            "--client-ip",
            "::1",
        ],
        "::1",
    );
}
