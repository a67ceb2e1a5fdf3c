//! The `Authorization` header: where a request's bearer token is read from.

use super::AuthError;

/// The token from an `Authorization` header value: `Bearer <token>`, the scheme in any case.
pub fn bearer_token(authorization_header: &str) -> Result<&str, AuthError> {
    let header = authorization_header.trim();
    if header.is_empty() {
        return Err(AuthError::AuthorizationHeader("it is empty"));
    }
    let (scheme, rest) = header
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::AuthorizationHeader(
            "it does not use the Bearer scheme",
        ));
    }
    let token = rest.trim_start();
    if token.is_empty() {
        return Err(AuthError::AuthorizationHeader("the token is missing"));
    }
    if token.contains(|c: char| c.is_whitespace()) {
        return Err(AuthError::AuthorizationHeader(
            "the token contains whitespace",
        ));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_headers_are_parsed() {
        assert_eq!(bearer_token("Bearer abc.def.ghi"), Ok("abc.def.ghi"));
        assert_eq!(bearer_token("bearer abc"), Ok("abc"));
        assert_eq!(bearer_token("BEARER   abc  "), Ok("abc"));
        for bad in [
            "",
            "   ",
            "Bearer",
            "Bearer ",
            "Basic dXNlcjpwdw==",
            "abc.def.ghi",
            "Bearer a b",
            "Bearerabc",
        ] {
            let err = bearer_token(bad).expect_err(bad);
            assert!(
                err.to_string()
                    .starts_with("Authorization header must be 'Bearer <token>'"),
                "{bad:?}: {err}"
            );
            assert!(!err.to_string().contains("dXNlcjpwdw"), "{err}");
        }
    }
}
