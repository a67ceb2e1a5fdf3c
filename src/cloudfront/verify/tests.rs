use super::*;
use crate::cloudfront::cookies::{CookieAttributes, canned_cookies};
use crate::cloudfront::keys::{KeyAlgorithm, KeyPairId, PrivateKey, SigningKey};
use crate::cloudfront::policy::{BaseUrl, CannedPolicy, CustomPolicy, Resource};
use crate::cloudfront::signed_url::{SignedPolicy, sign_canned};

const NOW: Epoch = Epoch(1_700_000_000);

fn setup() -> (SigningKey, TrustedKeys) {
    let key = SigningKey {
        id: KeyPairId::parse("KTEST").unwrap(),
        key: PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
    };
    let mut trusted = TrustedKeys::new();
    trusted.insert(key.id.clone(), key.key.public_key().unwrap());
    (key, trusted)
}

fn at<'a>(url: &'a str, now: u64) -> Request<'a> {
    Request {
        url,
        cookies: &[],
        client_ip: Some("192.0.2.10".parse().unwrap()),
        now: Epoch(now),
    }
}

fn canned(key: &SigningKey, url: &str, expires: u64) -> String {
    let policy = CannedPolicy::new(BaseUrl::parse(url).unwrap(), Epoch(expires), NOW).unwrap();
    sign_canned(&policy, key, HashAlgorithm::Sha1).unwrap().url
}

#[test]
fn canned_accept_and_expiry_boundary() {
    let (key, trusted) = setup();
    let url = canned(&key, "https://d.example/a.jpg?w=1", NOW.0 + 100);
    let grant = verify(&at(&url, NOW.0 + 99), &trusted).unwrap();
    assert_eq!(
        (grant.policy, grant.source, grant.expires),
        (PolicyKind::Canned, Source::Url, Epoch(NOW.0 + 100))
    );
    assert_eq!(
        verify(&at(&url, NOW.0 + 100), &trusted),
        Err(Rejection::Expired {
            expires: Epoch(NOW.0 + 100),
            seconds_ago: 0
        })
    );
    let err = verify(&at(&url, NOW.0 + 142), &trusted).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("expired 42 s ago (at {})", NOW.0 + 100)
    );
}

#[test]
fn reasons() {
    let (key, trusted) = setup();
    let url = canned(&key, "https://d.example/a.jpg", NOW.0 + 100);
    let code = |u: &str| {
        verify(&at(u, NOW.0), &trusted)
            .map(|_| ())
            .unwrap_err()
            .code()
    };
    assert_eq!(code("https://d.example/a.jpg"), "unsigned");
    assert_eq!(code(&url.replace("a.jpg", "b.jpg")), "bad_signature");
    assert_eq!(code(&url.replace("KTEST", "KOTHER")), "unknown_key_id");
    assert_eq!(code(&url.replace("Expires=", "Expires=1")), "bad_signature");
    assert_eq!(code(&url.replace("Expires=", "Expires=x")), "malformed");
    assert_eq!(
        code(&format!("{url}&Policy=abc")),
        "both_expires_and_policy"
    );
    assert_eq!(code(&format!("{url}&Expires=1")), "malformed");
    assert_eq!(code(&format!("{url}&Hash-Algorithm=MD5")), "malformed");
    assert_eq!(
        code(&format!("{url}&Hash-Algorithm=SHA256")),
        "bad_signature"
    );
    assert_eq!(
        code(&url.replace("Signature=", "Signature=%7E")),
        "malformed"
    );
    assert_eq!(code(&url.replace("&Key-Pair-Id=KTEST", "")), "malformed");
    assert_eq!(code(&url.replace("&Signature=", "&X=")), "malformed");
    assert_eq!(code(&format!("{url}&extra=1")), "bad_signature");
    // A fragment is never sent, so it changes nothing.
    assert!(verify(&at(&format!("{url}#top"), NOW.0), &trusted).is_ok());
}

#[test]
fn custom_policy_conditions() {
    let (key, trusted) = setup();
    let policy = CustomPolicy::new(
        Resource::parse("https://d.example/u1/*").unwrap(),
        Epoch(NOW.0 + 100),
        Some(Epoch(NOW.0 + 10)),
        Some(Cidr::parse("192.0.2.0/28").unwrap()),
        NOW,
    )
    .unwrap();
    let signed = SignedPolicy::sign(policy, &key, HashAlgorithm::Sha256).unwrap();
    let url = signed
        .url_for(&BaseUrl::parse("https://d.example/u1/x.jpg").unwrap())
        .unwrap()
        .url;
    assert!(verify(&at(&url, NOW.0 + 11), &trusted).is_ok());
    assert_eq!(
        verify(&at(&url, NOW.0 + 10), &trusted),
        Err(Rejection::NotYetValid {
            not_before: Epoch(NOW.0 + 10),
            starts_in: 1
        })
    );
    let mut far = at(&url, NOW.0 + 11);
    far.client_ip = Some("192.0.2.16".parse().unwrap());
    assert_eq!(verify(&far, &trusted).unwrap_err().code(), "ip_not_allowed");
    far.client_ip = None;
    assert_eq!(
        verify(&far, &trusted).unwrap_err().to_string(),
        "IP not allowed: the policy allows 192.0.2.0/28, the request came from an unknown address"
    );
    let moved = url.replace("/u1/x.jpg", "/u2/x.jpg");
    assert_eq!(
        verify(&at(&moved, NOW.0 + 11), &trusted),
        Err(Rejection::ResourceMismatch {
            resource: "https://d.example/u1/*".into(),
            url: "https://d.example/u2/x.jpg".into()
        })
    );
}

#[test]
fn cookies_and_url_precedence() {
    let (key, trusted) = setup();
    let policy = CannedPolicy::new(
        BaseUrl::parse("https://d.example/a.jpg").unwrap(),
        Epoch(NOW.0 + 100),
        NOW,
    )
    .unwrap();
    let cookies = canned_cookies(
        &policy,
        &key,
        HashAlgorithm::Sha1,
        &CookieAttributes::new(None, "/").unwrap(),
    )
    .unwrap();
    let pairs: Vec<(&str, &str)> = cookies.pairs().collect();
    let request = Request {
        url: "https://d.example/a.jpg",
        cookies: &pairs,
        client_ip: None,
        now: NOW,
    };
    assert_eq!(verify(&request, &trusted).unwrap().source, Source::Cookies);
    // Canned cookies are for one URL.
    let other = Request {
        url: "https://d.example/b.jpg",
        ..request
    };
    assert_eq!(
        verify(&other, &trusted).unwrap_err().code(),
        "bad_signature"
    );
    // A (broken) signed URL wins over valid cookies.
    let with_url = Request {
        url: "https://d.example/a.jpg?Expires=1&Signature=AA__&Key-Pair-Id=KTEST",
        ..request
    };
    assert_eq!(
        verify(&with_url, &trusted).unwrap_err().code(),
        "bad_signature"
    );
    let mut doubled = pairs.clone();
    doubled.push(pairs[1]);
    let request = Request {
        cookies: &doubled,
        ..request
    };
    assert_eq!(verify(&request, &trusted).unwrap_err().code(), "malformed");
}

#[test]
fn malformed_policies_say_what_is_wrong() {
    let (key, trusted) = setup();
    let sign = |json: &str| {
        let sig = base64::encode(&key.key.sign(HashAlgorithm::Sha1, json.as_bytes()).unwrap());
        format!(
            "https://d.example/a?Policy={}&Signature={sig}&Key-Pair-Id=KTEST",
            base64::encode(json.as_bytes())
        )
    };
    let why = |json: &str| {
        verify(&at(&sign(json), NOW.0), &trusted)
            .unwrap_err()
            .to_string()
    };
    assert!(why("nope").contains("is not JSON"));
    assert!(why(r#"{"Statement":[]}"#).contains("exactly one statement"));
    assert!(why(r#"{"Statement":[{"Resource":"*"}]}"#).contains("no Condition"));
    assert!(
        why(r#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"1"}}}]}"#)
            .contains("whole seconds")
    );
    assert!(
        why(r#"{"Statement":[{"Condition":{"DateGreaterThan":{"AWS:EpochTime":1}}}]}"#)
            .contains("must expire")
    );
    assert!(
        why(r#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},"Referer":{}}}]}"#)
            .contains("unknown condition")
    );
    assert!(why(r#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":9999999999},"IpAddress":{"AWS:SourceIp":"::1"}}}]}"#).contains("IPv4"));
    // Whitespace, as in AWS's own examples, and no Resource (any URL) are fine.
    let ok = sign(
        "{ \"Statement\": [ { \"Condition\": { \"DateLessThan\": { \"AWS:EpochTime\": 9999999999 } } } ] }\n",
    );
    assert!(verify(&at(&ok, NOW.0), &trusted).is_ok());
}
