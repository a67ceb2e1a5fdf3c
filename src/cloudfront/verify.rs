//! The verifier: decides a request the way CloudFront does and, when it refuses, says why.
//!
//! Order of checks: parameters well-formed → key id trusted → signature over the exact policy
//! bytes → resource → time → client IP. Conditions are read only after the signature holds, so a
//! forged policy can never produce a misleading "expired" or "IP not allowed".

use std::net::Ipv4Addr;

use serde_json::Value;

use super::base64;
use super::keys::{HashAlgorithm, TrustedKeys};
use super::policy::{Cidr, Epoch, SIGNING_PARAMETERS};
use super::signed_url::canned_json;
use super::wildcard;

/// One request as CloudFront sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The full URL, scheme and host included, signing parameters and all.
    pub url: &'a str,
    /// Cookies sent with the request, `(name, value)`.
    pub cookies: &'a [(&'a str, &'a str)],
    /// The viewer's address, if known; required when a policy restricts by IP.
    pub client_ip: Option<Ipv4Addr>,
    /// The time of the request.
    pub now: Epoch,
}

/// Which policy form granted access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Rebuilt from the URL and `Expires`.
    Canned,
    /// Carried in `Policy` / `CloudFront-Policy`.
    Custom,
}

/// Where the signature came from. A signed URL wins over cookies, as at CloudFront.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Query parameters.
    Url,
    /// `CloudFront-*` cookies.
    Cookies,
}

/// What an accepted request was granted by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The key that signed it.
    pub key_pair_id: String,
    /// Canned or custom.
    pub policy: PolicyKind,
    /// URL or cookies.
    pub source: Source,
    /// When the grant ends.
    pub expires: Epoch,
    /// A custom policy's `DateGreaterThan` (mediagate's cookies carry their link version in it).
    pub not_before: Option<Epoch>,
    /// The hash of the signature.
    pub hash: HashAlgorithm,
}

/// Why CloudFront would answer 403.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// No signing parameters and no signing cookies.
    #[error("unsigned: the URL has no Signature/Key-Pair-Id and no CloudFront-* cookies were sent")]
    Unsigned,
    /// Both forms at once.
    #[error(
        "both Expires and Policy are present in the {0}; a request carries one policy form, never both"
    )]
    BothExpiresAndPolicy(&'static str),
    /// A parameter or cookie is missing or unreadable.
    #[error("malformed {parameter}: {why}")]
    Malformed {
        /// The parameter or cookie name.
        parameter: String,
        /// What is wrong with it.
        why: String,
    },
    /// The key-pair id is not in the trusted key group.
    #[error("unknown key-pair id {id:?}: not in the trusted key group ({trusted})")]
    UnknownKeyId {
        /// The id the request named.
        id: String,
        /// The ids that are trusted, comma-separated.
        trusted: String,
    },
    /// The signature does not match.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// A custom policy whose resource does not match the request URL.
    #[error("resource mismatch: the policy grants {resource:?}, which does not match {url:?}")]
    ResourceMismatch {
        /// The policy's resource pattern.
        resource: String,
        /// The request URL without signing parameters.
        url: String,
    },
    /// Past `DateLessThan`.
    #[error("expired {seconds_ago} s ago (at {expires})")]
    Expired {
        /// The expiry.
        expires: Epoch,
        /// How long ago.
        seconds_ago: u64,
    },
    /// Before `DateGreaterThan`.
    #[error("not valid yet: starts in {starts_in} s (after {not_before})")]
    NotYetValid {
        /// The start.
        not_before: Epoch,
        /// How long until then.
        starts_in: u64,
    },
    /// The client's address is outside the policy's range.
    #[error("IP not allowed: the policy allows {cidr}, the request came from {}", ip.map_or_else(|| "an unknown address".to_owned(), |ip| ip.to_string()))]
    IpNotAllowed {
        /// The range allowed.
        cidr: String,
        /// The client's address, if it was known.
        ip: Option<Ipv4Addr>,
    },
}

impl Rejection {
    /// A stable machine-readable name for the reason.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Unsigned => "unsigned",
            Rejection::BothExpiresAndPolicy(_) => "both_expires_and_policy",
            Rejection::Malformed { .. } => "malformed",
            Rejection::UnknownKeyId { .. } => "unknown_key_id",
            Rejection::BadSignature(_) => "bad_signature",
            Rejection::ResourceMismatch { .. } => "resource_mismatch",
            Rejection::Expired { .. } => "expired",
            Rejection::NotYetValid { .. } => "not_yet_valid",
            Rejection::IpNotAllowed { .. } => "ip_not_allowed",
        }
    }
}

fn malformed(parameter: &str, why: impl Into<String>) -> Rejection {
    Rejection::Malformed {
        parameter: parameter.to_owned(),
        why: why.into(),
    }
}

/// The signing values of a request, wherever they came from.
#[derive(Default)]
struct Params<'a> {
    expires: Option<&'a str>,
    policy: Option<&'a str>,
    signature: Option<&'a str>,
    key_pair_id: Option<&'a str>,
    hash: Option<&'a str>,
}

impl<'a> Params<'a> {
    fn any_signing(&self) -> bool {
        self.expires.is_some()
            || self.policy.is_some()
            || self.signature.is_some()
            || self.key_pair_id.is_some()
    }

    fn set(&mut self, index: usize, value: &'a str, label: &str) -> Result<(), Rejection> {
        let slot = match index {
            0 => &mut self.expires,
            1 => &mut self.policy,
            2 => &mut self.signature,
            3 => &mut self.key_pair_id,
            _ => &mut self.hash,
        };
        if slot.is_some() {
            return Err(malformed(label, "appears twice"));
        }
        *slot = Some(value);
        Ok(())
    }
}

const COOKIE_NAMES: [&str; 5] = [
    "CloudFront-Expires",
    "CloudFront-Policy",
    "CloudFront-Signature",
    "CloudFront-Key-Pair-Id",
    "CloudFront-Hash-Algorithm",
];

/// Splits `url` into the URL without signing parameters (what policies are about) and the
/// signing parameters themselves.
fn split_url(url: &str) -> Result<(String, Params<'_>), Rejection> {
    // Browsers never send a fragment; CloudFront never sees one.
    let url = url.split_once('#').map_or(url, |(u, _)| u);
    let mut params = Params::default();
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), params));
    };
    let mut kept: Vec<&str> = Vec::new();
    for part in query.split('&') {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        match SIGNING_PARAMETERS.iter().position(|p| *p == name) {
            Some(i) => params.set(i, value, name)?,
            None => kept.push(part),
        }
    }
    let rebuilt = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rebuilt, params))
}

fn cookie_params<'a>(cookies: &'a [(&'a str, &'a str)]) -> Result<Params<'a>, Rejection> {
    let mut params = Params::default();
    for (name, value) in cookies {
        if let Some(i) = COOKIE_NAMES.iter().position(|c| c == name) {
            params.set(i, value, name).map_err(|_| {
                malformed(
                    name,
                    "was sent twice (a Domain cookie and a host-only cookie of the same name?)",
                )
            })?;
        }
    }
    Ok(params)
}

fn literal<'a>(name: &str, value: &'a str) -> Result<&'a str, Rejection> {
    if value.contains('%') {
        return Err(malformed(
            name,
            "is percent-encoded; CloudFront reads signing values literally, so ~ - _ must not be escaped",
        ));
    }
    if value.is_empty() {
        return Err(malformed(name, "is empty"));
    }
    Ok(value)
}

struct CustomConditions {
    resource: Option<String>,
    expires: Epoch,
    not_before: Option<Epoch>,
    ip: Option<Cidr>,
}

fn epoch_field(condition: &Value, key: &str, label: &str) -> Result<Option<Epoch>, Rejection> {
    let Some(obj) = condition.get(key) else {
        return Ok(None);
    };
    match obj.get("AWS:EpochTime").and_then(Value::as_u64) {
        Some(n) => Ok(Some(Epoch(n))),
        None => Err(malformed(
            label,
            format!("{key} must be {{\"AWS:EpochTime\": <whole seconds>}}"),
        )),
    }
}

fn parse_custom(policy: &[u8], label: &str) -> Result<CustomConditions, Rejection> {
    let doc: Value = serde_json::from_slice(policy)
        .map_err(|e| malformed(label, format!("is not JSON ({e})")))?;
    let statements = doc
        .get("Statement")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(label, "has no Statement array"))?;
    let [statement] = statements.as_slice() else {
        return Err(malformed(label, "must hold exactly one statement"));
    };
    let resource = match statement.get("Resource") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(malformed(label, "Resource must be a string")),
    };
    let condition = statement
        .get("Condition")
        .and_then(Value::as_object)
        .ok_or_else(|| malformed(label, "has no Condition"))?;
    if let Some(unknown) = condition
        .keys()
        .find(|k| !matches!(k.as_str(), "DateLessThan" | "DateGreaterThan" | "IpAddress"))
    {
        return Err(malformed(
            label,
            format!("has an unknown condition {unknown:?}"),
        ));
    }
    let condition = &statement["Condition"];
    let expires = epoch_field(condition, "DateLessThan", label)?
        .ok_or_else(|| malformed(label, "has no DateLessThan; every policy must expire"))?;
    let not_before = epoch_field(condition, "DateGreaterThan", label)?;
    let ip = match condition.get("IpAddress") {
        None => None,
        Some(v) => {
            let text = v
                .get("AWS:SourceIp")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    malformed(label, "IpAddress must be {\"AWS:SourceIp\": \"a.b.c.d/n\"}")
                })?;
            Some(Cidr::parse_lenient(text).map_err(|e| malformed(label, e.to_string()))?)
        }
    };
    Ok(CustomConditions {
        resource,
        expires,
        not_before,
        ip,
    })
}

/// Decides `request` against the `trusted` keys.
pub fn verify(request: &Request<'_>, trusted: &TrustedKeys) -> Result<Grant, Rejection> {
    let (url, url_params) = split_url(request.url)?;
    let (params, source, names) = if url_params.any_signing() {
        (url_params, Source::Url, SIGNING_PARAMETERS)
    } else {
        let cookies = cookie_params(request.cookies)?;
        if !cookies.any_signing() {
            return Err(Rejection::Unsigned);
        }
        (cookies, Source::Cookies, COOKIE_NAMES)
    };
    let [
        expires_name,
        policy_name,
        signature_name,
        key_name,
        hash_name,
    ] = names;
    let where_ = if source == Source::Url {
        "URL"
    } else {
        "cookies"
    };

    let hash = match params.hash {
        None => HashAlgorithm::Sha1,
        Some(v) => HashAlgorithm::from_parameter(v).ok_or_else(|| {
            malformed(
                hash_name,
                format!("is {v:?}; CloudFront accepts SHA1 or SHA256"),
            )
        })?,
    };
    let form = match (params.expires, params.policy) {
        (Some(_), Some(_)) => return Err(Rejection::BothExpiresAndPolicy(where_)),
        (None, None) => {
            return Err(malformed(
                &format!("{expires_name}/{policy_name}"),
                "neither is present; a signature needs the canned Expires or a custom Policy",
            ));
        }
        (Some(e), None) => Ok(literal(expires_name, e)?),
        (None, Some(p)) => Err(literal(policy_name, p)?),
    };
    let signature = literal(
        signature_name,
        params
            .signature
            .ok_or_else(|| malformed(signature_name, "is missing"))?,
    )?;
    let key_id = literal(
        key_name,
        params
            .key_pair_id
            .ok_or_else(|| malformed(key_name, "is missing"))?,
    )?;
    let key = trusted.get(key_id).ok_or_else(|| Rejection::UnknownKeyId {
        id: key_id.to_owned(),
        trusted: trusted
            .ids()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let raw_signature =
        base64::decode(signature).map_err(|e| malformed(signature_name, e.to_string()))?;

    let (policy_bytes, conditions, kind) = match form {
        Ok(expires) => {
            if !expires.bytes().all(|b| b.is_ascii_digit()) || expires.len() > 19 {
                return Err(malformed(
                    expires_name,
                    format!("{expires:?} is not a whole number of seconds"),
                ));
            }
            let expires = Epoch(
                expires
                    .parse()
                    .map_err(|_| malformed(expires_name, "is out of range"))?,
            );
            let conditions = CustomConditions {
                resource: None,
                expires,
                not_before: None,
                ip: None,
            };
            (
                canned_json(&url, expires).into_bytes(),
                conditions,
                PolicyKind::Canned,
            )
        }
        Err(encoded) => {
            let bytes =
                base64::decode(encoded).map_err(|e| malformed(policy_name, e.to_string()))?;
            let conditions = parse_custom(&bytes, policy_name)?;
            (bytes, conditions, PolicyKind::Custom)
        }
    };

    if !key.verify(hash, &policy_bytes, &raw_signature) {
        let what = match kind {
            PolicyKind::Canned => format!(
                "it does not sign this URL with {expires_name}={}; the URL, its query or {expires_name} changed after signing",
                conditions.expires
            ),
            PolicyKind::Custom => {
                format!("it does not sign this {policy_name}; the policy changed after signing")
            }
        };
        return Err(Rejection::BadSignature(format!(
            "{what}, or it was made by a key other than {key_id} or with a hash other than {}",
            hash.parameter()
        )));
    }

    if let Some(resource) = &conditions.resource
        && !wildcard::matches(resource.as_bytes(), url.as_bytes())
    {
        return Err(Rejection::ResourceMismatch {
            resource: resource.clone(),
            url,
        });
    }
    if request.now >= conditions.expires {
        return Err(Rejection::Expired {
            expires: conditions.expires,
            seconds_ago: request.now.0 - conditions.expires.0,
        });
    }
    if let Some(not_before) = conditions.not_before
        && request.now <= not_before
    {
        return Err(Rejection::NotYetValid {
            not_before,
            starts_in: not_before.0 - request.now.0 + 1,
        });
    }
    if let Some(cidr) = conditions.ip
        && !request.client_ip.is_some_and(|ip| cidr.contains(ip))
    {
        return Err(Rejection::IpNotAllowed {
            cidr: cidr.to_string(),
            ip: request.client_ip,
        });
    }
    Ok(Grant {
        key_pair_id: key_id.to_owned(),
        policy: kind,
        source,
        expires: conditions.expires,
        not_before: conditions.not_before,
        hash,
    })
}

#[cfg(test)]
mod tests;
