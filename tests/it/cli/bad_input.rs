//! Refused input to sign-url, sign-cookies, verify and an unknown subcommand: exit 2, and one
//! line that says what is wrong.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;

use super::{assert_refused, p};
use crate::support::fixtures;

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
