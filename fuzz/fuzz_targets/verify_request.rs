//! The verifier on whatever a viewer can send: any URL, any cookies. It must answer (grant or
//! explain), never panic, and grant nothing without a signature from the trusted key.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mediagate::cloudfront::{
    Epoch, KeyAlgorithm, KeyPairId, PrivateKey, Request, TrustedKeys, verify,
};

static TRUSTED: LazyLock<TrustedKeys> = LazyLock::new(|| {
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("key");
    let mut trusted = TrustedKeys::new();
    trusted.insert(
        KeyPairId::parse("KFUZZ").expect("id"),
        key.public_key().expect("public"),
    );
    trusted
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // "<url>\n<cookie header>"
    let (url, cookie_header) = text.split_once('\n').unwrap_or((text, ""));
    let cookies: Vec<(&str, &str)> = cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .collect();
    let request = Request {
        url,
        cookies: &cookies,
        client_ip: Some(std::net::Ipv4Addr::new(203, 0, 113, 7)),
        now: Epoch(1_800_000_000),
    };
    // Nobody but this process holds the private half: a grant here is a forgery.
    assert!(
        verify(&request, &TRUSTED).is_err(),
        "granted without a signature: {url:?}"
    );
});
