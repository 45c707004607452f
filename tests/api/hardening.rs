//! Limits and protections: security headers, CORS, rate limits, statement timeouts.

use serde_json::json;

use crate::helpers::{assert_problem, TestApp};

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/v1/conditions", "/v1/nope"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            headers["content-security-policy"], "frame-ancestors 'none'",
            "{path}"
        );
        assert!(!headers.contains_key("server"), "no server banner on {path}");
    }
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn().await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/quotes"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,idempotency-key")
        .send()
        .await
        .expect("preflight");
    assert!(preflight.status().is_success());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let simple = app
        .client
        .get(app.url("/v1/conditions"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .expect("GET");
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );

    let foreign = app
        .client
        .get(app.url("/v1/conditions"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("GET");
    assert!(
        !foreign.headers().contains_key("access-control-allow-origin"),
        "never a wildcard"
    );
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let app = TestApp::spawn_with(|s| s.rate_limit_per_minute = 5).await;
    for _ in 0..5 {
        assert_eq!(app.get("/v1/conditions").await.status().as_u16(), 200);
    }
    let limited = app.get("/v1/conditions").await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after));
    assert!(limited.headers()["ratelimit-policy"]
        .to_str()
        .expect("header")
        .contains("q=5"));
    assert!(limited.headers().contains_key("ratelimit"));
    assert_problem(limited, 429, "too-many-requests").await;
    assert_eq!(
        app.get("/healthz").await.status().as_u16(),
        200,
        "probes are never limited"
    );
}

#[tokio::test]
async fn quote_creation_has_its_own_stricter_limit() {
    let app = TestApp::spawn_with(|s| s.quote_rate_limit_per_hour = 1).await;
    let body = json!({"condition": "sciatica"});
    // The first request is counted (and refused as invalid); the second is over the limit.
    assert_eq!(
        app.post_json("/v1/quotes", None, &body).await.status().as_u16(),
        422
    );
    assert_problem(
        app.post_json("/v1/quotes", None, &body).await,
        429,
        "too-many-requests",
    )
    .await;
    assert_eq!(
        app.get("/v1/conditions").await.status().as_u16(),
        200,
        "other endpoints are unaffected"
    );
}

#[tokio::test]
async fn a_query_past_the_statement_timeout_is_a_503_and_the_pool_recovers() {
    let app = TestApp::spawn_with(|s| {
        s.statement_timeout_ms = 300;
        s.pool_size = 1;
    })
    .await;
    let slow = app.get("/__test/slow-query").await;
    assert!(slow.headers().contains_key("retry-after"));
    let body = assert_problem(slow, 503, "service-unavailable").await;
    assert!(!body.to_string().contains("pg_sleep"), "no SQL in the body");
    // The single pooled connection is reused afterwards.
    for _ in 0..3 {
        assert_eq!(app.get("/v1/conditions/sciatica").await.status().as_u16(), 200);
    }
}

#[tokio::test]
async fn metrics_are_for_staff_and_count_requests_by_route() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/v1/conditions").await.status().as_u16(), 200);
    assert_eq!(app.get("/v1/conditions/sciatica").await.status().as_u16(), 200);
    assert_problem(app.get("/metrics").await, 401, "unauthorized").await;
    let partner = app.partner_key("Metrics Partner", "liv-hospital-ulus").await;
    assert_problem(app.get_as("/metrics", &partner).await, 403, "forbidden").await;
    let admin = app.staff_key("admin").await;
    let response = app.get_as("/metrics", &admin).await;
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.expect("text");
    assert!(
        text.contains(
            r#"stemcare_http_requests_total{method="GET",route="/v1/conditions/{slug}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("stemcare_http_request_duration_seconds_bucket"));
    assert!(text.contains(r#"stemcare_db_pool_connections{state="max"} 4"#));
    assert!(text.contains(r#"stemcare_worker_backlog{worker="webhooks"} 0"#));
}

#[tokio::test]
async fn an_exhausted_pool_fails_fast_with_503_and_recovers() {
    let app = TestApp::spawn_with(|s| {
        s.pool_size = 2;
        s.pool_timeout_ms = 300;
        s.statement_timeout_ms = 1500;
    })
    .await;
    // Two slow holders take the whole pool; the surplus gives up after the checkout timeout.
    let holders = (0..2).map(|_| app.client.get(app.url("/__test/slow-query")).send());
    let surplus = (0..18).map(|_| app.client.get(app.url("/v1/conditions/sciatica")).send());
    let started = std::time::Instant::now();
    let (held, rest) = tokio::join!(
        futures_util::future::join_all(holders),
        futures_util::future::join_all(surplus)
    );
    let mut unavailable = 0;
    for response in rest {
        let response = response.expect("request");
        if response.status().as_u16() == 503 {
            assert!(response.headers().contains_key("retry-after"));
            unavailable += 1;
        }
    }
    assert!(
        unavailable >= 10,
        "most surplus requests were refused quickly: {unavailable}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "nothing hung: {:?}",
        started.elapsed()
    );
    for response in held {
        assert_eq!(
            response.expect("request").status().as_u16(),
            503,
            "the holders hit the statement timeout"
        );
    }
    for _ in 0..3 {
        assert_eq!(
            app.get("/v1/conditions/sciatica").await.status().as_u16(),
            200,
            "the pool recovered"
        );
    }
}

/// The id of some seeded, published clinic.
async fn some_clinic_id(app: &TestApp) -> String {
    let list: serde_json::Value = app.get("/v1/clinics").await.json().await.expect("json");
    list["items"][0]["id"]
        .as_str()
        .expect("a seeded clinic")
        .to_owned()
}

/// Catalogue reads of clinics and packages run on the shared connections (`db::shared`), so they
/// keep answering while a slow request holds the whole pool; with sharing off (zero shared
/// connections) they use the pool.
#[tokio::test]
async fn catalogue_reads_use_the_shared_connections_not_the_pool() {
    for shared in [2, 0] {
        let app = TestApp::spawn_with(|s| {
            s.pool_size = 1;
            s.pool_timeout_ms = 300;
            // Long enough for six reads to time out on the pool (sharing off) while it is held.
            s.statement_timeout_ms = 2500;
            s.shared_connections = shared;
        })
        .await;
        let clinic = some_clinic_id(&app).await;
        let path = format!("/v1/clinics/{clinic}");
        assert_eq!(app.get(&path).await.status().as_u16(), 200);
        let packages: serde_json::Value = app
            .get("/v1/treatment-packages")
            .await
            .json()
            .await
            .expect("json");
        let package = packages["items"][0]["id"]
            .as_str()
            .expect("a seeded package")
            .to_owned();
        let holder = tokio::spawn({
            let request = app.client.get(app.url("/__test/slow-query")).send();
            async move { request.await.expect("request").status().as_u16() }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for read in [
            path.clone(),
            "/v1/clinics?condition=sciatica&order_by=price".to_owned(),
            "/v1/clinics?q=clinic".to_owned(),
            format!("{path}/treatment-packages"),
            "/v1/treatment-packages?currency=EUR".to_owned(),
            format!("/v1/treatment-packages/{package}"),
        ] {
            let during = app.get(&read).await;
            if shared > 0 {
                assert_eq!(during.status().as_u16(), 200, "{read} does not wait for the pool");
            } else {
                assert_problem(during, 503, "service-unavailable").await;
            }
        }
        assert_eq!(
            holder.await.expect("holder"),
            503,
            "the holder hit the statement timeout"
        );
        assert_eq!(app.get(&path).await.status().as_u16(), 200);
        // One worker, one request at a time: each read took the worker's least busy connection,
        // the first, so the second never had to open.
        let opened = shared.min(1);
        let admin = app.staff_key("admin").await;
        let metrics = app.get_as("/metrics", &admin).await.text().await.expect("text");
        assert!(
            metrics.contains(&format!("stemcare_db_shared_connections_open {opened}")),
            "{metrics}"
        );
        // Concurrent reads overlap on the first connection, so the next ones take the second.
        let concurrent = (0..16).map(|_| app.get("/v1/clinics?q=clinic"));
        for response in futures_util::future::join_all(concurrent).await {
            assert_eq!(response.status().as_u16(), 200);
        }
        let metrics = app.get_as("/metrics", &admin).await.text().await.expect("text");
        assert!(
            metrics.contains(&format!("stemcare_db_shared_connections_open {shared}")),
            "{metrics}"
        );
    }
}
