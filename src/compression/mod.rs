//! Response compression: zstd, gzip or brotli, negotiated by `Accept-Encoding`, for JSON bodies
//! (`application/json`, `application/*+json` such as FHIR and problems, NDJSON exports) of at least
//! [`MIN_COMPRESSED_LEN`] bytes, with `Vary: Accept-Encoding` and an ETag per encoding.
//! docs/COMPRESSION.md has the measurements behind the levels, the order and the threshold.
//!
//! Not actix-web's `middleware::Compress`, which on the same codecs prefers brotli at quality 3
//! (~1.2× the CPU of the whole request on a full page of clinics, measured), has fixed levels, no
//! size threshold, answers an unacceptable `Accept-Encoding` with a plain-text 406, sends `Vary`
//! only on encoded responses, keeps the identity ETag on encoded bytes and compresses every chunk
//! of 1 kB or more on the blocking pool.

mod codec;
mod negotiate;

use std::sync::Arc;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::Error;

pub use codec::{compress, Levels, ONCE, PER_RESPONSE};
pub use negotiate::negotiate;

use crate::http_cache::{etag_for_coding, Representation};

/// Bodies shorter than this go out as they are: with the ~450 bytes of headers they fit in one
/// TCP segment (1460 bytes) anyway, so compressing them saves no packet and costs CPU.
pub const MIN_COMPRESSED_LEN: usize = 1024;

/// A content coding the server applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Zstd,
    Gzip,
    Brotli,
}

impl Coding {
    /// The server's order among codings the client rates equally: zstd gave the smallest bodies
    /// for the least CPU at level 1, gzip is next, brotli (in Rust) costs 2.5–4× either.
    pub const PREFERENCE: [Coding; 3] = [Coding::Zstd, Coding::Gzip, Coding::Brotli];

    /// The `Content-Encoding` token.
    pub const fn token(self) -> &'static str {
        match self {
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
            Coding::Brotli => "br",
        }
    }

    fn from_token(token: &str) -> Option<Coding> {
        let is = |name: &str| token.eq_ignore_ascii_case(name);
        if is("zstd") {
            Some(Coding::Zstd)
        } else if is("gzip") || is("x-gzip") {
            // RFC 9110 §8.4.1.3: recipients treat x-gzip as gzip.
            Some(Coding::Gzip)
        } else if is("br") {
            Some(Coding::Brotli)
        } else {
            None
        }
    }

    /// Its position in [`Coding::PREFERENCE`].
    pub const fn index(self) -> usize {
        match self {
            Coding::Zstd => 0,
            Coding::Gzip => 1,
            Coding::Brotli => 2,
        }
    }
}

/// A body that keeps its own encodings (compressed once, at [`ONCE`] levels).
pub trait EncodedVariants: Send + Sync {
    /// The body encoded with `coding`, or `None` to compress it per response.
    fn encoded(&self, coding: Coding) -> Option<Bytes>;
}

/// Response extension: the 200's body has ready-made encodings, used instead of compressing.
#[derive(Clone)]
pub struct Precompressed(pub Arc<dyn EncodedVariants>);

/// Whether responses of this `Content-Type` are compressed: JSON, `+json` types and NDJSON.
pub fn is_compressible(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence == "application/x-ndjson"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The middleware: negotiates before the handler runs and encodes what it returns.
pub async fn compress_responses(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let coding = negotiate(req.headers().get(header::ACCEPT_ENCODING));
    let response = next.call(req).await?.map_into_boxed_body();
    Ok(encode(response, coding).await)
}

async fn encode(mut response: ServiceResponse<BoxBody>, coding: Option<Coding>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        // A 304 has the ETag and Vary the 200 would have had (RFC 9110 §15.4.5).
        let representation = response.response().extensions().get::<Representation>().copied();
        if let Some(representation) = representation.filter(|r| is_compressible(r.content_type)) {
            add_vary(response.headers_mut());
            if let Some(coding) = coding.filter(|_| representation.len >= MIN_COMPRESSED_LEN) {
                retag(response.headers_mut(), coding);
            }
        }
        return response;
    }
    let compressible = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_compressible);
    if !compressible {
        return response;
    }
    add_vary(response.headers_mut());
    let Some(coding) = coding else {
        return response;
    };
    if response.headers().contains_key(header::CONTENT_ENCODING)
        || status.is_informational()
        || matches!(status, StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT)
    {
        return response;
    }
    let precompressed = response.response().extensions().get::<Precompressed>().cloned();
    if let Some(Precompressed(variants)) = precompressed.filter(|_| status == StatusCode::OK) {
        // The first request per coding compresses ~1 MB at high levels: off the async worker.
        if let Ok(Some(encoded)) = web::block(move || variants.encoded(coding)).await {
            return response.map_body(|head, _identity| {
                mark_encoded(head.headers_mut(), coding);
                BoxBody::new(encoded)
            });
        }
    }
    response.map_body(|head, body| match body.size() {
        BodySize::None => body,
        BodySize::Sized(len) if len < MIN_COMPRESSED_LEN as u64 => body,
        BodySize::Sized(_) => match body.try_into_bytes() {
            Ok(bytes) => match compress(coding, &bytes, PER_RESPONSE) {
                Ok(encoded) => {
                    mark_encoded(head.headers_mut(), coding);
                    BoxBody::new(encoded)
                }
                Err(error) => {
                    log::error!("{} compression failed, sending identity: {error}", coding.token());
                    BoxBody::new(bytes)
                }
            },
            Err(body) => encode_stream(head, body, coding),
        },
        BodySize::Stream => encode_stream(head, body, coding),
    })
}

fn encode_stream(head: &mut actix_web::dev::ResponseHead, body: BoxBody, coding: Coding) -> BoxBody {
    match codec::StreamEncoder::new(coding, PER_RESPONSE) {
        Ok(encoder) => {
            mark_encoded(head.headers_mut(), coding);
            // A sized stream was sent without chunking; its encoding has no known length.
            head.no_chunking(false);
            BoxBody::new(codec::EncodedStream::new(body, encoder))
        }
        Err(error) => {
            log::error!(
                "{} stream encoder failed, sending identity: {error}",
                coding.token()
            );
            body
        }
    }
}

fn mark_encoded(headers: &mut HeaderMap, coding: Coding) {
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
    // The length is the encoded body's, which actix sets from the body.
    headers.remove(header::CONTENT_LENGTH);
    retag(headers, coding);
}

/// Gives the ETag the coding's suffix; a tag that cannot carry one is dropped rather than left to
/// name two different byte sequences.
fn retag(headers: &mut HeaderMap, coding: Coding) {
    let Some(etag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) else {
        return;
    };
    match etag_for_coding(etag, coding.token()).and_then(|tag| HeaderValue::from_str(&tag).ok()) {
        Some(tag) => {
            headers.insert(header::ETAG, tag);
        }
        None => {
            headers.remove(header::ETAG);
        }
    }
}

/// Appends `Accept-Encoding` to `Vary` unless it is there already (or `Vary: *`).
fn add_vary(headers: &mut HeaderMap) {
    let present = headers
        .get_all(header::VARY)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|name| {
            let name = name.trim();
            name == "*" || name.eq_ignore_ascii_case("accept-encoding")
        });
    if !present {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_coding_has_an_etag_suffix() {
        for coding in Coding::PREFERENCE {
            assert!(crate::http_cache::CODING_SUFFIXES.contains(&coding.token()));
            assert_eq!(Coding::PREFERENCE[coding.index()], coding);
            assert_eq!(Coding::from_token(coding.token()), Some(coding));
        }
    }

    #[test]
    fn json_family_and_ndjson_are_compressible() {
        for yes in [
            "application/json",
            "application/json; charset=utf-8",
            "application/problem+json",
            "application/fhir+json",
            "Application/FHIR+JSON;fhirVersion=4.0",
            "application/x-ndjson",
        ] {
            assert!(is_compressible(yes), "{yes}");
        }
        for no in [
            "text/html",
            "image/png",
            "application/octet-stream",
            "application/jsonx",
            "",
        ] {
            assert!(!is_compressible(no), "{no}");
        }
    }

    #[test]
    fn vary_is_added_once() {
        let mut headers = HeaderMap::new();
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        add_vary(&mut headers);
        add_vary(&mut headers);
        let values: Vec<_> = headers.get_all(header::VARY).collect();
        assert_eq!(values, ["Origin", "Accept-Encoding"]);
    }
}
