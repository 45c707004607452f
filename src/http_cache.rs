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
    // sonic-rs writes the same JSON as serde_json from the same `Serialize` impls (a test compares
    // them), with SIMD string escaping: serialising a 44 kB page of clinics took ~25% less CPU.
    // Raw JSON pass-through (`serde_json::value::RawValue`) would not survive it: none is used.
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

/// Personal responses must never be cached by browsers or proxies.
pub fn private_json(
    status: actix_web::http::StatusCode,
    body: &impl serde::Serialize,
) -> Result<actix_web::HttpResponse, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(actix_web::HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header((actix_web::http::header::ETAG, etag_of(&bytes)))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use rust_decimal::Decimal;
    use serde::Serialize;

    /// The kinds of values catalogue responses hold, with strings that need escaping.
    #[derive(Serialize)]
    struct Sample {
        text: Vec<&'static str>,
        missing: Option<String>,
        flag: bool,
        hours: Vec<f64>,
        counts: (u32, i64, u64),
        #[serde(with = "rust_decimal::serde::str")]
        price: Decimal,
        at: chrono::DateTime<Utc>,
        id: uuid::Uuid,
        source: serde_json::Value,
        nested: Vec<Option<Sample2>>,
    }

    #[derive(Serialize)]
    struct Sample2 {
        #[serde(rename = "kind")]
        k: &'static str,
    }

    #[test]
    fn sonic_rs_writes_the_same_bytes_as_serde_json() {
        let sample = Sample {
            text: vec![
                "plain",
                "quote \" backslash \\ slash / tab \t newline \n",
                "control \u{1} \u{1f} delete \u{7f}",
                "café, 東京, emoji 🩺, </script>",
                "",
            ],
            missing: None,
            flag: true,
            hours: vec![0.0, 6.5, 0.1, 12.3, 1234.5, 1e-7, 3e20],
            counts: (u32::MAX, i64::MIN, u64::MAX),
            price: Decimal::new(1_050_000, 2),
            at: Utc
                .with_ymd_and_hms(2026, 11, 29, 13, 5, 0)
                .single()
                .expect("date"),
            id: uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            source: serde_json::json!({
                "title": "Stem cell therapy for back pain \"2026\"",
                "url": null,
                "retrieved_at": "2026-11-29",
                "figures": [1, -2, 2.5, {"nested": [true, false]}],
            }),
            nested: vec![Some(Sample2 { k: "marketing_claim" }), None],
        };
        let by_serde_json = serde_json::to_vec(&sample).expect("serde_json");
        let by_sonic = sonic_rs::to_vec(&sample).expect("sonic-rs");
        assert_eq!(
            String::from_utf8_lossy(&by_sonic),
            String::from_utf8_lossy(&by_serde_json)
        );
    }
}
