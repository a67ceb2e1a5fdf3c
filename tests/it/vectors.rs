//! mediagate's signer against AWS's recorded answers (tests/vectors/cloudfront-signer.json, made
//! by tests/vectors/generate.py from botocore and @aws-sdk/cloudfront-signer): byte-exactness
//! proven by plain `cargo test`, with no Python or Node.

use std::collections::BTreeMap;
use std::path::Path;

use mediagate::cloudfront::{
    BaseUrl, CannedPolicy, Cidr, CookieAttributes, CustomPolicy, Epoch, HashAlgorithm, KeyPairId,
    PrivateKey, Resource, SignedPolicy, SigningKey, canned_cookies, sign_canned,
};
use serde_json::Value;

fn vectors() -> (Value, SigningKey) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let text = std::fs::read_to_string(dir.join("cloudfront-signer.json")).expect("vector file");
    let doc: Value = serde_json::from_str(&text).expect("vector file is JSON");
    let key = &doc["key"];
    let pem = std::fs::read(dir.join(str_of(key, "private_key_pem"))).expect("test key");
    let signing = SigningKey {
        id: KeyPairId::parse(str_of(key, "key_pair_id")).expect("key-pair id"),
        key: PrivateKey::from_pem(&pem).expect("test key PEM"),
    };
    (doc, signing)
}

fn str_of<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not a string in {v}"))
}

fn epoch(v: &Value) -> Epoch {
    Epoch(v.as_u64().unwrap_or_else(|| panic!("{v} is not an epoch")))
}

/// What mediagate answers for a case, in the shape of its `expected`.
fn ours(input: &Value, key: &SigningKey, now: Epoch) -> Value {
    let url = str_of(input, "url");
    let Ok(base) = BaseUrl::parse(url) else {
        return serde_json::json!({"refused": true});
    };
    let hash = HashAlgorithm::from_parameter(str_of(input, "hash")).expect("hash");
    let expires = epoch(&input["expires"]);
    let cookies = str_of(input, "kind") == "cookies";
    let attributes = CookieAttributes::new(None, "/").expect("attributes");
    let policy = &input["policy"];
    let (signed, policy_json) = if policy.is_null() {
        let canned = CannedPolicy::new(base, expires, now).expect("canned policy");
        if cookies {
            let c = canned_cookies(&canned, key, hash, &attributes).expect("sign");
            return cookie_answer(c.pairs(), Value::Null);
        }
        let url = sign_canned(&canned, key, hash).expect("sign").url;
        (url, Value::Null)
    } else {
        let custom = CustomPolicy::new(
            Resource::parse(str_of(policy, "resource")).expect("resource"),
            expires,
            policy["not_before"].as_u64().map(Epoch),
            policy["ip"].as_str().map(|c| Cidr::parse(c).expect("cidr")),
            now,
        )
        .expect("custom policy");
        let signed = SignedPolicy::sign(custom, key, hash).expect("sign");
        let json = Value::String(signed.json().to_owned());
        if cookies {
            let c = signed.cookies(key, &attributes).expect("cookies");
            return cookie_answer(c.pairs(), json);
        }
        (signed.url_for(&base).expect("resource matches").url, json)
    };
    serde_json::json!({"url": signed, "policy": policy_json})
}

fn cookie_answer<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>, policy: Value) -> Value {
    let cookies: BTreeMap<&str, &str> = pairs.collect();
    serde_json::json!({"cookies": cookies, "policy": policy})
}

#[test]
fn vectors_signer_equals_aws_byte_for_byte() {
    let (doc, key) = vectors();
    let now = epoch(&doc["now"]);
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 20, "the vector file lost cases");
    for case in cases {
        let id = str_of(case, "id");
        // serde_json compares strings exactly, so one differing byte anywhere fails the case.
        assert_eq!(
            ours(&case["input"], &key, now),
            case["expected"],
            "case {id}: {}",
            str_of(case, "documents")
        );
    }
}
