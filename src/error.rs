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

impl Code {
    /// The GraphQL `extensions.code`. The names are Apollo Server's, so clients that know those
    /// know these. A `match`, not a table: a new code without a name does not compile.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Code::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Code::OperationResolutionFailure => "OPERATION_RESOLUTION_FAILURE",
            Code::RateLimited => "RATE_LIMITED",
            Code::Upstream => "UPSTREAM",
            Code::Internal => "INTERNAL",
        }
    }

    /// The HTTP status when the error is the whole answer (outside GraphQL, or a request error
    /// answered as `application/graphql-response+json`).
    pub fn status(self) -> StatusCode {
        match self {
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::BadUserInput
            | Code::GraphqlParseFailed
            | Code::GraphqlValidationFailed
            | Code::OperationResolutionFailure => StatusCode::BAD_REQUEST,
            Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Code::Upstream => StatusCode::SERVICE_UNAVAILABLE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether the client sees the message as written (its own mistakes, a dependency named),
    /// or only "internal error".
    fn is_internal(self) -> bool {
        self == Code::Internal
    }
}

/// A typed error that knows how it reaches a client, as meilisearch-types' `ErrorCode`: with it,
/// `?` turns the error into an [`Error`] (the blanket `From` below), keeping it as the logged
/// source, so no layer flattens an error into a string to pick a code.
pub trait ErrorCode: std::error::Error + Send + Sync + 'static {
    /// The code clients see.
    fn error_code(&self) -> Code;

    /// What clients read; "internal error" for [`Code::Internal`], whatever this says.
    fn client_message(&self) -> String {
        self.to_string()
    }
}

impl<E: ErrorCode> From<E> for Error {
    fn from(e: E) -> Error {
        let code = e.error_code();
        let message = if code.is_internal() {
            "internal error".to_owned()
        } else {
            e.client_message()
        };
        Error {
            code,
            message,
            source: Some(anyhow::Error::new(e)),
        }
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

impl ErrorCode for crate::store::StoreError {
    fn error_code(&self) -> Code {
        match self {
            crate::store::StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_)) => {
                Code::Upstream
            }
            crate::store::StoreError::PgRead(e) if postgres_unavailable(e) => Code::Upstream,
            _ => Code::Internal,
        }
    }

    // Read only for the two Upstream cases above; Internal ones show "internal error".
    fn client_message(&self) -> String {
        match self {
            crate::store::StoreError::Database(sqlx::Error::PoolTimedOut) => "database busy",
            _ => "database unreachable",
        }
        .to_owned()
    }
}

/// Whether PostgreSQL's read path failed because the server is not there (rather than a bug):
/// no answer at all (a closed or broken connection), or SQLSTATE class 08 (connection
/// exception), 53 (insufficient resources) or 57 (operator intervention: a shutdown, a
/// terminated backend).
fn postgres_unavailable(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_none_or(|db| matches!(db.code().code().get(..2), Some("08" | "53" | "57")))
}

// The signing core's errors say nothing to a client: a link that cannot be signed is a bug or
// a broken key, never the caller's input (that was checked before).
macro_rules! internal_errors {
    ($($error:ty),+) => {$(
        impl ErrorCode for $error {
            fn error_code(&self) -> Code {
                Code::Internal
            }
        }
    )+};
}

internal_errors!(
    crate::cloudfront::SignError,
    crate::cloudfront::PolicyError,
    crate::cloudfront::KeyError,
    crate::cloudfront::CookieError
);

/// Results at the boundary.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_apollo_name_and_status() {
        let expected = [
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
        for (code, name, status) in expected {
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

    #[derive(Debug, thiserror::Error)]
    #[error("the bucket said no (secret=abc)")]
    struct Upstreamish;

    impl ErrorCode for Upstreamish {
        fn error_code(&self) -> Code {
            Code::Upstream
        }
        fn client_message(&self) -> String {
            "S3 unreachable".into()
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("key material broken: secret=abc")]
    struct Buggy;

    impl ErrorCode for Buggy {
        fn error_code(&self) -> Code {
            Code::Internal
        }
    }

    #[test]
    fn a_typed_error_reaches_the_boundary_with_its_code_and_keeps_its_source() {
        fn fails() -> Result<()> {
            Err(Upstreamish)?
        }
        let e = fails().unwrap_err();
        assert_eq!((e.code(), e.message()), (Code::Upstream, "S3 unreachable"));
        assert!(format!("{:#}", e.source.as_ref().unwrap()).contains("the bucket said no"));
        let e = Error::from(Buggy);
        assert_eq!((e.code(), e.message()), (Code::Internal, "internal error"));
    }
}
