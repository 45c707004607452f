//! Conditional GETs for public catalogue reads: a strong `ETag` over the response bytes,
//! `Cache-Control: public, max-age=60`, and `304 Not Modified` for a matching `If-None-Match`.
//!
//! ETags and content codings (RFC 9110 §8.8.3: a strong ETag names one representation): the tag
//! computed here names the identity bytes; when `compression` encodes a response it appends the
//! coding, `"<hash>"` becoming `"<hash>-gzip"`, so each encoding's bytes have their own strong tag.
//! Weakening the tag instead (`W/"<hash>"`, as nginx does) would also be honest, but `If-Match`
//! uses strong comparison and could then never match a tag from a compressed response. Every
//! precondition compares *entities*: a tag matches when it names the current state in any coding
//! ([`names_current`]), so a client holding `"<hash>-br"` gets 304 from a later identity request
//! too; the 304 carries the tag of the representation that request would have received.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_128;

use crate::error::ApiError;

pub const PUBLIC_CACHE: &str = "public, max-age=60";

/// The content codings that get an ETag suffix: the tokens of `compression::Coding`.
pub const CODING_SUFFIXES: [&str; 3] = ["zstd", "gzip", "br"];

/// What the 200 would have carried, attached to the responses built here (a response extension)
/// so that `compression` can give a 304 the `ETag` and `Vary` of the representation it stands for.
#[derive(Debug, Clone, Copy)]
pub struct Representation {
    pub content_type: &'static str,
    pub len: usize,
}

/// The entity tag of a body: its 128-bit XXH3 hash in hex, quoted. The tag only has to change
/// when the bytes do (no adversary gains from a collision in their own cache), so a fast,
/// specified non-cryptographic hash serves; SHA-256 cost ~5% of a 44 kB list response's CPU.
pub fn etag_of(bytes: &[u8]) -> String {
    format!("\"{:032x}\"", xxh3_128(bytes))
}

/// The tag of the same content sent with content coding `coding`: `"abc"` → `"abc-gzip"`,
/// `W/"abc"` → `W/"abc-gzip"`; `None` for a value that is not a quoted entity tag.
pub fn etag_for_coding(etag: &str, coding: &str) -> Option<String> {
    let weak = if etag.starts_with("W/") { "W/" } else { "" };
    let opaque = opaque_tag(etag)?;
    Some(format!("{weak}\"{opaque}-{coding}\""))
}

/// The text between the quotes, without a weakness prefix.
fn opaque_tag(tag: &str) -> Option<&str> {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"')?.strip_suffix('"')
}

/// Whether `candidate` (one tag from `If-None-Match` or `If-Match`) names the entity whose identity
/// tag is `current`, in any content coding. Weakness is ignored, as every check here always has.
pub fn names_current(candidate: &str, current: &str) -> bool {
    let (Some(candidate), Some(current)) = (opaque_tag(candidate), opaque_tag(current)) else {
        return false;
    };
    candidate == current
        || CODING_SUFFIXES.iter().any(|coding| {
            candidate
                .strip_suffix(coding)
                .and_then(|base| base.strip_suffix('-'))
                == Some(current)
        })
}

/// Whether a precondition header's value (`*` or a list of tags) matches `current`.
pub fn list_matches(value: &str, current: &str) -> bool {
    value
        .split(',')
        .any(|candidate| candidate.trim() == "*" || names_current(candidate, current))
}

fn matches_if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|value| list_matches(value, etag))
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
pub fn cacheable_bytes(req: &HttpRequest, bytes: Vec<u8>, content_type: &'static str) -> HttpResponse {
    let etag = etag_of(&bytes);
    cacheable(req, Bytes::from(bytes), etag, content_type, PUBLIC_CACHE)
}

/// [`cacheable_bytes`] for a body whose tag is already known, with its own `Cache-Control`.
pub fn cacheable(
    req: &HttpRequest,
    body: Bytes,
    etag: String,
    content_type: &'static str,
    cache_control: &'static str,
) -> HttpResponse {
    let representation = Representation {
        content_type,
        len: body.len(),
    };
    let mut response = if matches_if_none_match(req, &etag) {
        HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .finish()
    } else {
        HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .body(body)
    };
    response.extensions_mut().insert(representation);
    response
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
    fn a_tag_matches_its_entity_in_any_coding() {
        use super::{etag_for_coding, list_matches, names_current};
        let current = "\"0123abcd\"";
        assert_eq!(
            etag_for_coding(current, "gzip").as_deref(),
            Some("\"0123abcd-gzip\"")
        );
        assert_eq!(etag_for_coding("W/\"7\"", "br").as_deref(), Some("W/\"7-br\""));
        assert_eq!(etag_for_coding("unquoted", "br"), None);
        for candidate in [
            "\"0123abcd\"",
            "W/\"0123abcd\"",
            "\"0123abcd-gzip\"",
            "\"0123abcd-br\"",
            " \"0123abcd-zstd\" ",
        ] {
            assert!(names_current(candidate, current), "{candidate}");
        }
        for candidate in [
            "\"0123abc\"",
            "\"0123abcd-deflate\"",
            "\"0123abcd-\"",
            "\"0123abcdgzip\"",
            "0123abcd",
            "\"x-gzip\"",
        ] {
            assert!(!names_current(candidate, current), "{candidate}");
        }
        assert!(list_matches("\"other\", \"0123abcd-br\"", current));
        assert!(list_matches("*", current));
        assert!(!list_matches("\"other\", \"other-gzip\"", current));
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
