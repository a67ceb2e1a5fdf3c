//! CloudFront's URL-safe base64.
//!
//! CloudFront does not use RFC 4648 `base64url`: it takes standard base64 and swaps the three
//! characters that are unsafe in a query string, `+` → `-`, `=` → `_`, `/` → `~`. `~` is an RFC 3986
//! *unreserved* character, so it must travel as-is: CloudFront compares the bytes it receives and
//! does not percent-decode signing parameters, which is why a `%7E` in a Signature is a 403.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~";
const PAD: u8 = b'_';

/// Appends the CloudFront base64 encoding of `input` to `out`.
pub fn encode_into(input: &[u8], out: &mut String) {
    out.reserve(input.len().div_ceil(3) * 4);
    let mut chunks = input.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        for shift in [18, 12, 6, 0] {
            out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
        }
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.push(ALPHABET[((n >> 18) & 63) as usize] as char);
            out.push(ALPHABET[((n >> 12) & 63) as usize] as char);
            out.push(PAD as char);
            out.push(PAD as char);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.push(ALPHABET[((n >> 18) & 63) as usize] as char);
            out.push(ALPHABET[((n >> 12) & 63) as usize] as char);
            out.push(ALPHABET[((n >> 6) & 63) as usize] as char);
            out.push(PAD as char);
        }
        _ => {}
    }
}

/// The CloudFront base64 encoding of `input`.
pub fn encode(input: &[u8]) -> String {
    let mut out = String::new();
    encode_into(input, &mut out);
    out
}

/// Why a value is not CloudFront base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A character from standard base64 (or elsewhere) that CloudFront's alphabet replaces.
    #[error(
        "contains {0:?}, which is not in CloudFront's base64 alphabet (A-Z a-z 0-9 - ~ _); was the URL re-encoded on the way?"
    )]
    ForeignCharacter(char),
    /// Right alphabet, wrong length or padding.
    #[error("is not valid base64 ({0})")]
    Invalid(String),
}

/// Decodes CloudFront base64; standard-alphabet input is refused rather than guessed at.
pub fn decode(input: &str) -> Result<Vec<u8>, DecodeError> {
    let mut standard = Vec::with_capacity(input.len());
    for ch in input.chars() {
        standard.push(match ch {
            'A'..='Z' | 'a'..='z' | '0'..='9' => ch as u8,
            '-' => b'+',
            '~' => b'/',
            '_' => b'=',
            other => return Err(DecodeError::ForeignCharacter(other)),
        });
    }
    STANDARD
        .decode(&standard)
        .map_err(|e| DecodeError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_exactly_the_three_characters() {
        // 0xfb 0xff 0xbf encodes to "+/+/" in standard base64.
        assert_eq!(encode(&[0xfb, 0xff, 0xbf]), "-~-~");
        assert_eq!(encode(b"a"), "YQ__");
        assert_eq!(encode(b"ab"), "YWI_");
        assert_eq!(encode(b"abc"), "YWJj");
        assert_eq!(encode(b""), "");
    }

    #[test]
    fn agrees_with_standard_base64_after_translation() {
        for len in 0..70u8 {
            let data: Vec<u8> = (0..len)
                .map(|i| i.wrapping_mul(37).wrapping_add(len))
                .collect();
            let expected: String = STANDARD
                .encode(&data)
                .chars()
                .map(|c| match c {
                    '+' => '-',
                    '=' => '_',
                    '/' => '~',
                    c => c,
                })
                .collect();
            assert_eq!(encode(&data), expected);
            assert_eq!(decode(&expected).as_deref(), Ok(&data[..]));
        }
    }

    #[test]
    fn refuses_standard_alphabet_and_percent_encoding() {
        assert_eq!(decode("ab+/"), Err(DecodeError::ForeignCharacter('+')));
        assert_eq!(decode("ab%7E"), Err(DecodeError::ForeignCharacter('%')));
        assert!(matches!(decode("abcde"), Err(DecodeError::Invalid(_))));
    }
}
