//! The settings that take one of a few words. Each is a serde enum, so a misspelling fails at
//! load time, and the error names the key, the word, every allowed word and the file or environment
//! variable it came from (`Config::load` words figment's error); nothing downstream re-parses a string or falls back silently.
//! The defaults are the sections' (`sections.rs`), in one place.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cloudfront::{HashAlgorithm, SameSite};

/// `auth.mode`: how bearer tokens are verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    /// A shared HS256 secret.
    Hs256,
    /// An OpenID issuer and its JWKS.
    Oidc,
}

/// `signing.hash`: the signature hash of CloudFront links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SigningHash {
    /// SHA-1, what every AWS SDK signs with.
    Sha1,
    /// SHA-256 (`Hash-Algorithm=SHA256`).
    Sha256,
}

impl From<SigningHash> for HashAlgorithm {
    fn from(hash: SigningHash) -> HashAlgorithm {
        match hash {
            SigningHash::Sha1 => HashAlgorithm::Sha1,
            SigningHash::Sha256 => HashAlgorithm::Sha256,
        }
    }
}

/// `cloudfront.scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Production.
    Https,
    /// A local edge only.
    Http,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        })
    }
}

/// `cookies.same_site`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSiteSetting {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None` (needs Secure).
    None,
}

impl From<SameSiteSetting> for SameSite {
    fn from(s: SameSiteSetting) -> SameSite {
        match s {
            SameSiteSetting::Strict => SameSite::Strict,
            SameSiteSetting::Lax => SameSite::Lax,
            SameSiteSetting::None => SameSite::None,
        }
    }
}

/// `log.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// For people at a terminal.
    Pretty,
}
