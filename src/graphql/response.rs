//! What a GraphQL request is answered with, by the GraphQL-over-HTTP spec
//! (<https://graphql.github.io/graphql-over-http/draft/>): the media type the client accepts,
//! the status that goes with it, and bodies whose every error carries `extensions.code`.

use std::io;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{Quality, QualityItem};
use actix_web::mime;
use juniper::{ExecutionError, GraphQLError, Value};
use serde::Serialize;

use crate::error::{Code, Error};

/// The two response media types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json`: every well-formed request is answered 200, errors or not, because a
    /// client cannot tell a 4xx JSON body of ours from one of a proxy's.
    Json,
    /// `application/graphql-response+json`: a request error (nothing executed) is a 4xx.
    GraphqlResponse,
}

impl MediaType {
    /// The client's preferred type among `accept`'s items (`*/*` and `application/*` choose
    /// `application/json`, as do no items at all); `None` when it accepts neither.
    pub fn negotiate(accept: &[QualityItem<mime::Mime>]) -> Option<MediaType> {
        if accept.is_empty() {
            return Some(MediaType::Json);
        }
        let mut best: Option<(Quality, u8, MediaType)> = None;
        for item in accept {
            if item.quality == Quality::ZERO {
                continue;
            }
            let (specificity, media) = match item.item.essence_str() {
                "application/graphql-response+json" => (2, MediaType::GraphqlResponse),
                "application/json" => (2, MediaType::Json),
                "application/*" => (1, MediaType::Json),
                "*/*" => (0, MediaType::Json),
                _ => continue,
            };
            // The first of equals wins, so a client's order breaks ties.
            if best.is_none_or(|(q, s, _)| (item.quality, specificity) > (q, s)) {
                best = Some((item.quality, specificity, media));
            }
        }
        best.map(|(.., media)| media)
    }

    /// The `Content-Type` of the answer.
    pub fn content_type(self) -> &'static str {
        match self {
            MediaType::Json => "application/json; charset=utf-8",
            MediaType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }

    /// The status of a request error with `code`.
    pub fn request_error_status(self, code: Code) -> StatusCode {
        match self {
            MediaType::Json => StatusCode::OK,
            MediaType::GraphqlResponse => code.status(),
        }
    }
}

/// A request error: the document or its variables were refused and nothing ran. The body is
/// rendered once, so a refusal kept in the document cache costs a copy to answer again.
#[derive(Debug, Clone)]
pub struct RequestError {
    code: Code,
    body: Arc<[u8]>,
}

#[derive(Serialize)]
struct Errors<'a, E> {
    errors: &'a [E],
}

impl RequestError {
    /// One error, with its message and code.
    pub fn new(error: &Error) -> RequestError {
        RequestError {
            code: error.code(),
            body: error.to_json().to_string().into_bytes().into(),
        }
    }

    /// juniper's errors (messages and locations), each given `code`.
    pub fn from_juniper(error: &GraphQLError, code: Code) -> RequestError {
        let mut errors = match serde_json::to_value(error) {
            Ok(serde_json::Value::Array(errors)) => errors,
            _ => vec![serde_json::json!({"message": error.to_string()})],
        };
        for e in &mut errors {
            if let serde_json::Value::Object(e) = e {
                e.insert(
                    "extensions".into(),
                    serde_json::json!({"code": code.as_str()}),
                );
            }
        }
        let body = serde_json::to_vec(&Errors { errors: &errors }).unwrap_or_default();
        RequestError {
            code,
            body: body.into(),
        }
    }

    /// The code of its errors.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The response body, `{"errors": [...]}`.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// The code of an error juniper gave while preparing a document.
pub fn preparation_code(error: &GraphQLError) -> Code {
    match error {
        GraphQLError::ParseError(e) => match &e.item {
            juniper::ParseError::DepthLimitExceeded(_)
            | juniper::ParseError::TokenLimitExceeded(_)
            | juniper::ParseError::FieldLimitExceeded(_) => Code::BadUserInput,
            _ => Code::GraphqlParseFailed,
        },
        GraphQLError::NoOperationProvided
        | GraphQLError::MultipleOperationsProvided
        | GraphQLError::UnknownOperationName => Code::OperationResolutionFailure,
        GraphQLError::ValidationError(_)
        | GraphQLError::IsSubscription
        | GraphQLError::NotSubscription
        | GraphQLError::NotSupported(_) => Code::GraphqlValidationFailed,
    }
}

/// The answer was larger than the limit; nothing of it was sent.
#[derive(Debug)]
pub struct TooLarge;

/// `{"data": …, "errors": […]}` of an executed operation, at most `limit` bytes. An error
/// without a code is juniper's own (ours all have one): it is marked `INTERNAL`.
pub fn executed(
    data: &Value,
    errors: &[ExecutionError<juniper::DefaultScalarValue>],
    limit: usize,
) -> Result<Vec<u8>, TooLarge> {
    #[derive(Serialize)]
    struct Executed<'a> {
        data: &'a Value,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        errors: &'a [serde_json::Value],
    }
    let errors: Vec<serde_json::Value> = errors.iter().map(with_code).collect();
    let mut out = Bounded {
        buf: Vec::with_capacity(limit.min(16 * 1024)),
        limit,
        over: false,
    };
    // sonic-rs escapes strings with SIMD: a gallery's 50 signed URLs are 20 KB of text, which
    // serde_json scans byte by byte.
    let written = sonic_rs::to_writer(
        sonic_rs::writer::BufferedWriter::new(&mut out),
        &Executed {
            data,
            errors: &errors,
        },
    );
    match written {
        Ok(()) => Ok(out.buf),
        Err(_) if out.over => Err(TooLarge),
        Err(e) => {
            // Serialising a juniper value cannot fail but for the limit; say so if it ever does.
            tracing::error!(error = %e, "encoding a GraphQL response");
            Err(TooLarge)
        }
    }
}

fn with_code(error: &ExecutionError<juniper::DefaultScalarValue>) -> serde_json::Value {
    let mut value = serde_json::to_value(error)
        .unwrap_or_else(|_| serde_json::json!({"message": error.error().message()}));
    if let serde_json::Value::Object(e) = &mut value {
        let extensions = e
            .entry("extensions")
            .or_insert_with(|| serde_json::json!({}));
        if let serde_json::Value::Object(x) = extensions
            && !x.contains_key("code")
        {
            x.insert("code".into(), Code::Internal.as_str().into());
        }
    }
    value
}

/// A body that refuses to grow past its limit.
struct Bounded {
    buf: Vec<u8>,
    limit: usize,
    over: bool,
}

impl io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buf.len() + bytes.len() > self.limit {
            self.over = true;
            return Err(io::Error::other("response over its size limit"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(header: &str) -> Option<MediaType> {
        let items: Vec<QualityItem<mime::Mime>> = header
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse().expect("media range"))
            .collect();
        MediaType::negotiate(&items)
    }

    #[test]
    fn the_client_s_preference_decides_the_media_type() {
        use MediaType::{GraphqlResponse, Json};
        for (header, want) in [
            ("", Some(Json)),
            ("application/json", Some(Json)),
            ("*/*", Some(Json)),
            ("application/*", Some(Json)),
            ("application/graphql-response+json", Some(GraphqlResponse)),
            // Apollo Client's and the spec's recommended header.
            (
                "application/graphql-response+json,application/json;q=0.9",
                Some(GraphqlResponse),
            ),
            (
                "application/graphql-response+json; charset=utf-8, application/json; charset=utf-8",
                Some(GraphqlResponse),
            ),
            (
                "application/json, application/graphql-response+json",
                Some(Json),
            ),
            (
                "application/json;q=0.5, application/graphql-response+json",
                Some(GraphqlResponse),
            ),
            (
                "*/*, application/graphql-response+json",
                Some(GraphqlResponse),
            ),
            ("text/html,application/xhtml+xml,*/*;q=0.8", Some(Json)),
            ("text/html", None),
            ("application/json;q=0", None),
        ] {
            assert_eq!(accept(header), want, "Accept: {header}");
        }
    }

    #[test]
    fn request_errors_are_200_as_json_and_4xx_as_graphql_responses() {
        for code in [Code::GraphqlParseFailed, Code::BadUserInput] {
            assert_eq!(MediaType::Json.request_error_status(code), StatusCode::OK);
            assert_eq!(
                MediaType::GraphqlResponse.request_error_status(code),
                StatusCode::BAD_REQUEST
            );
        }
    }

    #[test]
    fn executed_bodies_are_bounded() {
        let data = juniper::graphql_value!({"a": "x".repeat(100)});
        let body = executed(&data, &[], 1024).expect("fits");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(json, serde_json::json!({"data": {"a": "x".repeat(100)}}));
        assert!(executed(&data, &[], 50).is_err());
    }
}
