//! `sign-cookies`, as JSON and as Set-Cookie lines, then `verify` with those cookies.

use serde_json::json;

use super::{mediagate, p, stdout_json};
use crate::support::fixtures;

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
