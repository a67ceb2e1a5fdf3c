//! The policy decoder behind a valid signature: any bytes, signed with the trusted key, sent as
//! a custom policy. The verifier reads every condition only after the signature checks out, so
//! this is the one way to reach its JSON reader with arbitrary input. It must not panic, and a
//! grant must cover the URL that was asked for.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mediagate::cloudfront::base64;
use mediagate::cloudfront::{
    Epoch, HashAlgorithm, KeyAlgorithm, KeyPairId, PrivateKey, Request, TrustedKeys, verify,
};

struct Key {
    private: PrivateKey,
    trusted: TrustedKeys,
}

static KEY: LazyLock<Key> = LazyLock::new(|| {
    let private = PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("key");
    let mut trusted = TrustedKeys::new();
    trusted.insert(
        KeyPairId::parse("KFUZZ").expect("id"),
        private.public_key().expect("public"),
    );
    Key { private, trusted }
});

const URL: &str = "https://d111111abcdef8.cloudfront.net/alice/img/photo.jpg";

fuzz_target!(|policy: &[u8]| {
    let key = &*KEY;
    let Ok(signature) = key.private.sign(HashAlgorithm::Sha1, policy) else {
        return;
    };
    let url = format!(
        "{URL}?Policy={}&Signature={}&Key-Pair-Id=KFUZZ",
        base64::encode(policy),
        base64::encode(&signature)
    );
    for client_ip in [None, Some(std::net::Ipv4Addr::new(203, 0, 113, 7))] {
        let request = Request {
            url: &url,
            cookies: &[],
            client_ip,
            now: Epoch(1_800_000_000),
        };
        if let Ok(grant) = verify(&request, &key.trusted) {
            assert!(grant.expires > request.now, "granted an expired policy");
        }
    }
});
