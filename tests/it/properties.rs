//! Properties of the signing core: sign → verify round-trips for every key type, hash and
//! policy form, and every kind of tampering fails with its own reason.

use std::net::Ipv4Addr;

use mediagate::cloudfront::{
    BaseUrl, CannedPolicy, Cidr, CookieAttributes, CustomPolicy, Epoch, HashAlgorithm, PolicyKind,
    Request, Resource, SignedPolicy, Source, base64, canned_cookies, sign_canned, verify,
};
use proptest::prelude::*;

use crate::support::{KeyFixture, fixtures};

const NOW: Epoch = Epoch(1_763_000_000);

fn url_strategy() -> impl Strategy<Value = String> {
    let segment = "([A-Za-z0-9._~-]|%[0-9A-F]{2}){1,20}";
    (
        prop::sample::select(vec![
            "https://d111111abcdef8.cloudfront.net",
            "http://media.example.com:8080",
        ]),
        prop::collection::vec(segment, 1..6),
        prop::option::of(prop::collection::vec(
            ("[a-z]{1,6}", "([A-Za-z0-9+]|%[0-9A-F]{2}){0,10}"),
            1..4,
        )),
    )
        .prop_map(|(origin, segments, query)| {
            let mut url = format!("{origin}/{}", segments.join("/"));
            if let Some(q) = query {
                url.push('?');
                url.push_str(
                    &q.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join("&"),
                );
            }
            url
        })
}

fn key(rsa: bool) -> &'static KeyFixture {
    if rsa { &fixtures().rsa } else { &fixtures().ec }
}

fn hash(sha256: bool) -> HashAlgorithm {
    if sha256 {
        HashAlgorithm::Sha256
    } else {
        HashAlgorithm::Sha1
    }
}

fn request(url: &str, now: Epoch) -> Request<'_> {
    Request {
        url,
        cookies: &[],
        client_ip: Some(Ipv4Addr::new(192, 0, 2, 44)),
        now,
    }
}

fn code(request: &Request<'_>) -> &'static str {
    match verify(request, &fixtures().trusted) {
        Ok(_) => "accepted",
        Err(e) => e.code(),
    }
}

/// Changes one character of `s[range]` to another of the same class, so the result stays
/// well-formed and only the signed content differs.
fn mutate(s: &str, at: usize) -> String {
    let bytes = s.as_bytes();
    let i = at % bytes.len();
    let c = bytes[i];
    let replacement = match c {
        b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => c + 1,
        b'9' => b'0',
        b'z' => b'a',
        b'Z' => b'A',
        _ => return format!("{}x{}", &s[..i], &s[i..]),
    };
    let mut out = bytes.to_vec();
    out[i] = replacement;
    String::from_utf8(out).expect("ascii")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn canned_round_trip_and_tampering(url in url_strategy(), ttl in 1u64..10_000_000, rsa: bool, sha256: bool, at: usize) {
        let k = key(rsa);
        let expires = Epoch(NOW.0 + ttl);
        let policy = CannedPolicy::new(BaseUrl::parse(&url).unwrap(), expires, NOW).unwrap();
        let signed = sign_canned(&policy, &k.signing, hash(sha256)).unwrap();
        let grant = verify(&request(&signed.url, NOW), &fixtures().trusted).unwrap();
        prop_assert_eq!(grant.policy, PolicyKind::Canned);
        prop_assert_eq!(grant.expires, expires);
        prop_assert_eq!(code(&request(&signed.url, expires)), "expired");

        // Any change to the URL itself: the rebuilt canned policy no longer matches the signature.
        let path_end = url.find('?').unwrap_or(url.len());
        let origin_len = url[8..].find('/').unwrap() + 9;
        let tampered_url = format!("{}{}", mutate(&url[..path_end], origin_len + at % (path_end - origin_len)), &signed.url[path_end..]);
        prop_assert_eq!(code(&request(&tampered_url, NOW)), "bad_signature");
        // Expires moved.
        let later = signed.url.replace(&format!("Expires={}", expires), &format!("Expires={}", expires.0 + 1));
        prop_assert_eq!(code(&request(&later, NOW)), "bad_signature");
        // The signature's bytes changed.
        let mut raw = base64::decode(&signed.signature).unwrap();
        let n = raw.len();
        raw[at % n] ^= 1 << (at % 8);
        let forged = signed.url.replace(&signed.signature, &base64::encode(&raw));
        prop_assert_eq!(code(&request(&forged, NOW)), "bad_signature");
        // The key id changed: to one nobody trusts, or to the other trusted key.
        let id = k.signing.id.as_str();
        prop_assert_eq!(code(&request(&signed.url.replace(id, "KNOBODY"), NOW)), "unknown_key_id");
        let other = key(!rsa).signing.id.as_str();
        prop_assert_eq!(code(&request(&signed.url.replace(id, other), NOW)), "bad_signature");
        // The hash announced differently.
        let rehashed = if sha256 { signed.url.replace("&Hash-Algorithm=SHA256", "") } else { format!("{}&Hash-Algorithm=SHA256", signed.url) };
        prop_assert_eq!(code(&request(&rehashed, NOW)), "bad_signature");
    }

    #[test]
    fn custom_round_trip_and_tampering(
        url in url_strategy(), ttl in 2u64..10_000_000, rsa: bool, sha256: bool, at: usize,
        wildcard: bool, start in prop::option::of(1u64..1000), prefix in prop::option::of(8u8..=32),
    ) {
        let k = key(rsa);
        let expires = Epoch(NOW.0 + ttl);
        let resource = if wildcard { format!("{}*", &url[..url.rfind('/').unwrap() + 1]) } else { url.clone() };
        let not_before = start.map(|s| Epoch(NOW.0 - s));
        let cidr = prefix.map(|p| Cidr::parse_lenient(&format!("192.0.2.44/{p}")).unwrap());
        let cidr = cidr.map(|c| Cidr::parse(&c.to_string()).unwrap_or_else(|_| Cidr::parse("192.0.2.44").unwrap()));
        let policy = CustomPolicy::new(Resource::parse(&resource).unwrap(), expires, not_before, cidr, NOW).unwrap();
        let signed = SignedPolicy::sign(policy, &k.signing, hash(sha256)).unwrap();
        let signed_url = signed.url_for(&BaseUrl::parse(&url).unwrap()).unwrap();
        let grant = verify(&request(&signed_url.url, NOW), &fixtures().trusted).unwrap();
        prop_assert_eq!(grant.policy, PolicyKind::Custom);
        prop_assert_eq!(code(&request(&signed_url.url, expires)), "expired");
        if let Some(nb) = not_before {
            prop_assert_eq!(code(&request(&signed_url.url, nb)), "not_yet_valid");
        }
        if cidr.is_some() {
            let mut elsewhere = request(&signed_url.url, NOW);
            elsewhere.client_ip = Some(Ipv4Addr::new(198, 51, 100, 1));
            prop_assert_eq!(code(&elsewhere), "ip_not_allowed");
        }
        // Another host: outside the resource, whatever the wildcard.
        let moved = signed_url.url.replacen("://", "://evil.", 1);
        prop_assert_eq!(code(&request(&moved, NOW)), "resource_mismatch");
        // The policy's bytes changed (one letter or digit of its base64).
        let p = signed.encoded_policy();
        let tampered = signed_url.url.replace(p, &mutate(p, at));
        let c = code(&request(&tampered, NOW));
        prop_assert!(c == "bad_signature" || c == "malformed", "policy tampering gave {}", c);
        // Both forms at once.
        let both = format!("{}&Expires={}", signed_url.url, expires);
        prop_assert_eq!(code(&request(&both, NOW)), "both_expires_and_policy");
    }

    #[test]
    fn cookie_round_trip(url in url_strategy(), ttl in 2u64..100_000, rsa: bool, sha256: bool, wildcard: bool) {
        let k = key(rsa);
        let expires = Epoch(NOW.0 + ttl);
        let attrs = CookieAttributes::new(Some("example.com"), "/").unwrap();
        let cookies = if wildcard {
            let resource = format!("{}*", &url[..url[8..].find('/').unwrap() + 9]);
            let policy = CustomPolicy::new(Resource::parse(&resource).unwrap(), expires, None, None, NOW).unwrap();
            SignedPolicy::sign(policy, &k.signing, hash(sha256)).unwrap().cookies(&k.signing, &attrs).unwrap()
        } else {
            let policy = CannedPolicy::new(BaseUrl::parse(&url).unwrap(), expires, NOW).unwrap();
            canned_cookies(&policy, &k.signing, hash(sha256), &attrs).unwrap()
        };
        let pairs: Vec<(&str, &str)> = cookies.pairs().collect();
        let req = Request { url: &url, cookies: &pairs, client_ip: None, now: NOW };
        let grant = verify(&req, &fixtures().trusted).unwrap();
        prop_assert_eq!(grant.source, Source::Cookies);
        prop_assert_eq!(code(&Request { now: expires, ..req }), "expired");
        let unsigned: Vec<(&str, &str)> = pairs.iter().copied().filter(|(n, _)| *n != "CloudFront-Signature").collect();
        prop_assert_eq!(code(&Request { cookies: &unsigned, ..req }), "malformed");
    }
}
