//! `sign-url`, checked against botocore and by `verify`, with canned and custom policies.

use serde_json::{Value, json};

use super::{mediagate, p, stdout_json};
use crate::support::{fixtures, python_oracle};

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
