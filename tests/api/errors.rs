//! Every error path renders RFC 9457 problem+json without internals, and every response has an id.

use crate::helpers::{assert_problem, EchoBody, TestApp};

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let body = assert_problem(app.get("/v1/no-such-thing").await, 404, "not-found").await;
    assert_eq!(body["instance"], "/v1/no-such-thing");
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .delete(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET")
    );
    assert_problem(response, 405, "method-not-allowed").await;
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/__test/echo"))
        .header("content-type", "application/json")
        .body("{\"name\": \"x\", ")
        .send()
        .await
        .expect("request");
    assert_problem(response, 400, "malformed-json").await;
}

#[tokio::test]
async fn well_formed_json_of_the_wrong_shape_is_a_422_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/__test/echo"))
        .json(&serde_json::json!({"name": "x", "count": 1, "extra": true}))
        .send()
        .await
        .expect("request");
    let body = assert_problem(response, 422, "validation-failed").await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("extra"),
        "{body}"
    );
    // An error about the body as a whole has no pointer: the detail is the message alone.
    let detail = body["detail"].as_str().unwrap_or("");
    assert!(detail.starts_with("unknown field `extra`"), "{body}");
}

#[tokio::test]
async fn a_valid_body_is_accepted() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/__test/echo"))
        .json(&EchoBody {
            name: "x".into(),
            count: 2,
        })
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn wrong_content_type_is_a_415_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/__test/echo"))
        .header("content-type", "text/plain")
        .body("{\"name\": \"x\", \"count\": 1}")
        .send()
        .await
        .expect("request");
    assert_problem(response, 415, "unsupported-media-type").await;
}

#[tokio::test]
async fn oversize_json_body_is_a_413_problem() {
    let app = TestApp::spawn().await;
    let name = "x".repeat(70 * 1024);
    let response = app
        .client
        .post(app.url("/__test/echo"))
        .json(&EchoBody { name, count: 1 })
        .send()
        .await
        .expect("request");
    assert_problem(response, 413, "payload-too-large").await;
}

#[tokio::test]
async fn oversize_raw_body_is_a_413_problem() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/__test/raw"))
        .body(vec![b'a'; 70 * 1024])
        .send()
        .await
        .expect("request");
    assert_problem(response, 413, "payload-too-large").await;
}

#[tokio::test]
async fn bad_query_string_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let body = assert_problem(
        app.get("/__test/query?page_size=many").await,
        400,
        "invalid-query",
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "/query");
    assert_eq!(app.get("/__test/query?page_size=5").await.status().as_u16(), 204);
}

#[tokio::test]
async fn a_panic_is_a_500_problem_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        let body = assert_problem(app.get("/__test/panic").await, 500, "internal-error").await;
        let text = body.to_string();
        assert!(
            !text.contains("boom") && !text.contains("SELECT") && !text.contains("/secret"),
            "{text}"
        );
    }
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

#[tokio::test]
async fn a_sane_request_id_is_echoed_and_a_bad_one_replaced() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "client-id_1.2")
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["x-request-id"], "client-id_1.2");

    let long = "a".repeat(129);
    for bad in ["has space", long.as_str(), "semi;colon"] {
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", bad)
            .send()
            .await
            .expect("request");
        let id = response.headers()["x-request-id"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert_ne!(id, bad);
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "generated id: {id}"
        );
    }
}

#[tokio::test]
async fn error_ids_match_the_echoed_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/nowhere"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .expect("request");
    let body = assert_problem(response, 404, "not-found").await;
    assert_eq!(body["request_id"], "trace-42");
}

#[tokio::test]
async fn nul_characters_are_a_client_error_not_a_crash() {
    let app = TestApp::spawn().await;
    // Vocabulary filters are checked against the cached reference data, so this one never reaches
    // Postgres: it is an unknown condition.
    assert_problem(
        app.get("/v1/treatment-packages?condition=%00").await,
        400,
        "invalid-query",
    )
    .await;
    // Search text refuses control characters (the spec's pattern) before any query runs.
    assert_problem(app.get("/v1/clinics?q=back%00pain").await, 400, "invalid-query").await;
    let response = app
        .client
        .post(app.url("/v1/claim-checks"))
        .json(&serde_json::json!({"text": "ok", "conditions": ["sci\u{0}atica"]}))
        .send()
        .await
        .expect("request");
    assert!(response.status().is_client_error(), "{}", response.status());
}
