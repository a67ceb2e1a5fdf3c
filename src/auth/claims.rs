//! The claims of a token whose signature verified: time (`exp`, `nbf`, the lifetime cap), issuer,
//! audience, subject, the access-token mark, and the username.

use serde::Deserialize;
use serde_json::Value;

use super::error::{AuthError, shown};
use super::identity::{Identity, normalise_issuer};

/// What the claims must satisfy, from the settings (checked in [`ClaimRules::check_claims`]).
pub(super) struct ClaimRules {
    /// The expected issuer, in [`normalise_issuer`]'s spelling.
    pub(super) issuer: Option<String>,
    pub(super) audience: Option<String>,
    pub(super) leeway_secs: u64,
    pub(super) accept_client_id_as_audience: bool,
    pub(super) max_token_lifetime_secs: u64,
    pub(super) require_access_token_type: bool,
}

impl ClaimRules {
    /// RFC 9068 §4: an access token says so in its header (`at+jwt`); Cognito's say so in
    /// `token_use` instead. Whatever calls itself something else is refused even with the check
    /// off.
    pub(super) fn check_access_token(
        &self,
        typ: Option<&str>,
        claims: &Claims,
    ) -> Result<(), AuthError> {
        let token_use = string_claim(&claims.token_use, "token_use")?;
        if let Some(token_use) = token_use
            && token_use != "access"
        {
            return Err(AuthError::NotAnAccessToken(format!(
                "token_use is {:?}, not \"access\": an access token is required, not an ID token; \
                 send the access token the issuer gave with it",
                shown(token_use)
            )));
        }
        let marked = token_use == Some("access")
            // Media types compare case-insensitively, "application/" may be left out (RFC 7515
            // §4.1.9).
            || typ.is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                t == "at+jwt" || t == "application/at+jwt"
            });
        if marked || !self.require_access_token_type {
            return Ok(());
        }
        let found = match typ {
            Some(t) => format!("token type (header typ) is {:?}", shown(t)),
            None => "token has no type (header typ)".to_owned(),
        };
        Err(AuthError::NotAnAccessToken(format!(
            "{found}, not \"at+jwt\": an access token (RFC 9068) is required, not an ID token; \
             for an issuer that does not mark its access tokens, an operator can set \
             auth.require_access_token_type = false"
        )))
    }

    pub(super) fn check_claims(
        &self,
        claims: Claims,
        now: u64,
        own_issuer: bool,
    ) -> Result<Identity, AuthError> {
        let exp = numeric_date(&claims.exp, "exp")?.ok_or(AuthError::MissingClaim("exp"))?;
        if now >= exp.saturating_add(self.leeway_secs) {
            return Err(AuthError::Expired {
                secs_ago: now.saturating_sub(exp),
            });
        }
        let latest = now
            .saturating_add(self.max_token_lifetime_secs)
            .saturating_add(self.leeway_secs);
        if exp > latest {
            return Err(AuthError::LivesTooLong {
                expires_in_secs: exp - now,
                max_secs: self.max_token_lifetime_secs,
            });
        }
        if let Some(nbf) = numeric_date(&claims.nbf, "nbf")?
            && nbf > now.saturating_add(self.leeway_secs)
        {
            return Err(AuthError::NotYetValid { secs: nbf - now });
        }

        // Most tokens spell the issuer exactly as expected (already normal): no URL parse then.
        let iss = string_claim(&claims.iss, "iss")?.map(|raw| match &self.issuer {
            Some(expected) if expected == raw => expected.clone(),
            _ => normalise_issuer(raw),
        });
        if let Some(expected) = &self.issuer {
            let found = iss.as_deref().ok_or(AuthError::MissingClaim("iss"))?;
            if found != expected {
                return Err(AuthError::WrongIssuer {
                    found: shown(found),
                    expected: expected.clone(),
                });
            }
        }

        if let Some(expected) = &self.audience {
            self.check_audience(&claims, expected)?;
        }

        let sub = string_claim(&claims.sub, "sub")?.ok_or(AuthError::MissingClaim("sub"))?;
        if sub.is_empty() {
            return Err(AuthError::InvalidClaim {
                claim: "sub",
                problem: "is empty",
            });
        }

        let username = [
            &claims.preferred_username,
            &claims.cognito_username,
            &claims.username,
            &claims.email,
        ]
        .into_iter()
        .find_map(|claim| claim.as_ref()?.as_str().filter(|s| !s.is_empty()))
        .unwrap_or(sub);

        Ok(Identity {
            issuer: iss.unwrap_or_default(),
            subject: sub.to_owned(),
            username: username.to_owned(),
            expires_at: exp,
            own_issuer,
        })
    }

    fn check_audience(&self, claims: &Claims, expected: &str) -> Result<(), AuthError> {
        const PROBLEM: &str = "must be a string or an array of strings";
        let found: Vec<&str> = match &claims.aud {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(aud)) => vec![aud],
            Some(Value::Array(auds)) => auds
                .iter()
                .map(|a| {
                    a.as_str().ok_or(AuthError::InvalidClaim {
                        claim: "aud",
                        problem: PROBLEM,
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(AuthError::InvalidClaim {
                    claim: "aud",
                    problem: PROBLEM,
                });
            }
        };
        if found.contains(&expected) {
            return Ok(());
        }
        if !found.is_empty() {
            return Err(AuthError::WrongAudience {
                found: found.into_iter().map(shown).collect(),
                expected: expected.to_owned(),
            });
        }
        let client_id = string_claim(&claims.client_id, "client_id")?;
        if self.accept_client_id_as_audience && client_id == Some(expected) {
            return Ok(());
        }
        Err(AuthError::MissingAudience {
            client_id: client_id.map(shown),
            client_id_accepted: self.accept_client_id_as_audience,
            expected: expected.to_owned(),
        })
    }
}

/// The claims this module reads; each as raw JSON so a wrong type gets its own message.
#[derive(Deserialize)]
pub(super) struct Claims {
    #[serde(default)]
    iss: Option<Value>,
    #[serde(default)]
    sub: Option<Value>,
    #[serde(default)]
    aud: Option<Value>,
    #[serde(default)]
    exp: Option<Value>,
    #[serde(default)]
    nbf: Option<Value>,
    #[serde(default)]
    client_id: Option<Value>,
    #[serde(default)]
    token_use: Option<Value>,
    #[serde(default)]
    preferred_username: Option<Value>,
    #[serde(default, rename = "cognito:username")]
    cognito_username: Option<Value>,
    #[serde(default)]
    username: Option<Value>,
    #[serde(default)]
    email: Option<Value>,
}

fn string_claim<'a>(
    value: &'a Option<Value>,
    claim: &'static str,
) -> Result<Option<&'a str>, AuthError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(AuthError::InvalidClaim {
            claim,
            problem: "must be a string",
        }),
    }
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, possibly fractional (floored).
fn numeric_date(value: &Option<Value>, claim: &'static str) -> Result<Option<u64>, AuthError> {
    let invalid = AuthError::InvalidClaim {
        claim,
        problem: "must be a non-negative number of seconds since the epoch",
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(secs), _) => Ok(Some(secs)),
            // Flooring is the point: a NumericDate may carry fractions of a second.
            (None, Some(secs)) if secs.is_finite() && secs >= 0.0 && secs < u64::MAX as f64 => {
                Ok(Some(secs as u64))
            }
            _ => Err(invalid),
        },
        Some(_) => Err(invalid),
    }
}

#[cfg(test)]
mod tests;
