//! Extractor configuration: actix's own rejections (bad JSON, bad query, oversize bodies,
//! wrong content type, bad path segments) become the API's problem responses.

use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::{web, HttpRequest};

use crate::error::{ApiError, ProblemKind};

/// JSON bodies: `limit` bytes at most, `application/json` (or `+json`) only.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .content_type(|mime| mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        .error_handler(move |error, _req| json_error(error, limit).into())
}

/// Raw bodies (anything that is not JSON) obey the same limit.
pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _req| query_error(error).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, req| path_error(error, req).into())
}

fn json_error(error: JsonPayloadError, limit: usize) -> ApiError {
    match error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => ApiError::new(
            ProblemKind::PayloadTooLarge,
            format!("the body is larger than {limit} bytes"),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            ProblemKind::UnsupportedMediaType,
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonPayloadError::Deserialize(error) => deserialize_error(&error),
        JsonPayloadError::Payload(PayloadError::Overflow) => ApiError::new(
            ProblemKind::PayloadTooLarge,
            format!("the body is larger than {limit} bytes"),
        ),
        JsonPayloadError::Payload(_) => ApiError::bad_request("the request body could not be read"),
        _ => ApiError::bad_request("the request body could not be read"),
    }
}

/// Syntax errors are 400 (the body is not JSON); well-formed JSON of the wrong shape is 422.
fn deserialize_error(error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let position = format!("line {} column {}", error.line(), error.column());
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::new(
            ProblemKind::MalformedJson,
            format!("the body is not valid JSON (at {position})"),
        ),
        Category::Data => {
            // serde's message names the field and the expected type; it holds nothing internal.
            let message = strip_position(&error.to_string());
            ApiError::validation(vec![crate::error::FieldError {
                pointer: String::new(),
                message,
            }])
        }
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

fn query_error(error: QueryPayloadError) -> ApiError {
    let message = match &error {
        QueryPayloadError::Deserialize(inner) => inner.to_string(),
        _ => "could not be parsed".to_owned(),
    };
    ApiError::new(
        ProblemKind::InvalidQuery,
        format!("invalid query string: {message}"),
    )
    .with_field("/query", message)
}

fn path_error(error: PathError, req: &HttpRequest) -> ApiError {
    let PathError::Deserialize(inner) = error else {
        return ApiError::not_found(format!("nothing exists at {}", req.path()));
    };
    // A malformed id cannot name an existing resource.
    ApiError::not_found(format!("nothing exists at {}: {inner}", req.path()))
}
