//! Conditional GETs for public catalogue reads: a strong `ETag` over the response bytes,
//! `Cache-Control: public, max-age=60`, and `304 Not Modified` for a matching `If-None-Match`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_128;

use crate::error::ApiError;

pub const PUBLIC_CACHE: &str = "public, max-age=60";

/// The entity tag of a body: its 128-bit XXH3 hash in hex, quoted. The tag only has to change
/// when the bytes do (no adversary gains from a collision in their own cache), so a fast,
/// specified non-cryptographic hash serves; SHA-256 cost ~5% of a 44 kB list response's CPU.
pub fn etag_of(bytes: &[u8]) -> String {
    format!("\"{:032x}\"", xxh3_128(bytes))
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
    // Lists run to tens of kB: start at 16 kB rather than regrow from serde_json's 128 bytes.
    let mut bytes = Vec::with_capacity(16 * 1024);
    sonic_rs::to_writer(&mut bytes, body).map_err(ApiError::internal)?;
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
