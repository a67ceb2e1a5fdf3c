//! The edge's key parser on any request path: a key it accepts is one the server could have
//! made, names exactly the path that was signed, and has no segment that a file store or S3
//! would resolve to another object.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mediagate::access::{ObjectKey, key_to_url_path};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(key) = ObjectKey::from_url_path(raw) else {
        return;
    };
    // Exactly the signed spelling: nothing decodes to another key.
    assert_eq!(key_to_url_path(key.as_str()), raw);
    for segment in key.as_str().split('/') {
        assert!(!segment.is_empty() && segment != "." && segment != "..", "{raw:?}");
    }
    assert!(!key.as_str().contains(['\\', '\0']), "{raw:?}");
    assert!(ObjectKey::parse(key.as_str()).is_ok(), "{raw:?}");
});
