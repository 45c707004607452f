//! Conditional GETs for public catalogue reads: a strong `ETag` over the response bytes,
//! `Cache-Control: public, max-age=60`, and `304 Not Modified` for a matching `If-None-Match`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

pub const PUBLIC_CACHE: &str = "public, max-age=60";

/// The entity tag of a body: the first 128 bits of its SHA-256, quoted.
pub fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn matches_if_none_match(req: &HttpRequest, etag: &str) -> bool {
    let Some(value) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

/// Serialises `body` and answers 200 with validators, or 304 when the client's copy is current.
pub fn cacheable_json(req: &HttpRequest, body: &impl Serialize) -> Result<HttpResponse, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(cacheable_bytes(req, bytes, "application/json"))
}

/// Answers 200 with `bytes` of `content_type` and validators, or 304 when the client's copy is current.
pub fn cacheable_bytes(req: &HttpRequest, bytes: Vec<u8>, content_type: &str) -> HttpResponse {
    let etag = etag_of(&bytes);
    if matches_if_none_match(req, &etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE))
            .finish();
    }
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE))
        .body(bytes)
}
