//! Object keys, parsed once: the edge serves, and the embedded S3 stores, only keys that are
//! plain `a/b/c` paths, so no spelling can name one object to the signature check and another to
//! the store. A `..` that the store resolves, a `%2F` that a proxy decodes, a lower-case escape
//! that a cache folds: each is a second name for some key, and a second name is how a grant for
//! `carol/*` reaches `bob/…`. The cure is to allow exactly one name per key: the one
//! [`key_to_url_path`] spells.

use super::key_to_url_path;

/// S3's limit on a key, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

/// A key that is a plain path: non-empty segments separated by `/`, none of them `.` or `..`,
/// no backslash, no control character, at most [`MAX_KEY_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

/// Why a key or a URL path is refused; the message is for the person who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Nothing at all.
    #[error("the object key is empty")]
    Empty,
    /// Longer than S3 allows.
    #[error("the object key is longer than {MAX_KEY_BYTES} bytes")]
    TooLong,
    /// `//`, or a leading or trailing `/`.
    #[error("the object key has an empty segment (a leading, trailing or doubled '/')")]
    EmptySegment,
    /// A `.` or `..` segment, which a file store or a proxy would resolve.
    #[error("the object key has a '.' or '..' segment")]
    DotSegment,
    /// `\`, a separator to some stores and proxies.
    #[error("the object key has a backslash")]
    Backslash,
    /// A control character (C0, DEL or C1).
    #[error("the object key has a control character")]
    Control,
    /// `%2F` or `%5C` in a URL path: a separator hidden from whoever checks the raw path.
    #[error("the path has an encoded '/' or '\\' (%2F, %5C)")]
    EncodedSeparator,
    /// Percent-escapes that decode to bytes that are not UTF-8.
    #[error("the path does not decode to UTF-8")]
    NotUtf8,
    /// Decodes to a plain key, but not spelled as the server spells it (an escape where none is
    /// needed, lower-case hex, a raw character that must be escaped).
    #[error(
        "the path is not the canonical spelling of its key (escape only what must be, upper-case hex)"
    )]
    NotCanonical,
}

impl ObjectKey {
    /// Checks a key as S3 receives it (already percent-decoded).
    pub fn parse(key: &str) -> Result<ObjectKey, KeyError> {
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(KeyError::TooLong);
        }
        if key.chars().any(char::is_control) {
            return Err(KeyError::Control);
        }
        if key.contains('\\') {
            return Err(KeyError::Backslash);
        }
        for segment in key.split('/') {
            match segment {
                "" => return Err(KeyError::EmptySegment),
                "." | ".." => return Err(KeyError::DotSegment),
                _ => {}
            }
        }
        Ok(ObjectKey(key.to_owned()))
    }

    /// The key a URL path names (the part after the edge's prefix, exactly as received): it must
    /// decode to a plain key whose canonical spelling is byte for byte this path, so the URL the
    /// signature covered and the object served are one and the same.
    pub fn from_url_path(raw: &str) -> Result<ObjectKey, KeyError> {
        let lower = raw.to_ascii_lowercase();
        if lower.contains("%2f") || lower.contains("%5c") {
            return Err(KeyError::EncodedSeparator);
        }
        let decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| KeyError::NotUtf8)?;
        let key = ObjectKey::parse(&decoded)?;
        if key.url_path() != raw {
            return Err(KeyError::NotCanonical);
        }
        Ok(key)
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its one URL path spelling.
    pub fn url_path(&self) -> String {
        key_to_url_path(&self.0)
    }

    /// The last segment (the sanitised file name, for keys the service made).
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys_parse_and_round_trip() {
        for key in [
            "u1/i1/photo.jpg",
            "u1/i-1/a b.jpg",
            "u1/i_1/caf\u{e9}~.jpg",
            "u1/x/100%+#?.png",
            "u1/x/..png",
            "u1/x/a..b",
            "u1/.../x",
            "写真/x.webp",
        ] {
            let parsed = ObjectKey::parse(key).unwrap();
            assert_eq!(parsed.as_str(), key);
            assert_eq!(ObjectKey::from_url_path(&parsed.url_path()), Ok(parsed));
        }
        assert_eq!(ObjectKey::parse("a/b/c.png").unwrap().file_name(), "c.png");
    }

    #[test]
    fn keys_that_are_not_plain_paths_are_refused() {
        use KeyError::*;
        let long = "a".repeat(MAX_KEY_BYTES + 1);
        for (key, why) in [
            ("", Empty),
            (long.as_str(), TooLong),
            ("a//b", EmptySegment),
            ("/a/b", EmptySegment),
            ("a/b/", EmptySegment),
            ("a/../b", DotSegment),
            ("a/./b", DotSegment),
            ("..", DotSegment),
            ("a/..", DotSegment),
            ("a\\..\\b", Backslash),
            ("a/\u{0}/b", Control),
            ("a/\n", Control),
            ("a/\u{7f}", Control),
            ("a/\u{85}", Control),
        ] {
            assert_eq!(ObjectKey::parse(key), Err(why), "{key:?}");
        }
        assert_eq!(
            ObjectKey::parse(&"a".repeat(MAX_KEY_BYTES)).map(|_| ()),
            Ok(())
        );
    }

    #[test]
    fn url_paths_name_exactly_one_key() {
        use KeyError::*;
        for (raw, why) in [
            ("carol/%2e%2e/bob/x.png", DotSegment),
            ("carol/%2E%2E/bob/x.png", DotSegment),
            ("carol/.%2e/bob/x.png", DotSegment),
            ("carol/../bob/x.png", DotSegment),
            ("carol/./x.png", DotSegment),
            ("carol/..%2fbob/x.png", EncodedSeparator),
            ("carol%2F..%2Fbob/x.png", EncodedSeparator),
            ("carol/..%5cbob/x.png", EncodedSeparator),
            ("carol/..\\bob/x.png", Backslash),
            ("carol//x.png", EmptySegment),
            ("carol/x/", EmptySegment),
            ("carol/%00/x.png", Control),
            ("carol/%0a/x.png", Control),
            ("carol/%ff/x.png", NotUtf8),
            ("carol/%61.png", NotCanonical),
            ("carol/caf%c3%a9.png", NotCanonical),
            ("carol/a b.png", NotCanonical),
            ("carol/100%.png", NotCanonical),
            ("carol/%zz.png", NotCanonical),
            ("carol/%2.png", NotCanonical),
        ] {
            assert_eq!(ObjectKey::from_url_path(raw), Err(why), "{raw:?}");
        }
        assert_eq!(
            ObjectKey::from_url_path("carol/caf%C3%A9%20x.png").map(|k| k.0),
            Ok("carol/caf\u{e9} x.png".to_owned())
        );
    }
}
