//! The `Range` header, read by the edge itself so S3 is only ever asked for one range in one
//! spelling: `bytes=a-b`, `bytes=a-` or `bytes=-n`, decimal, within what S3 can address. What
//! is not one range of bytes is ignored (the whole object, as RFC 9110 §14.2 allows and S3 does);
//! numbers past S3's reach and empty suffixes cannot be satisfied (416), and S3 never sees them.

/// The largest offset or length S3 can address: its API counts bytes in signed 64 bits.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

/// One range of bytes, normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// From `first` to `last` inclusive, or to the end.
    From {
        /// First byte.
        first: u64,
        /// Last byte, inclusive; `None` for the end.
        last: Option<u64>,
    },
    /// The last `n` bytes (`n` ≥ 1).
    Suffix(u64),
}

impl ByteRange {
    /// The header value to send S3.
    pub fn header_value(&self) -> String {
        match self {
            ByteRange::From {
                first,
                last: Some(last),
            } => format!("bytes={first}-{last}"),
            ByteRange::From { first, last: None } => format!("bytes={first}-"),
            ByteRange::Suffix(n) => format!("bytes=-{n}"),
        }
    }
}

/// What the viewer asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// No range, or none the edge honours: the whole object.
    Whole,
    /// One range.
    Range(ByteRange),
    /// A range that no object can satisfy: 416 without asking S3.
    Unsatisfiable,
}

/// A run of ASCII digits: `None` when it is not one, `Some(None)` when it is past S3's reach.
fn number(s: &str) -> Option<Option<u64>> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().ok().filter(|n| *n <= MAX_OFFSET))
}

/// Reads a `Range` header value (`None`: no header, or one that is not text).
pub fn parse(header: Option<&str>) -> Asked {
    let Some((unit, spec)) = header.and_then(|h| h.trim().split_once('=')) else {
        return Asked::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Asked::Whole;
    }
    let spec = spec.trim();
    if let Some(n) = spec.strip_prefix('-') {
        return match number(n) {
            None => Asked::Whole,
            Some(None | Some(0)) => Asked::Unsatisfiable,
            Some(Some(n)) => Asked::Range(ByteRange::Suffix(n)),
        };
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Asked::Whole;
    };
    let last = if last.is_empty() {
        Some(None)
    } else {
        match number(last) {
            None => return Asked::Whole,
            Some(n) => Some(Some(n)),
        }
    };
    match (number(first), last) {
        (None, _) | (_, None) => Asked::Whole,
        (Some(None), _) | (_, Some(Some(None))) => Asked::Unsatisfiable,
        (Some(Some(first)), Some(Some(Some(last)))) if first > last => Asked::Whole,
        (Some(Some(first)), Some(last)) => Asked::Range(ByteRange::From {
            first,
            last: last.flatten(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(header: &str) -> Option<String> {
        match parse(Some(header)) {
            Asked::Range(r) => Some(r.header_value()),
            Asked::Whole => Some("whole".into()),
            Asked::Unsatisfiable => None,
        }
    }

    #[test]
    fn one_range_is_normalised() {
        for (header, want) in [
            ("bytes=0-0", "bytes=0-0"),
            ("bytes=10-19", "bytes=10-19"),
            ("bytes=010-0019", "bytes=10-19"),
            ("bytes=5-", "bytes=5-"),
            ("bytes=-5", "bytes=-5"),
            ("bytes=-0005", "bytes=-5"),
            ("Bytes=1-2", "bytes=1-2"),
            (" bytes = 1-2 ", "bytes=1-2"),
            ("bytes=9223372036854775807-", "bytes=9223372036854775807-"),
            ("bytes=-9223372036854775807", "bytes=-9223372036854775807"),
        ] {
            assert_eq!(sent(header).as_deref(), Some(want), "{header}");
        }
    }

    #[test]
    fn anything_else_is_ignored_or_unsatisfiable() {
        for header in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=a-b",
            "bytes=0x1-",
            "bytes=+1-2",
            "bytes=1-2-3",
            "bytes=5-2",
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=1 -2",
            "bytes=\u{665}-",
            "bytes=--1",
        ] {
            assert_eq!(sent(header).as_deref(), Some("whole"), "{header:?}");
        }
        for header in [
            "bytes=-0",
            "bytes=-18446744073709551615",
            "bytes=-18446744073709551616",
            "bytes=-9223372036854775808",
            "bytes=9223372036854775808-",
            "bytes=0-9223372036854775808",
            "bytes=0-99999999999999999999999999",
        ] {
            assert_eq!(sent(header), None, "{header:?}");
        }
        assert_eq!(parse(None), Asked::Whole);
    }
}
