//! CloudFront's resource wildcards: `*` matches any run of characters (including none), `?`
//! exactly one, over the whole URL, query string included.

/// Whether `text` matches `pattern`. Greedy matching that backtracks only to the last `*`: at worst
/// pattern length × URL length steps, never exponential, whatever a hostile policy holds.
pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(p: &str, t: &str) -> bool {
        matches(p.as_bytes(), t.as_bytes())
    }

    #[test]
    fn star_and_question_mark() {
        assert!(m("*", ""));
        assert!(m("*", "https://d.example/anything?at=all"));
        assert!(m("https://d.example/u1/*", "https://d.example/u1/"));
        assert!(m(
            "https://d.example/u1/*",
            "https://d.example/u1/a/b.jpg?x=1"
        ));
        assert!(!m("https://d.example/u1/*", "https://d.example/u10/a.jpg"));
        assert!(!m("https://d.example/u1/*", "https://d.example/u2/a.jpg"));
        assert!(m("https://d.example/a?.jpg", "https://d.example/ab.jpg"));
        assert!(!m("https://d.example/a?.jpg", "https://d.example/a.jpg"));
        assert!(m("*.jpg", "https://d.example/x.jpg"));
        assert!(!m("*.jpg", "https://d.example/x.jpg?size=1"));
        assert!(m("https://*.example/*", "https://d.example/x"));
        assert!(m("a*b*c", "aXXbYYbZZc"));
        assert!(!m("a*b*c", "aXXbYYbZZ"));
        assert!(!m("abc", "abcd"));
        assert!(!m("abcd", "abc"));
    }

    #[test]
    fn agrees_with_a_naive_matcher() {
        fn naive(p: &[u8], t: &[u8]) -> bool {
            match (p.first(), t.first()) {
                (None, _) => t.is_empty(),
                (Some(b'*'), _) => naive(&p[1..], t) || (!t.is_empty() && naive(p, &t[1..])),
                (Some(_), None) => false,
                (Some(&c), Some(&d)) => (c == b'?' || c == d) && naive(&p[1..], &t[1..]),
            }
        }
        let alphabet = [b'a', b'b', b'*', b'?'];
        for n in 0..4096u32 {
            let p: Vec<u8> = (0..6)
                .map(|i| alphabet[((n >> (2 * i)) & 3) as usize])
                .take((n % 7) as usize)
                .collect();
            for text in [
                &b""[..],
                b"a",
                b"ab",
                b"ba",
                b"aab",
                b"abab",
                b"bbbbba",
                b"*?",
            ] {
                assert_eq!(matches(&p, text), naive(&p, text), "{:?} vs {:?}", p, text);
            }
        }
    }
}
