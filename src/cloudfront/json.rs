//! JSON string escaping exactly as Python's `json.dumps` does it (`ensure_ascii=True`).
//!
//! botocore builds custom policies with `json.dumps`; escaping the same way keeps our policy
//! bytes, and so our RSA signatures, identical to AWS's for any resource string.

/// Appends `s` to `out` as a quoted JSON string.
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push_str(s);
    } else {
        for ch in s.chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e && c != '\u{7f}' => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        push_u_escape(out, *unit);
                    }
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

fn push_u_escape(out: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xf)] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = String::new();
        push_string(&mut out, s);
        out
    }

    #[test]
    fn plain_ascii_passes_through() {
        assert_eq!(
            quoted("https://d.example/a b?x=1&y=~"),
            "\"https://d.example/a b?x=1&y=~\""
        );
    }

    #[test]
    fn escapes_like_python_ensure_ascii() {
        // Expected values are what CPython 3.11 prints for json.dumps(s).
        assert_eq!(quoted("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quoted("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(quoted("\u{1}\u{1f}\u{7f}"), "\"\\u0001\\u001f\u{7f}\"");
        assert_eq!(quoted("é"), r#""\u00e9""#);
        assert_eq!(quoted("😀"), r#""\ud83d\ude00""#);
    }
}
