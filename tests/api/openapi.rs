//! The committed spec is what the server serves and what `stemcare openapi` prints.
//! `UPDATE_OPENAPI=1 cargo test openapi` rewrites the committed file.

use crate::helpers::TestApp;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

fn generated() -> String {
    stemcare::openapi::render(&stemcare::startup::openapi_document())
}

#[tokio::test]
async fn committed_spec_matches_the_generated_one() {
    let generated = generated();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).expect("write openapi/openapi.json");
    }
    let committed = std::fs::read_to_string(COMMITTED).expect("openapi/openapi.json is committed");
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json` (or UPDATE_OPENAPI=1 cargo test)"
    );
}

#[tokio::test]
async fn the_server_serves_the_committed_spec() {
    let app = TestApp::spawn().await;
    let response = app.get("/v1/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    let served = response.text().await.expect("body");
    let committed = std::fs::read_to_string(COMMITTED).expect("committed spec");
    assert_eq!(served, committed);
}

#[test]
fn the_cli_prints_the_committed_spec() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_stemcare"))
        .arg("openapi")
        .output()
        .expect("run");
    assert!(output.status.success());
    let committed = std::fs::read_to_string(COMMITTED).expect("committed spec");
    assert_eq!(String::from_utf8_lossy(&output.stdout), committed);
}

#[tokio::test]
async fn the_spec_describes_itself_honestly() {
    let spec: serde_json::Value = serde_json::from_str(&generated()).expect("json");
    assert_eq!(spec["openapi"], "3.1.0");
    let info = &spec["info"];
    assert_eq!(info["title"], "StemCare API");
    assert!(info["description"]
        .as_str()
        .unwrap_or("")
        .contains("not medical advice"));
    assert!(info["contact"]["name"].is_string());
    assert!(info["license"]["name"].is_string());
    assert!(spec["paths"]["/readyz"]["get"]["responses"]["503"].is_object());
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status().as_u16(), 308);
    let page = app.get("/docs/").await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "Swagger UI page");
    assert!(!html.contains("cdn") && !html.contains("unpkg"), "no CDN assets");
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        let response = app.get(asset).await;
        assert_eq!(response.status().as_u16(), 200, "{asset}");
        if asset.ends_with("initializer.js") {
            assert!(response.text().await.expect("js").contains("/v1/openapi.json"));
        }
    }
}

/// Every text pattern in the document is one of the two rules `stemcare::text` enforces (the
/// attributes spell them out as literals, so a typo there would otherwise go unnoticed).
#[test]
fn text_patterns_are_the_ones_the_server_enforces() {
    fn collect(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(pattern)) = map.get("pattern") {
                    found.push(pattern.clone());
                }
                map.values().for_each(|v| collect(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, found)),
            _ => {}
        }
    }
    let document: serde_json::Value = serde_json::from_str(&generated()).expect("JSON");
    let mut patterns = Vec::new();
    collect(&document, &mut patterns);
    let texts: Vec<&String> = patterns.iter().filter(|p| p.contains(r"\u0000")).collect();
    assert!(
        texts.len() > 20,
        "text fields carry their pattern: {}",
        texts.len()
    );
    for pattern in texts {
        assert!(
            pattern == stemcare::text::TEXT_PATTERN || pattern == stemcare::text::FREE_TEXT_PATTERN,
            "{pattern}"
        );
    }
}
