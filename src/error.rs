//! The one error type at the boundary: a code (its GraphQL `extensions.code` and HTTP status) and
//! a message a person can act on. Internal errors show clients "internal error" and log the whole
//! chain server-side.

use std::fmt;

use actix_web::http::StatusCode;
use juniper::{FieldError, IntoFieldError, ScalarValue, graphql_value};

/// What kind of failure, as clients see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// No valid identity where one is required.
    Unauthenticated,
    /// Identified, but not allowed (only where refusing reveals nothing).
    Forbidden,
    /// Does not exist, or the viewer may not know it exists.
    NotFound,
    /// The request itself is wrong: a bad argument or variable, or over a limit.
    BadUserInput,
    /// The document is not GraphQL (a syntax error).
    GraphqlParseFailed,
    /// The document is GraphQL but not valid for this schema.
    GraphqlValidationFailed,
    /// The document has no operation by the name asked for, or several and no name was given.
    OperationResolutionFailure,
    /// Too many requests.
    RateLimited,
    /// A dependency (database, issuer, S3) failed.
    Upstream,
    /// A bug or an unexpected state.
    Internal,
}

/// The one table from code to wire.
/// The GraphQL names are Apollo Server's, so clients that know those know these.
const TABLE: [(Code, &str, u16); 10] = [
    (Code::Unauthenticated, "UNAUTHENTICATED", 401),
    (Code::Forbidden, "FORBIDDEN", 403),
    (Code::NotFound, "NOT_FOUND", 404),
    (Code::BadUserInput, "BAD_USER_INPUT", 400),
    (Code::GraphqlParseFailed, "GRAPHQL_PARSE_FAILED", 400),
    (
        Code::GraphqlValidationFailed,
        "GRAPHQL_VALIDATION_FAILED",
        400,
    ),
    (
        Code::OperationResolutionFailure,
        "OPERATION_RESOLUTION_FAILURE",
        400,
    ),
    (Code::RateLimited, "RATE_LIMITED", 429),
    (Code::Upstream, "UPSTREAM", 503),
    (Code::Internal, "INTERNAL", 500),
];

impl Code {
    /// The GraphQL `extensions.code`.
    pub fn as_str(self) -> &'static str {
        TABLE
            .iter()
            .find(|(c, ..)| *c == self)
            .map_or("INTERNAL", |(_, s, _)| s)
    }

    /// The HTTP status when the error is the whole answer (outside GraphQL, or a request error
    /// answered as `application/graphql-response+json`).
    pub fn status(self) -> StatusCode {
        let code = TABLE
            .iter()
            .find(|(c, ..)| *c == self)
            .map_or(500, |(.., n)| *n);
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// An error on its way to a client.
#[derive(Debug)]
pub struct Error {
    code: Code,
    message: String,
    source: Option<anyhow::Error>,
}

impl Error {
    /// An error with a client-facing message.
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            source: None,
        }
    }

    /// `NOT_FOUND` for `what` (e.g. `image "x"`): also what a viewer sees for what it may not see.
    pub fn not_found(what: impl fmt::Display) -> Error {
        Error::new(Code::NotFound, format!("{what} not found"))
    }

    /// `NOT_FOUND` for an image: worded the same whether it does not exist or is hidden from the
    /// viewer, so the two cannot be told apart.
    pub fn image_not_found(id: &str) -> Error {
        Error::not_found(format_args!("image {id:?}"))
    }

    /// `BAD_USER_INPUT`.
    pub fn bad_input(message: impl Into<String>) -> Error {
        Error::new(Code::BadUserInput, message)
    }

    /// `UNAUTHENTICATED`.
    pub fn unauthenticated(message: impl Into<String>) -> Error {
        Error::new(Code::Unauthenticated, message)
    }

    /// `FORBIDDEN`.
    pub fn forbidden(message: impl Into<String>) -> Error {
        Error::new(Code::Forbidden, message)
    }

    /// `INTERNAL`: the client is told "internal error"; `source` is logged.
    pub fn internal(source: impl Into<anyhow::Error>) -> Error {
        Error {
            code: Code::Internal,
            message: "internal error".into(),
            source: Some(source.into()),
        }
    }

    /// `UPSTREAM`: `message` says which dependency; `source` is logged.
    pub fn upstream(message: impl Into<String>, source: impl Into<anyhow::Error>) -> Error {
        Error {
            code: Code::Upstream,
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The client-facing message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Logs the server-side chain of 5xx errors; called where an error leaves the service.
    pub fn log(&self) {
        if let Some(source) = &self.source {
            tracing::error!(
                code = self.code.as_str(),
                error = format!("{source:#}"),
                "{}",
                self.message
            );
        }
    }

    /// The body of a non-GraphQL error response, shaped like a GraphQL error.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"errors": [{"message": self.message, "extensions": {"code": self.code.as_str()}}]})
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

impl<S: ScalarValue> IntoFieldError<S> for Error {
    fn into_field_error(self) -> FieldError<S> {
        self.log();
        let code = self.code.as_str();
        FieldError::new(self.message, graphql_value!({ "code": code }))
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Error {
        match e {
            crate::store::StoreError::Database(sqlx::Error::PoolTimedOut) => {
                Error::upstream("database busy", e)
            }
            crate::store::StoreError::Database(sqlx::Error::Io(_)) => {
                Error::upstream("database unreachable", e)
            }
            _ => Error::internal(e),
        }
    }
}

/// Results at the boundary.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_wire_name_and_status() {
        for (code, name, status) in TABLE {
            assert_eq!(code.as_str(), name);
            assert_eq!(code.status().as_u16(), status);
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let e = Error::internal(anyhow::anyhow!("password=hunter2 at db"));
        let field: FieldError = e.into_field_error();
        assert_eq!(field.message(), "internal error");
        assert_eq!(field.extensions(), &graphql_value!({"code": "INTERNAL"}));
    }
}
