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

/// The document with every `#/components/headers/…` and `#/components/responses/…` `$ref`
/// replaced by its target; a `description` beside the `$ref` overrides the target's (OpenAPI 3.1
/// Reference Object). Panics on a dangling reference.
fn dereferenced(document: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    fn walk(document: &Value, value: &Value, hops: usize) -> Value {
        assert!(hops < 8, "a $ref cycle");
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    if target.starts_with("#/components/headers/")
                        || target.starts_with("#/components/responses/")
                    {
                        let mut resolved = document
                            .pointer(&target[1..])
                            .unwrap_or_else(|| panic!("dangling {target}"))
                            .clone();
                        for (key, value) in map {
                            assert!(
                                ["$ref", "description", "summary"].contains(&key.as_str()),
                                "{key} beside {target}"
                            );
                            if key != "$ref" {
                                resolved[key] = value.clone();
                            }
                        }
                        return walk(document, &resolved, hops + 1);
                    }
                }
                Value::Object(
                    map.iter()
                        .map(|(key, value)| (key.clone(), walk(document, value, hops)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(document, v, hops)).collect()),
            other => other.clone(),
        }
    }
    walk(document, document, 0)
}

fn references(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                found.push(target.clone());
            }
            map.values().for_each(|v| references(v, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

/// The rate-limit and CORS headers and the problem responses every operation repeats are written
/// once under `components` (issue 19); dereferenced, each operation documents what it did inline.
#[tokio::test]
async fn shared_headers_and_responses_resolve_to_what_each_operation_documented() {
    let app = TestApp::spawn().await;
    let served = app.get_json("/v1/openapi.json", 200).await;
    let mut targets = Vec::new();
    references(&served, &mut targets);
    for target in &targets {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external {target}"));
        assert!(served.pointer(pointer).is_some(), "dangling {target}");
    }
    for shared in [
        "RateLimit",
        "RateLimit-Policy",
        "Access-Control-Allow-Origin",
        "Retry-After",
        "WWW-Authenticate",
    ] {
        assert!(
            served["components"]["headers"][shared]["schema"].is_object(),
            "{shared}"
        );
        let target = format!("#/components/headers/{shared}");
        assert!(
            targets.iter().filter(|t| **t == target).count() >= 1,
            "{target} is used"
        );
    }
    assert!(
        targets
            .iter()
            .filter(|t| t.starts_with("#/components/responses/"))
            .count()
            > 200,
        "operations refer to the shared responses"
    );

    let spec = dereferenced(&served);
    let problem =
        serde_json::json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}});
    let fhir = serde_json::json!({"application/fhir+json": {}});
    // (path, method, an error answer of its own with its description, the 500's body)
    let operations = [
        (
            "/v1/clinics",
            "get",
            ("400", "Invalid filter, currency, order, page size or page token"),
            &problem,
        ),
        ("/v1/clinics/{id}", "get", ("404", "No such clinic"), &problem),
        ("/v1/admin/partners", "get", ("403", "Not an admin key"), &problem),
        (
            "/v1/partner/clinics",
            "get",
            ("403", "Not a partner key"),
            &problem,
        ),
        (
            "/fhir/r4/Organization/{id}",
            "get",
            ("404", "Unknown, malformed or non-public id: an OperationOutcome"),
            &fhir,
        ),
    ];
    for (path, method, (status, description), internal) in operations {
        let operation = &spec["paths"][path][method];
        let responses = operation["responses"].as_object().expect("responses");
        for (code, response) in responses {
            let headers = &response["headers"];
            if code.starts_with('2') || code.starts_with('4') {
                for name in ["RateLimit", "RateLimit-Policy", "Access-Control-Allow-Origin"] {
                    assert_eq!(headers[name]["schema"]["type"], "string", "{path} {code} {name}");
                    assert!(headers[name]["description"].is_string(), "{path} {code} {name}");
                }
            }
        }
        assert_eq!(responses[status]["description"], description, "{path}");
        let too_many = &responses["429"];
        assert_eq!(
            too_many["description"],
            "Too many requests: wait `Retry-After` seconds"
        );
        assert_eq!(too_many["content"], problem, "{path}");
        assert_eq!(too_many["headers"]["Retry-After"]["schema"]["type"], "integer");
        assert_eq!(responses["4XX"]["content"], problem, "{path}");
        assert_eq!(responses["5XX"]["content"], problem, "{path}");
        assert_eq!(&responses["500"]["content"], internal, "{path}");
        let secured = operation["security"] != serde_json::json!([{}]);
        assert_eq!(responses.contains_key("401"), secured, "{path}");
        if secured {
            let unauthorized = &responses["401"];
            assert_eq!(unauthorized["content"], problem, "{path}");
            assert_eq!(
                unauthorized["headers"]["WWW-Authenticate"]["schema"]["pattern"], "^Bearer ",
                "{path}"
            );
            assert_eq!(responses["403"]["content"], problem, "{path}");
        }
    }
    // The probes are exempt from rate limiting: no 429, no RateLimit headers.
    let probe = &spec["paths"]["/healthz"]["get"]["responses"];
    assert!(probe.get("429").is_none());
    assert!(probe["200"].get("headers").is_none());
    assert_eq!(probe["500"]["content"], problem);
}

/// A generic page carries a `$ref` to its item's component, not a second copy of it.
#[test]
fn pages_refer_to_their_item_schema() {
    let spec: serde_json::Value = serde_json::from_str(&generated()).expect("JSON");
    let schemas = &spec["components"]["schemas"];
    for (page, item) in [
        ("ScreenedPage_ClinicResponse", "ClinicResponse"),
        (
            "ScreenedPage_TreatmentPackageResponse",
            "TreatmentPackageResponse",
        ),
        ("EvidenceList_StudyResponse", "StudyResponse"),
        ("Page_QuoteResponse", "QuoteResponse"),
    ] {
        assert_eq!(
            schemas[page]["properties"]["items"]["items"]["$ref"],
            format!("#/components/schemas/{item}"),
            "{page}"
        );
        assert!(schemas[item]["properties"].is_object(), "{item}");
    }
}

/// The schema of property `name` of `schema`, following `$ref`s and `allOf` / `oneOf` / `anyOf`.
fn property<'a>(
    document: &'a serde_json::Value,
    schema: &'a serde_json::Value,
    name: &str,
) -> Option<&'a serde_json::Value> {
    if let Some(target) = schema["$ref"].as_str() {
        let resolved = document
            .pointer(&target[1..])
            .unwrap_or_else(|| panic!("dangling {target}"));
        return property(document, resolved, name);
    }
    schema["properties"].get(name).or_else(|| {
        ["allOf", "oneOf", "anyOf"].iter().find_map(|key| {
            schema[*key]
                .as_array()?
                .iter()
                .find_map(|part| property(document, part, name))
        })
    })
}

/// Every OpenAPI link (what the fuzz gate's stateful phase and generated clients follow) names an
/// operation that exists, fills every path parameter of it and nothing else, and takes each value
/// from a field the source response documents or a path parameter the source request has.
#[test]
fn every_link_fills_a_real_operation_from_real_values() {
    let spec: serde_json::Value = serde_json::from_str(&generated()).expect("json");
    let path_parameters = |operation: &serde_json::Value| -> Vec<String> {
        operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect()
    };
    let operations: Vec<(String, &serde_json::Value)> = spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("path item").values())
        .filter_map(|op| Some((op["operationId"].as_str()?.to_owned(), op)))
        .collect();
    let mut links = 0;
    for (source_id, source) in &operations {
        for (status, response) in source["responses"].as_object().expect("responses") {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                links += 1;
                let target_id = link["operationId"].as_str().expect("link operationId");
                let (_, target) = operations
                    .iter()
                    .find(|(id, _)| id == target_id)
                    .unwrap_or_else(|| panic!("{source_id} {status} {name}: no operation {target_id}"));
                let mut filled: Vec<String> = link["parameters"]
                    .as_object()
                    .expect("link parameters")
                    .keys()
                    .cloned()
                    .collect();
                let mut wanted = path_parameters(target);
                filled.sort();
                wanted.sort();
                assert_eq!(
                    filled, wanted,
                    "{source_id} {status} {name}: path parameters of {target_id}"
                );
                for expression in link["parameters"].as_object().expect("parameters").values() {
                    let expression = expression.as_str().expect("expression");
                    if let Some(field) = expression.strip_prefix("$response.body#/") {
                        let body = &response["content"]["application/json"]["schema"];
                        let found = field
                            .split('/')
                            .try_fold(body, |schema, step| property(&spec, schema, step));
                        assert!(
                            found.is_some(),
                            "{source_id} {status} {name}: the response has no `{field}`"
                        );
                    } else if let Some(parameter) = expression.strip_prefix("$request.path.") {
                        assert!(
                            path_parameters(source).iter().any(|p| p == parameter),
                            "{source_id} {status} {name}: the request has no path parameter `{parameter}`"
                        );
                    } else {
                        panic!("{source_id} {status} {name}: unexpected expression {expression}");
                    }
                }
            }
        }
    }
    assert!(links >= 13, "{links} links");
}
