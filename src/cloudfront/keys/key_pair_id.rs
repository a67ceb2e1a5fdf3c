//! Key-pair ids: the name CloudFront gives a public key, checked once so it can go into a URL or
//! cookie unescaped.

use std::fmt;
use std::str::FromStr;

use super::KeyError;

/// The id CloudFront gave a public key (or a legacy key pair), e.g. `K2JCJMDEHXQW5F`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyPairId(String);

impl KeyPairId {
    /// Parses an id: 1 to 128 characters of `A-Z a-z 0-9 - _`, which need no escaping in URLs
    /// or cookies. CloudFront's own ids are upper-case letters and digits.
    pub fn parse(s: &str) -> Result<KeyPairId, KeyError> {
        let ok = !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(KeyPairId(s.to_owned()))
        } else {
            Err(KeyError::BadKeyPairId(s.to_owned()))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for KeyPairId {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyPairId::parse(s)
    }
}

impl fmt::Display for KeyPairId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_pair_ids() {
        assert!(KeyPairId::parse("K2JCJMDEHXQW5F").is_ok());
        assert!(KeyPairId::parse("APKAJCEOKRHC3XIVU5NA").is_ok());
        assert!(KeyPairId::parse("dev-key_1").is_ok());
        for bad in ["", "K 1", "K&x=1", "K%20", "ключ", &"K".repeat(129)] {
            assert!(KeyPairId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
