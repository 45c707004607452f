//! Reading large JSON bodies (bulk imports) with their own size limit, since the global JSON
//! limit is deliberately small.

use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use crate::error::{ApiError, ProblemKind};

/// The largest import body, in bytes.
pub const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Reads a JSON body of at most `limit` bytes, with the same problems as the JSON extractor.
pub async fn read_json(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<serde_json::Value, ApiError> {
    let is_json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
    if !is_json {
        return Err(ApiError::new(
            ProblemKind::UnsupportedMediaType,
            "send the body as JSON with `Content-Type: application/json`",
        ));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(
                ProblemKind::PayloadTooLarge,
                format!("the body is larger than {limit} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            ProblemKind::MalformedJson,
            format!(
                "the body is not valid JSON (at line {} column {})",
                e.line(),
                e.column()
            ),
        )
    })
}
