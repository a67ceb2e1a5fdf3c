//! Who a verified caller is: [`Identity`], the user id it gets (direct or derived, two forms that
//! never meet), and the one spelling of an issuer that identities are stored under.

/// The verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The token's `iss`, in [`normalise_issuer`]'s spelling (empty for an HS256 token without
    /// one when no issuer is configured).
    pub issuer: String,
    /// The token's `sub`.
    pub subject: String,
    /// `preferred_username`, else `cognito:username`, else `username`, else `email`, else `sub`.
    pub username: String,
    /// The token's `exp`, epoch seconds.
    pub expires_at: u64,
    /// Signed with this service's own HS256 secret, so its `sub` names one of this service's
    /// users and may be the user id as it is (see [`Identity::user_id`]).
    pub own_issuer: bool,
}

impl Identity {
    /// "{issuer}|{subject}": the stored identity of a user ([`subject_key`]).
    pub fn user_subject(&self) -> String {
        subject_key(&self.issuer, &self.subject)
    }

    /// Our user id for a new user. Two forms that can never meet:
    /// - a *direct* id, the `sub` itself: only for this service's own tokens (HS256), and only
    ///   when the `sub` is `[A-Za-z0-9_-]{1,64}` and not of the derived form;
    /// - a *derived* id, "u" + the first 24 hex digits of sha256([`Identity::user_subject`]):
    ///   for every other token (every OIDC token), and for own `sub`s that cannot be direct.
    ///
    /// So a `sub` from an outside issuer never takes the id of a user of ours (a seeded `u0042`,
    /// a dev user `alice`), two issuers never share one, and an issuer spelled two ways is one
    /// issuer. A user keeps the id it was created with: the store looks users up by subject.
    pub fn user_id(&self) -> String {
        if self.own_issuer && is_direct_id(&self.subject) {
            return self.subject.clone();
        }
        let digest = <sha2::Sha256 as sha2::Digest>::digest(self.user_subject().as_bytes());
        let mut id = String::with_capacity(DERIVED_ID_LEN);
        id.push('u');
        for byte in &digest[..12] {
            id.push_str(&format!("{byte:02x}"));
        }
        id
    }
}

/// "u" + 24 lowercase hex digits.
const DERIVED_ID_LEN: usize = 25;

fn is_derived_id(id: &str) -> bool {
    id.len() == DERIVED_ID_LEN
        && id.starts_with('u')
        && id[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_direct_id(sub: &str) -> bool {
    (1..=64).contains(&sub.len())
        && sub
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !is_derived_id(sub)
}

/// The stored identity of a user: "{issuer}|{sub}", the issuer in [`normalise_issuer`]'s spelling.
/// A seeded user stored under `subject_key(<auth.issuer>, id)` is the user a dev token for that
/// id signs in as.
pub fn subject_key(issuer: &str, sub: &str) -> String {
    format!("{}|{sub}", normalise_issuer(issuer))
}

/// The one spelling of an issuer, for comparing and storing: an `http`/`https` URL as the URL
/// standard serialises it (scheme and host in lower case, no default port), without trailing
/// slashes (Auth0's issuers end in one, most configurations do not); any other issuer (the dev
/// issuer `mediagate-dev`) as it is, without trailing slashes.
pub fn normalise_issuer(issuer: &str) -> String {
    if let Ok(url) = reqwest::Url::parse(issuer)
        && matches!(url.scheme(), "http" | "https")
    {
        return url.as_str().trim_end_matches('/').to_owned();
    }
    issuer.trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_support::{ISSUER, NOW};

    /// An identity from this service's own (HS256) tokens.
    fn identity(subject: &str) -> Identity {
        Identity {
            issuer: ISSUER.to_owned(),
            subject: subject.to_owned(),
            username: subject.to_owned(),
            expires_at: NOW,
            own_issuer: true,
        }
    }

    #[test]
    fn user_ids_keep_safe_subjects_and_hash_the_rest() {
        assert_eq!(identity("abc_DEF-123").user_id(), "abc_DEF-123");
        let sixty_four = "a".repeat(64);
        assert_eq!(identity(&sixty_four).user_id(), sixty_four);
        assert_eq!(identity(&"a".repeat(65)).user_id().len(), 25);
        // Values from Python: hashlib.sha256(b"{iss}|{sub}").hexdigest()[:24]
        assert_eq!(identity("auth0|abc").user_id(), "ubc2f20b4f715589416f2e36b");
        assert_eq!(
            identity(&"a".repeat(100)).user_id(),
            "u7c2653b1576f29f9148c25cd"
        );
        assert_eq!(
            identity("auth0|abc").user_subject(),
            "https://issuer.example|auth0|abc"
        );
        let other_issuer = Identity {
            issuer: "https://other.example".to_owned(),
            ..identity("auth0|abc")
        };
        assert_ne!(other_issuer.user_id(), identity("auth0|abc").user_id());
    }

    #[test]
    fn outside_issuers_always_get_derived_ids() {
        let outside = |sub: &str| Identity {
            own_issuer: false,
            ..identity(sub)
        };
        // Values from Python: "u" + hashlib.sha256(b"{iss}|{sub}").hexdigest()[:24]
        assert_eq!(
            outside("abc_DEF-123").user_id(),
            "u476007403bbca2bf5f687946"
        );
        assert_eq!(outside("u0042").user_id(), "u299e980d1a340b1a170634fb");
        // An own sub shaped like a derived id is derived too, so the two forms never meet.
        assert_eq!(
            identity("u0123456789abcdef01234567").user_id(),
            "u8fae7a84aa155161911fdd26"
        );
        // Only that exact shape: upper-case hex, or one digit more or less, stays direct.
        for direct in [
            "u0123456789ABCDEF01234567",
            "u0123456789abcdef0123456",
            "u0123456789abcdef012345678",
            "x0123456789abcdef01234567",
        ] {
            assert_eq!(identity(direct).user_id(), direct);
        }
    }

    #[test]
    fn issuers_have_one_spelling() {
        for (given, normal) in [
            ("https://tenant.auth0.com/", "https://tenant.auth0.com"),
            ("HTTPS://Tenant.Auth0.COM//", "https://tenant.auth0.com"),
            (
                "https://x.example:443/realms/Dev/",
                "https://x.example/realms/Dev",
            ),
            (
                "http://127.0.0.1:8080/realms/dev",
                "http://127.0.0.1:8080/realms/dev",
            ),
            ("mediagate-dev", "mediagate-dev"),
            ("mediagate-dev/", "mediagate-dev"),
            ("Mediagate-Dev", "Mediagate-Dev"),
            ("", ""),
        ] {
            assert_eq!(normalise_issuer(given), normal, "{given:?}");
        }
        assert_eq!(
            subject_key("https://tenant.auth0.com/", "auth0|abc"),
            "https://tenant.auth0.com|auth0|abc"
        );
        assert_eq!(subject_key("mediagate-dev", "u0042"), "mediagate-dev|u0042");
    }
}
