//! The file-name sanitiser on any client string: what comes out is one safe path segment, and
//! sanitising it again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mediagate::upload::{MAX_FILENAME_BYTES, sanitise_filename};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(name) = sanitise_filename(raw) else {
        return;
    };
    assert!(!name.is_empty() && name.len() <= MAX_FILENAME_BYTES, "{name:?}");
    assert!(!name.starts_with('.'), "{name:?}");
    assert!(name != "." && name != "..", "{name:?}");
    assert!(
        !name.chars().any(|c| c.is_control() || matches!(c, '/' | '\\' | '%')),
        "{name:?}"
    );
    assert_eq!(sanitise_filename(&name).ok().as_deref(), Some(name.as_str()), "not stable: {raw:?}");
});
