//! Our signer and verifier against AWS's own: botocore's CloudFrontSigner (byte for byte, RSA),
//! `cryptography` (signature checks, every key type and hash) and @aws-sdk/cloudfront-signer.

use mediagate::cloudfront::{
    BaseUrl, CannedPolicy, Cidr, CustomPolicy, Epoch, HashAlgorithm, Request, Resource,
    SignedPolicy, sign_canned, verify,
};
use serde_json::{Value, json};

use crate::support::{Rng, fixtures, node_oracle, python_oracle, query_param, random_url};

const NOW: Epoch = Epoch(1_763_000_000);

fn random_expiry(rng: &mut Rng) -> Epoch {
    // From a minute to ~12 years ahead, and now and then the very last second we sign.
    if rng.chance(50) {
        Epoch::MAX
    } else {
        Epoch(NOW.0 + 60 + rng.below(380_000_000))
    }
}

#[test]
fn oracle_botocore_canned_rsa_sha1_equal_byte_for_byte() {
    let f = fixtures();
    let mut rng = Rng::from_env("oracle_botocore_canned");
    let mut ours = Vec::new();
    let mut cases = Vec::new();
    for _ in 0..400 {
        let url = random_url(&mut rng, false);
        let expires = random_expiry(&mut rng);
        let policy = CannedPolicy::new(BaseUrl::parse(&url).expect("generated URL"), expires, NOW)
            .expect("policy");
        ours.push(sign_canned(&policy, &f.rsa.signing, HashAlgorithm::Sha1).expect("sign"));
        cases.push(json!({
            "url": url, "key_pair_id": f.rsa.signing.id.as_str(),
            "private_key_pem": f.rsa.private_pem, "expires": expires.0, "policy": null,
        }));
    }
    let results = python_oracle("botocore_sign", cases);
    for (mine, theirs) in ours.iter().zip(&results) {
        assert_eq!(
            mine.url,
            theirs["url"].as_str().expect("url"),
            "canned URL differs from botocore's"
        );
    }
    // The verifier accepts every one of AWS's URLs until it expires, and not a second after.
    for (mine, theirs) in ours.iter().zip(&results) {
        let url = theirs["url"].as_str().expect("url");
        let at = |now| Request {
            url,
            cookies: &[],
            client_ip: None,
            now,
        };
        assert!(verify(&at(NOW), &f.trusted).is_ok(), "{url}");
        assert_eq!(
            verify(&at(mine.expires), &f.trusted)
                .map(|_| ())
                .unwrap_err()
                .code(),
            "expired"
        );
        // ...and rejects it once tampered: another object, or another expiry.
        let code = |u: &str| {
            let request = Request { url: u, ..at(NOW) };
            verify(&request, &f.trusted).map(|_| ()).unwrap_err().code()
        };
        assert_eq!(code(&url.replacen("://", "://x", 1)), "bad_signature");
        let expires = format!("Expires={}", mine.expires);
        let earlier = format!("Expires={}", mine.expires.0 - 1);
        assert_eq!(code(&url.replace(&expires, &earlier)), "bad_signature");
    }
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> &str {
    let host = url.find("://").expect("scheme") + 3;
    &url[..url[host..].find(['/', '?']).map_or(url.len(), |i| host + i)]
}

#[test]
fn oracle_botocore_custom_rsa_sha1_equal_byte_for_byte() {
    let f = fixtures();
    let mut rng = Rng::from_env("oracle_botocore_custom");
    let mut ours = Vec::new();
    let mut cases = Vec::new();
    for i in 0..200 {
        let url = random_url(&mut rng, false);
        let resource = match i % 4 {
            0 => url.clone(),
            1 => format!("{}/*", origin(&url)),
            2 => "*".to_owned(),
            _ => format!("{}?*", &url[..url.len() - 1]),
        };
        let expires = random_expiry(&mut rng);
        let not_before = rng.chance(2).then(|| Epoch(NOW.0 - 1000 + rng.below(1000)));
        let ip = rng.chance(2).then(|| {
            let prefix = rng.below(33) as u32;
            let addr = (rng.next() as u32)
                & if prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - prefix)
                };
            format!("{}/{prefix}", std::net::Ipv4Addr::from(addr))
        });
        let policy = CustomPolicy::new(
            Resource::parse(&resource).expect("resource"),
            expires,
            not_before,
            ip.as_deref().map(|c| Cidr::parse(c).expect("cidr")),
            NOW,
        )
        .expect("policy");
        let signed = SignedPolicy::sign(policy, &f.rsa.signing, HashAlgorithm::Sha1).expect("sign");
        ours.push(
            signed
                .url_for(&BaseUrl::parse(&url).expect("url"))
                .expect("resource matches its URL"),
        );
        cases.push(json!({
            "url": url, "key_pair_id": f.rsa.signing.id.as_str(), "private_key_pem": f.rsa.private_pem,
            "expires": expires.0,
            "policy": {"resource": resource, "not_before": not_before.map(|e| e.0), "ip": ip},
        }));
    }
    let results = python_oracle("botocore_sign", cases);
    for (mine, theirs) in ours.iter().zip(&results) {
        assert_eq!(
            mine.policy,
            theirs["policy"].as_str().expect("policy"),
            "policy JSON differs from botocore's"
        );
        assert_eq!(
            mine.url,
            theirs["url"].as_str().expect("url"),
            "custom URL differs from botocore's"
        );
        let url = theirs["url"].as_str().expect("url");
        let ok = Request {
            url,
            cookies: &[],
            client_ip: Some("0.0.0.0".parse().expect("ip")),
            now: NOW,
        };
        match verify(&ok, &f.trusted) {
            Ok(_) => {}
            // Only the IP condition may refuse 0.0.0.0; anything else is a verifier bug.
            Err(e) => assert_eq!(e.code(), "ip_not_allowed", "{url}: {e}"),
        }
        let expired = Request {
            now: mine.expires,
            ..ok
        };
        assert_eq!(
            verify(&expired, &f.trusted).map(|_| ()).unwrap_err().code(),
            "expired"
        );
    }
}

#[test]
fn oracle_cryptography_verifies_every_key_type_and_hash() {
    let f = fixtures();
    let mut rng = Rng::from_env("oracle_cryptography");
    let mut cases = Vec::new();
    for key in f.keys() {
        for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
            for _ in 0..25 {
                let url = random_url(&mut rng, false);
                let policy = CustomPolicy::new(
                    Resource::parse(&url).expect("resource"),
                    random_expiry(&mut rng),
                    rng.chance(2).then_some(Epoch(NOW.0 - 5)),
                    rng.chance(2)
                        .then(|| Cidr::parse("198.51.100.0/24").expect("cidr")),
                    NOW,
                )
                .expect("policy");
                let signed = SignedPolicy::sign(policy, &key.signing, hash).expect("sign");
                let hash_name = match hash {
                    HashAlgorithm::Sha1 => "sha1",
                    HashAlgorithm::Sha256 => "sha256",
                };
                let case = |message: &str| {
                    json!({"message": message, "signature": signed.signature(),
                           "public_key_pem": key.public_pem, "hash": hash_name})
                };
                cases.push((true, case(signed.json())));
                // A negative control on every case, so an oracle that says yes to all fails here.
                cases.push((
                    false,
                    case(&signed.json().replacen("Statement", "statement", 1)),
                ));
            }
        }
    }
    let expected: Vec<bool> = cases.iter().map(|(v, _)| *v).collect();
    let results = python_oracle("verify", cases.into_iter().map(|(_, c)| c).collect());
    for (i, (want, got)) in expected.iter().zip(&results).enumerate() {
        assert_eq!(got["valid"], Value::Bool(*want), "case {i}: {got}");
    }
}

#[test]
fn oracle_aws_js_signer_agrees_on_signatures() {
    let f = fixtures();
    let mut rng = Rng::from_env("oracle_aws_js_signer");
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for i in 0..200 {
        // The JS signer re-encodes URLs before signing; normalised URLs are the ones it leaves
        // alone, so both sides sign the same bytes.
        let url = random_url(&mut rng, true);
        let expires = random_expiry(&mut rng);
        let key = if i % 2 == 0 { &f.rsa } else { &f.ec };
        let custom = i % 4 >= 2;
        if !custom {
            let policy = CannedPolicy::new(BaseUrl::parse(&url).expect("url"), expires, NOW)
                .expect("policy");
            ours.push(Some(
                sign_canned(&policy, &key.signing, HashAlgorithm::Sha1).expect("sign"),
            ));
        } else {
            ours.push(None);
        }
        cases.push(json!({
            "url": url, "key_pair_id": key.signing.id.as_str(), "private_key_pem": key.private_pem,
            "expires": expires.0,
            "policy": if custom { json!({"not_before": NOW.0 - 10, "ip": "203.0.113.0/24"}) } else { Value::Null },
        }));
    }
    let results = node_oracle("sdk_sign", cases);
    let client = Some("203.0.113.9".parse().expect("ip"));
    for (mine, theirs) in ours.iter().zip(&results) {
        let url = theirs["url"]
            .as_str()
            .unwrap_or_else(|| panic!("JS signer refused: {theirs}"));
        if let Some(mine) = mine {
            assert_eq!(
                url.split_once("Expires=").map(|s| s.0),
                mine.url.split_once("Expires=").map(|s| s.0)
            );
            assert_eq!(
                query_param(url, "Expires"),
                Some(mine.expires.to_string().as_str())
            );
            if mine.url.contains(&f.rsa.signing.id.to_string()) {
                // RSA is deterministic: AWS's JS signature equals ours byte for byte.
                assert_eq!(
                    query_param(url, "Signature"),
                    Some(mine.signature.as_str()),
                    "{url}"
                );
            }
        }
        // Whatever its parameter order, every URL the JS signer makes passes our verifier.
        let request = Request {
            url,
            cookies: &[],
            client_ip: client,
            now: NOW,
        };
        let grant = verify(&request, &f.trusted).unwrap_or_else(|e| panic!("{url}: {e}"));
        let tampered = url.replacen("://", "://x", 1);
        let request = Request {
            url: &tampered,
            ..request
        };
        let code = verify(&request, &f.trusted).map(|_| ()).unwrap_err().code();
        assert_eq!(
            code,
            if grant.policy == mediagate::cloudfront::PolicyKind::Canned {
                "bad_signature"
            } else {
                "resource_mismatch"
            }
        );
    }
}

#[test]
fn oracle_vectors_file_is_still_the_oracles_answer() {
    // tests/vectors/cloudfront-signer.json is what vectors.rs trusts without Python or Node:
    // ask both oracles again, so a stale or hand-edited vector fails here.
    let python = std::env::var("MEDIAGATE_ORACLE_PYTHON").unwrap_or_else(|_| {
        panic!("MEDIAGATE_ORACLE_PYTHON is not set: run the suite with ./scripts/test, which installs botocore")
    });
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/generate.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg("--check")
        .output()
        .expect("run tests/vectors/generate.py --check");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
