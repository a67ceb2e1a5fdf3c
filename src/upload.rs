//! What `createUpload` accepts: content types, sizes, checksums and file names. Pure rules, so
//! every refusal is a unit test away. How often a user may upload is counted in the store
//! (`Store::insert_pending_image`), where every replica sees the same count.

use unicode_normalization::UnicodeNormalization as _;

use crate::config::UploadConfig;
use crate::error::Error;

/// Longest sanitised file name, in bytes (the key adds two ids and two slashes).
pub const MAX_FILENAME_BYTES: usize = 120;

/// A `createUpload` request that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUpload {
    /// The sanitised file name (last part of the object key).
    pub filename: String,
    /// The content type, lower-cased, from the allowlist.
    pub content_type: String,
    /// Size in bytes, 1..=max.
    pub size: i64,
    /// The declared SHA-256: required, because the presigned PUT signs it, and that is what
    /// keeps the URL from taking other bytes for the rest of its life (after completeUpload too).
    pub sha256: [u8; 32],
}

impl CheckedUpload {
    /// The declared SHA-256 as lower-case hex (how the store keeps it).
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// What a client without a `sha256` is told.
pub const SHA256_REQUIRED: &str = "sha256 is required: send the SHA-256 of the exact bytes \
    you will upload, as 64 hex digits (`sha256sum FILE`; in a browser \
    `crypto.subtle.digest('SHA-256', bytes)`) or as S3's 44-character base64; the upload URL then \
    accepts those bytes and no others";

/// The upload rules from configuration.
#[derive(Debug, Clone)]
pub struct UploadRules {
    allowed: Vec<String>,
    max_bytes: u64,
}

impl UploadRules {
    /// Rules from the `[uploads]` settings.
    pub fn new(config: &UploadConfig) -> UploadRules {
        UploadRules {
            allowed: config
                .allowed_content_types
                .iter()
                .map(|t| t.to_ascii_lowercase())
                .collect(),
            max_bytes: config.max_bytes,
        }
    }

    /// Checks one request; the error says what to change.
    pub fn check(
        &self,
        filename: &str,
        content_type: &str,
        size: i32,
        sha256: Option<&str>,
    ) -> Result<CheckedUpload, Error> {
        let content_type = content_type.trim().to_ascii_lowercase();
        if !self.allowed.contains(&content_type) {
            return Err(Error::bad_input(format!(
                "content type {content_type:?} is not accepted; use one of {}",
                self.allowed.join(", ")
            )));
        }
        if size <= 0 {
            return Err(Error::bad_input(format!(
                "size must be at least 1 byte (got {size}); empty files are not images"
            )));
        }
        if u64::try_from(size).is_ok_and(|s| s > self.max_bytes) {
            return Err(Error::bad_input(format!(
                "size {size} is over the limit of {} bytes",
                self.max_bytes
            )));
        }
        let filename = sanitise_filename(filename)?;
        let sha256 = parse_sha256(sha256.ok_or_else(|| Error::bad_input(SHA256_REQUIRED))?)?;
        Ok(CheckedUpload {
            filename,
            content_type,
            size: i64::from(size),
            sha256,
        })
    }
}

/// A SHA-256 given as 64 hex digits or as the 44-character standard base64 S3 uses.
pub fn parse_sha256(s: &str) -> Result<[u8; 32], Error> {
    use base64::Engine as _;
    let bytes = if s.len() == 64 {
        hex::decode(s).ok()
    } else {
        base64::engine::general_purpose::STANDARD.decode(s).ok()
    };
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            Error::bad_input("sha256 must be 64 hex digits or 44 characters of base64 (32 bytes)")
        })
}

/// The last part of the object key, made from a client's file name: Unicode NFC, no path (only
/// the part after the last `/` or `\`), no control or invisible characters, no leading dots, runs
/// of anything outside letters, digits, `.`, `-` and `_` turned into one `_`, at most
/// [`MAX_FILENAME_BYTES`] with the extension kept. A name with nothing left is refused.
pub fn sanitise_filename(raw: &str) -> Result<String, Error> {
    let normalised: String = raw.nfc().collect();
    let base = normalised.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut out = String::with_capacity(base.len());
    for c in base.chars() {
        let keep = c.is_alphanumeric() || matches!(c, '.' | '-' | '_');
        if keep {
            out.push(c);
        } else if !out.ends_with('_') && !c.is_control() {
            out.push('_');
        }
    }
    let trimmed = out
        .trim_start_matches(['.', '_'])
        .trim_end_matches(['.', '_']);
    if trimmed.is_empty() || !trimmed.chars().any(char::is_alphanumeric) {
        return Err(no_usable_characters(raw));
    }
    // NFC again: dropping control characters can bring combining marks together in an order
    // that is not canonical, and then the name would change on a second pass (found by
    // `scripts/fuzz`). The cut can split a composed sequence or end in `_` or `.`, so the name is
    // composed and trimmed once more after it, and must still have a letter or digit.
    let composed: String = trimmed.nfc().collect();
    let capped: String = cap_keeping_extension(&composed, MAX_FILENAME_BYTES)
        .nfc()
        .collect();
    let capped = capped.trim_end_matches(['.', '_']);
    if !capped.chars().any(char::is_alphanumeric) {
        return Err(no_usable_characters(raw));
    }
    Ok(capped.to_owned())
}

fn no_usable_characters(raw: &str) -> Error {
    Error::bad_input(format!(
        "file name {raw:?} has no usable characters; send a name such as photo.jpg"
    ))
}

fn cap_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        // An "extension" longer than 16 bytes is part of the name.
        Some(i) if i > 0 && name.len() - i <= 16 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut cut = max - ext.len();
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ext}", &stem[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn rules() -> UploadRules {
        UploadRules::new(&UploadConfig::default())
    }

    /// Found by `scripts/fuzz filename`: a control character between two combining marks.
    #[test]
    fn file_names_are_the_same_after_a_second_pass() {
        let raw = "\u{7}\u{6e4}\0\u{6ed}x.png";
        let once = sanitise_filename(raw).unwrap();
        assert_eq!(once, "\u{6ed}\u{6e4}x.png");
        assert_eq!(sanitise_filename(&once).unwrap(), once);
        // A cut that ends in `_` (also found by the fuzzer), and one that leaves no letter.
        let raw = format!(")-@{}--@S1", "4".repeat(115));
        let once = sanitise_filename(&raw).unwrap();
        assert!(
            !once.ends_with('_') && once.len() <= MAX_FILENAME_BYTES,
            "{once}"
        );
        assert_eq!(sanitise_filename(&once).unwrap(), once);
        assert!(sanitise_filename(&format!("-{}a", "-".repeat(200))).is_err());
    }

    #[test]
    fn file_names_lose_paths_controls_and_dots() {
        let cases = [
            ("../../etc/passwd", "passwd"),
            ("..\\..\\boot.ini", "boot.ini"),
            ("photo.jpg", "photo.jpg"),
            ("My Holiday (1).JPG", "My_Holiday_1_.JPG"),
            (".hidden.png", "hidden.png"),
            ("a\u{0}b\u{7}c.png", "abc.png"),
            ("e\u{301}te\u{301}.jpg", "\u{e9}t\u{e9}.jpg"),
            ("写真.webp", "写真.webp"),
            ("new\nline.gif", "newline.gif"),
            ("a%2F..%2Fb.png", "a_2F.._2Fb.png"),
        ];
        for (raw, want) in cases {
            assert_eq!(sanitise_filename(raw).unwrap(), want, "{raw:?}");
        }
    }

    #[test]
    fn file_names_with_nothing_usable_are_refused() {
        for raw in [
            "",
            "..",
            "../..",
            "/",
            "...",
            "\u{0}\u{1}",
            "___",
            "...png/",
        ] {
            let err = sanitise_filename(raw).unwrap_err();
            assert_eq!(err.code(), Code::BadUserInput, "{raw:?}");
            assert!(err.message().contains("no usable characters"), "{raw:?}");
        }
    }

    #[test]
    fn long_names_are_capped_with_the_extension_kept() {
        let long = format!("{}.jpeg", "x".repeat(500));
        let got = sanitise_filename(&long).unwrap();
        assert_eq!(got.len(), MAX_FILENAME_BYTES);
        assert!(got.ends_with("x.jpeg"));
        // Multi-byte characters are never cut in half.
        let wide = format!("{}.png", "é".repeat(200));
        let got = sanitise_filename(&wide).unwrap();
        assert!(got.len() <= MAX_FILENAME_BYTES && got.ends_with(".png"));
    }

    #[test]
    fn content_type_size_and_checksum_are_checked() {
        let r = rules();
        let hex = "ab".repeat(32);
        let ok = r.check("a.png", "Image/PNG", 10, Some(&hex)).unwrap();
        assert_eq!(ok.content_type, "image/png");
        assert_eq!(ok.size, 10);
        for (ct, size, sum, says) in [
            ("text/html", 10, Some(hex.as_str()), "not accepted"),
            ("image/png", 0, Some(&hex), "at least 1 byte"),
            ("image/png", -5, Some(&hex), "at least 1 byte"),
            (
                "image/png",
                25 * 1024 * 1024 + 1,
                Some(&hex),
                "over the limit",
            ),
            ("image/png", 10, Some("abc"), "64 hex digits"),
            ("image/png", 10, Some(&*"g".repeat(64)), "64 hex digits"),
            ("image/png", 10, None, "sha256 is required"),
            ("image/png", 10, None, "sha256sum"),
        ] {
            let err = r.check("a.png", ct, size, sum).unwrap_err();
            assert_eq!(err.code(), Code::BadUserInput);
            assert!(
                err.message().contains(says),
                "{ct} {size}: {}",
                err.message()
            );
        }
        let sum = r.check("a.png", "image/png", 1, Some(&hex)).unwrap().sha256;
        assert_eq!(sum, [0xab; 32]);
        let b64 = crate::s3::standard_base64(&[0xab; 32]);
        assert_eq!(parse_sha256(&b64).unwrap(), [0xab; 32]);
    }
}
