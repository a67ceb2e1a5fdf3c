//! Why a token, a header or the configuration was refused ([`AuthError`]), in words a person can
//! act on. A string a token supplies goes through [`shown`] before it enters a message.

/// Why a token, a header or the configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The configuration cannot work.
    #[error("auth configuration: {0}")]
    Config(String),
    /// The `Authorization` header is not `Bearer <token>`.
    #[error("Authorization header must be 'Bearer <token>' ({0})")]
    AuthorizationHeader(&'static str),
    /// Not a JWS compact token, or its parts do not decode.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The header names an algorithm this mode does not accept (including `none`).
    #[error("token signed with alg {alg}; only {} accepted", accepted_phrase(.accepted))]
    AlgorithmNotAccepted {
        /// The header's `alg`.
        alg: String,
        /// The algorithms this mode accepts.
        accepted: &'static [&'static str],
    },
    /// The header's `alg` is not the algorithm of the key its `kid` names.
    #[error("token signed with alg {alg}, but key id {kid:?} is an {key_alg} key")]
    AlgorithmKeyMismatch {
        /// The header's `alg`.
        alg: &'static str,
        /// The header's `kid`.
        kid: String,
        /// The algorithm of that key.
        key_alg: &'static str,
    },
    /// An OIDC token without `kid`.
    #[error("token header has no key id (kid); the issuer's tokens must name their signing key")]
    MissingKeyId,
    /// An OIDC token whose `kid` is not in the issuer's key set, even after a refresh.
    #[error(
        "token key id {kid:?} is not in the issuer's JWKS (refreshed {refreshed_secs_ago} s ago)"
    )]
    UnknownKeyId {
        /// The header's `kid`.
        kid: String,
        /// Age of the key set that was searched.
        refreshed_secs_ago: u64,
    },
    /// The signature does not verify with the key.
    #[error("token signature does not verify with {0}")]
    BadSignature(String),
    /// `exp` (plus leeway) has passed.
    #[error("token expired {secs_ago} s ago")]
    Expired {
        /// `now - exp`.
        secs_ago: u64,
    },
    /// `exp` is further ahead than the configured maximum lifetime.
    #[error(
        "token expires in {expires_in_secs} s; at most {max_secs} s are accepted \
         (auth.max_token_lifetime_secs): ask the issuer for a shorter-lived token"
    )]
    LivesTooLong {
        /// `exp - now`.
        expires_in_secs: u64,
        /// The configured maximum.
        max_secs: u64,
    },
    /// An OIDC token that is not marked as an access token (an ID token, most likely).
    #[error("{0}")]
    NotAnAccessToken(String),
    /// `nbf` (minus leeway) has not come yet.
    #[error("token is not valid for another {secs} s (nbf)")]
    NotYetValid {
        /// `nbf - now`.
        secs: u64,
    },
    /// A required claim is absent.
    #[error("token has no {0:?} claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or an empty value.
    #[error("token claim {claim:?} {problem}")]
    InvalidClaim {
        /// The claim.
        claim: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// `iss` is not the configured issuer.
    #[error("token issuer {found:?} is not the configured issuer {expected:?}")]
    WrongIssuer {
        /// The token's `iss`.
        found: String,
        /// The configured issuer.
        expected: String,
    },
    /// `aud` does not name the configured audience.
    #[error("token audience {found:?} does not include {expected:?}")]
    WrongAudience {
        /// The token's `aud`, as a list.
        found: Vec<String>,
        /// The configured audience.
        expected: String,
    },
    /// No `aud`, and `client_id` is not accepted in its place (or is not the audience).
    #[error("token has no audience (aud); expected {expected:?}{}", client_id_hint(.client_id, *.client_id_accepted))]
    MissingAudience {
        /// The token's `client_id`, if any.
        client_id: Option<String>,
        /// Whether `accept_client_id_as_audience` is on.
        client_id_accepted: bool,
        /// The configured audience.
        expected: String,
    },
    /// The issuer's discovery document names another issuer.
    #[error(
        "OIDC discovery at {url} names issuer {discovered:?}, not the configured issuer {configured:?}; fix the configured issuer URL"
    )]
    IssuerMismatch {
        /// The discovery URL.
        url: String,
        /// The `issuer` it returned.
        discovered: String,
        /// The configured issuer.
        configured: String,
    },
    /// The issuer could not be reached, or answered something unusable.
    #[error("OIDC issuer unavailable: {0}")]
    Upstream(String),
    /// [`issue_hs256`](super::issue_hs256) was asked for something it cannot sign.
    #[error("cannot issue token: {0}")]
    Issue(String),
}

impl AuthError {
    /// True when the fault is the issuer's (unreachable, bad answer, discovery mismatch), not the
    /// token's: the HTTP layer answers 503 for these and 401 for the rest.
    pub fn is_upstream(&self) -> bool {
        matches!(
            self,
            AuthError::Upstream(_) | AuthError::IssuerMismatch { .. }
        )
    }
}

fn accepted_phrase(accepted: &[&str]) -> String {
    match accepted {
        [one] => format!("{one} is"),
        [init @ .., last] => format!("{} and {last} are", init.join(", ")),
        [] => "nothing is".to_owned(),
    }
}

fn client_id_hint(client_id: &Option<String>, accepted: bool) -> String {
    match (client_id, accepted) {
        (Some(id), true) => format!(", and its client_id {id:?} is not that"),
        (Some(_), false) => "; it carries client_id (a Cognito access token?): \
             set accept_client_id_as_audience to accept it"
            .to_owned(),
        (None, _) => String::new(),
    }
}

/// A token-supplied string, made safe and short enough for a message.
pub(super) fn shown(s: &str) -> String {
    const MAX_CHARS: usize = 80;
    let mut out: String = s.chars().take(MAX_CHARS).collect();
    if s.chars().nth(MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}
