//! Response compression (docs/COMPRESSION.md): zstd, gzip and brotli by `Accept-Encoding`, bodies
//! that decode to exactly the identity bytes, `Vary`, one strong ETag per encoding, 304 across
//! encodings, exports still streamed, small responses left alone. The test client never decodes
//! (reqwest is built without its compression features), so every body here is what the server sent.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{TestApp, NDJSON_PAUSES, PAUSED_FIRST_LINE, PAUSED_SECOND_LINE};

const CODINGS: [&str; 3] = ["gzip", "br", "zstd"];

/// The first full pages of the catalogue, a FHIR resource and the OpenAPI document. (A FHIR search
/// is not here: its Bundle carries the search's own `timestamp`, so no two are the same bytes.)
async fn paths(app: &TestApp) -> Vec<String> {
    let services = app.get_json("/fhir/r4/HealthcareService?_count=50", 200).await;
    let largest = services["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .max_by_key(|entry| entry["resource"].to_string().len())
        .expect("a seeded HealthcareService");
    let id = largest["resource"]["id"].as_str().expect("id");
    vec![
        "/v1/clinics?page_size=20".to_owned(),
        "/v1/treatment-packages".to_owned(),
        format!("/fhir/r4/HealthcareService/{id}"),
        "/v1/openapi.json".to_owned(),
    ]
}

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("gzip body");
        }
        "br" => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .expect("brotli body");
        }
        "zstd" => out = zstd::stream::decode_all(body).expect("zstd body"),
        other => panic!("no decoder for {other}"),
    }
    out
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    let values: Vec<&str> = response
        .headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

fn varies_on_accept_encoding(response: &reqwest::Response) -> bool {
    header(response, "vary").is_some_and(|vary| {
        vary.split(',')
            .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding"))
    })
}

impl TestApp {
    async fn get_encoded(&self, path: &str, accept_encoding: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(value) = accept_encoding {
            request = request.header("accept-encoding", value);
        }
        request.send().await.expect("GET")
    }
}

/// The identity body and ETag of `path`.
async fn identity(app: &TestApp, path: &str) -> (Vec<u8>, String) {
    let response = app.get_encoded(path, None).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    assert_eq!(header(&response, "content-encoding"), None, "{path}");
    assert!(
        varies_on_accept_encoding(&response),
        "{path}: Vary on identity too"
    );
    let etag = header(&response, "etag").expect("etag");
    (response.bytes().await.expect("body").to_vec(), etag)
}

fn with_suffix(etag: &str, coding: &str) -> String {
    format!("{}-{coding}\"", etag.trim_end_matches('"'))
}

#[tokio::test]
async fn every_coding_decodes_to_exactly_the_identity_body() {
    let app = TestApp::spawn().await;
    for path in paths(&app).await {
        let path = path.as_str();
        let (plain, etag) = identity(&app, path).await;
        assert!(plain.len() > 1024, "{path} is above the threshold");
        for coding in CODINGS {
            let response = app.get_encoded(path, Some(coding)).await;
            assert_eq!(response.status().as_u16(), 200, "{path} {coding}");
            assert_eq!(
                header(&response, "content-encoding").as_deref(),
                Some(coding),
                "{path}"
            );
            assert!(varies_on_accept_encoding(&response), "{path} {coding}: Vary");
            assert_eq!(
                header(&response, "etag"),
                Some(with_suffix(&etag, coding)),
                "{path} {coding}: a strong ETag of its own"
            );
            let encoded = response.bytes().await.expect("body");
            // Pages and the spec shrink at least 3× (4–6× measured); a 1.6 kB resource ~1.5×.
            let bound = if plain.len() > 16 * 1024 {
                plain.len() / 3
            } else {
                plain.len()
            };
            assert!(
                encoded.len() < bound,
                "{path} {coding}: {} of {} bytes",
                encoded.len(),
                plain.len()
            );
            assert!(
                decode(coding, &encoded) == plain,
                "{path} {coding}: decodes to the identity bytes"
            );
        }
    }
}

#[tokio::test]
async fn q_values_choose_the_coding_and_identity_is_the_fallback() {
    let app = TestApp::spawn().await;
    let path = "/v1/clinics?page_size=20";
    let (plain, _) = identity(&app, path).await;
    for (accept, expected) in [
        ("gzip, br", Some("gzip")),
        ("gzip, deflate, br, zstd", Some("zstd")),
        ("gzip;q=0.5, br", Some("br")),
        ("br;q=0.2, zstd;q=0.1", Some("br")),
        ("*", Some("zstd")),
        ("identity;q=1, gzip;q=0.5", None),
        ("identity", None),
        ("gzip;q=0", None),
        ("gzip;q=0, br;q=0, zstd;q=0, identity;q=0", None),
        ("*;q=0", None),
        ("deflate, compress", None),
        ("", None),
    ] {
        let response = app.get_encoded(path, Some(accept)).await;
        assert_eq!(response.status().as_u16(), 200, "{accept:?}: never 406");
        assert_eq!(
            header(&response, "content-encoding").as_deref(),
            expected,
            "{accept:?}"
        );
        assert!(varies_on_accept_encoding(&response), "{accept:?}");
        if expected.is_none() {
            assert!(
                response.bytes().await.expect("body") == plain,
                "{accept:?}: identity body"
            );
        }
    }
}

#[tokio::test]
async fn a_tag_from_any_encoding_gets_304_with_the_requested_encodings_tag() {
    let app = TestApp::spawn().await;
    for path in paths(&app).await.iter().skip(1) {
        let (_, identity_tag) = identity(&app, path).await;
        let mut tags = vec![(None, identity_tag.clone())];
        for coding in CODINGS {
            let response = app.get_encoded(path, Some(coding)).await;
            tags.push((Some(coding), header(&response, "etag").expect("etag")));
        }
        for (_, held) in &tags {
            for (requested, expected_tag) in &tags {
                let mut request = app.client.get(app.url(path)).header("if-none-match", held);
                if let Some(coding) = requested {
                    request = request.header("accept-encoding", *coding);
                }
                let response = request.send().await.expect("GET");
                assert_eq!(
                    response.status().as_u16(),
                    304,
                    "{path}: {held} asked as {requested:?}"
                );
                assert_eq!(header(&response, "etag").as_ref(), Some(expected_tag), "{path}");
                assert!(varies_on_accept_encoding(&response), "{path}: Vary on the 304");
                assert!(header(&response, "cache-control").is_some_and(|c| c.starts_with("public")));
                assert_eq!(header(&response, "content-encoding"), None);
                assert!(response.bytes().await.expect("body").is_empty());
            }
        }
        // A tag of another state, in any coding, is not a match.
        let stale = with_suffix("\"00000000000000000000000000000000\"", "gzip");
        let response = app
            .client
            .get(app.url(path))
            .header("if-none-match", &stale)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
}

#[tokio::test]
async fn a_partner_can_update_with_the_etag_of_a_compressed_read() {
    let app = TestApp::spawn().await;
    let key = app.partner_key("Partner P", "cellular-hope-institute").await;
    let created = app
        .post_json(
            "/v1/partner/clinics",
            Some(&key),
            &crate::partners::clinic("p-gzip", "Example Spine Clinic"),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let location = header(&created, "location").expect("location");
    let read = app
        .client
        .get(app.url(&location))
        .bearer_auth(&key)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("GET");
    assert_eq!(header(&read, "content-encoding").as_deref(), Some("gzip"));
    let etag = header(&read, "etag").expect("etag");
    assert!(etag.ends_with("-gzip\""), "{etag}");
    let patched = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&key)
        .header("if-match", &etag)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"city": "Merida"}).to_string())
        .send()
        .await
        .expect("PATCH");
    assert_eq!(
        patched.status().as_u16(),
        200,
        "the gzip ETag names the same version"
    );
    // ... and once the version moved on, that tag is stale like any other.
    let again = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&key)
        .header("if-match", &etag)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"city": "Tulum"}).to_string())
        .send()
        .await
        .expect("PATCH");
    assert_eq!(again.status().as_u16(), 412);
}

fn lines(body: &[u8]) -> Vec<Value> {
    std::str::from_utf8(body)
        .expect("utf-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}

#[tokio::test]
async fn exports_are_compressed_as_a_stream_and_decode_to_the_same_lines() {
    let app = TestApp::spawn().await;
    let plain = app.get_encoded("/v1/exports", None).await;
    assert_eq!(header(&plain, "content-encoding"), None);
    let plain = lines(&plain.bytes().await.expect("body"));
    assert!(plain.len() > 2, "the seeded catalogue exports");
    for coding in CODINGS {
        let response = app.get_encoded("/v1/exports", Some(coding)).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(header(&response, "content-encoding").as_deref(), Some(coding));
        assert!(varies_on_accept_encoding(&response));
        assert_eq!(
            header(&response, "content-length"),
            None,
            "{coding}: streamed, not buffered"
        );
        assert_eq!(header(&response, "transfer-encoding").as_deref(), Some("chunked"));
        let decoded = lines(&decode(coding, &response.bytes().await.expect("body")));
        // Every line but the last is the same listing; the last is `export_complete` with the
        // same count (its `transaction_time` is the export's own).
        assert_eq!(decoded.len(), plain.len(), "{coding}");
        assert_eq!(decoded[..decoded.len() - 1], plain[..plain.len() - 1], "{coding}");
        let (last, plain_last) = (&decoded[decoded.len() - 1], &plain[plain.len() - 1]);
        assert_eq!(last["type"], "export_complete");
        assert_eq!(last["count"], plain_last["count"]);
    }
}

/// Feeds compressed chunks to a streaming decoder and returns what it has decoded so far.
struct IncrementalDecoder(Box<dyn Write>, Arc<std::sync::Mutex<Vec<u8>>>);

/// A `Write` target the decoder owns and the test reads.
struct Shared(Arc<std::sync::Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl IncrementalDecoder {
    fn new(coding: &str) -> Self {
        let out = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Shared(out.clone());
        let writer: Box<dyn Write> = match coding {
            "gzip" => Box::new(flate2::write::GzDecoder::new(sink)),
            "br" => Box::new(brotli::DecompressorWriter::new(sink, 4096)),
            "zstd" => Box::new(zstd::stream::write::Decoder::new(sink).expect("zstd decoder")),
            other => panic!("no decoder for {other}"),
        };
        Self(writer, out)
    }

    fn feed(&mut self, chunk: &[u8]) -> String {
        self.0.write_all(chunk).expect("decode");
        self.0.flush().expect("flush decoder");
        String::from_utf8(self.1.lock().expect("buffer").clone()).expect("utf-8")
    }
}

#[tokio::test]
async fn a_paused_stream_reaches_the_client_compressed_before_it_ends() {
    let app = TestApp::spawn().await;
    for coding in CODINGS {
        let key = uuid::Uuid::new_v4().to_string();
        let gate = Arc::new(tokio::sync::Notify::new());
        NDJSON_PAUSES
            .lock()
            .expect("pause gates")
            .insert(key.clone(), gate.clone());
        let mut response = app
            .get_encoded(&format!("/__test/paused-ndjson?key={key}"), Some(coding))
            .await;
        assert_eq!(header(&response, "content-encoding").as_deref(), Some(coding));
        let mut decoder = IncrementalDecoder::new(coding);
        // The server holds the second line until the gate opens: the first must arrive on its own.
        let first = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let chunk = response
                    .chunk()
                    .await
                    .expect("chunk")
                    .expect("the stream ended early");
                let decoded = decoder.feed(&chunk);
                if decoded == PAUSED_FIRST_LINE {
                    break decoded;
                }
                assert!(PAUSED_FIRST_LINE.starts_with(&decoded), "{coding}: {decoded:?}");
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{coding}: the first line was held back until the stream ended"));
        assert_eq!(first, PAUSED_FIRST_LINE);
        gate.notify_one();
        let mut all = first;
        while let Some(chunk) = response.chunk().await.expect("chunk") {
            all = decoder.feed(&chunk);
        }
        assert_eq!(
            all,
            format!("{PAUSED_FIRST_LINE}{PAUSED_SECOND_LINE}"),
            "{coding}"
        );
        NDJSON_PAUSES.lock().expect("pause gates").remove(&key);
    }
}

#[tokio::test]
async fn small_and_empty_responses_are_sent_as_they_are() {
    let app = TestApp::spawn().await;
    // A 15-byte JSON body and a ~170-byte problem: below the threshold, but still `Vary`.
    for (path, status) in [("/healthz", 200), ("/v1/no-such-thing", 404)] {
        let response = app.get_encoded(path, Some("gzip, br, zstd")).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_eq!(header(&response, "content-encoding"), None, "{path}");
        assert!(varies_on_accept_encoding(&response), "{path}");
        let body = response.bytes().await.expect("body");
        assert!(!body.is_empty() && body.len() < 1024, "{path}");
        assert!(
            serde_json::from_slice::<Value>(&body).is_ok(),
            "{path}: plain JSON"
        );
    }
    // A 204 has no body to encode.
    let response = app.get_encoded("/__test/query?page_size=1", Some("gzip")).await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(header(&response, "content-encoding"), None);
    // Not JSON (Swagger UI's page): neither encoded nor `Vary`-ed by this middleware.
    let response = app.get_encoded("/docs/", Some("gzip")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "content-encoding"), None);
}
