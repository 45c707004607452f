//! The input bounds the OpenAPI document declares are the ones the server enforces, including the
//! rules added with them: no control characters in text (other than tab and line breaks), lengths
//! counted as sent (not after trimming), item counts, and the shapes of tokens and headers.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, location, TestApp};
use crate::partners::clinic;
use crate::quotes::{create_quote, offer_request, quote_request};

fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
        .collect()
}

async fn get_query(app: &TestApp, path: &str, query: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .query(query)
        .send()
        .await
        .expect("GET")
}

#[tokio::test]
async fn query_parameters_are_refused_beyond_their_declared_bounds() {
    let app = TestApp::spawn().await;
    let exactly = "a".repeat(200);
    let padded = format!(" {exactly} ");
    assert_eq!(
        get_query(&app, "/v1/clinics", &[("q", &exactly)])
            .await
            .status()
            .as_u16(),
        200
    );
    // 200 characters once trimmed, 202 as sent: maxLength counts what is sent.
    assert_problem(
        get_query(&app, "/v1/clinics", &[("q", &padded)]).await,
        400,
        "invalid-query",
    )
    .await;
    assert_problem(
        get_query(&app, "/v1/clinics", &[("city", "Istan\u{7}bul")]).await,
        400,
        "invalid-query",
    )
    .await;
    assert_eq!(
        get_query(&app, "/v1/clinics", &[("q", "two\twords")])
            .await
            .status()
            .as_u16(),
        200,
        "tabs are allowed"
    );

    let long_token = format!("{}.{}", "a".repeat(4096), "b");
    assert_problem(
        get_query(&app, "/v1/conditions", &[("page_token", &long_token)]).await,
        400,
        "invalid-page-token",
    )
    .await;
    let types = ["clinics"; 13].join(",");
    assert_problem(
        get_query(&app, "/v1/exports", &[("types", &types)]).await,
        400,
        "invalid-query",
    )
    .await;
    let since = format!("2026-11-29T10:00:00.{}Z", "0".repeat(45));
    assert_problem(
        get_query(&app, "/v1/exports", &[("since", &since)]).await,
        400,
        "invalid-query",
    )
    .await;
    let ids = ["6f1c2b7e-4c1a-4f5e-9d0b-3a2e1c0b9a88"; 6].join(", ");
    assert_problem(
        get_query(&app, "/v1/treatment-packages/compare", &[("ids", &ids)]).await,
        400,
        "invalid-query",
    )
    .await;

    for (name, value) in [
        ("address-country", "TUR"),
        ("address-country", " tr"),
        ("_lastUpdated", "ge2026-01-01T00:00:00.0000000001Z"),
        ("_lastUpdated", "ge2026-1-01"),
    ] {
        let response = get_query(&app, "/fhir/r4/Location", &[(name, value)]).await;
        assert_eq!(response.status().as_u16(), 400, "{name}={value}");
    }
    assert_eq!(
        get_query(
            &app,
            "/fhir/r4/Location",
            &[("_lastUpdated", "ge2026-01-01T00:00:00.123456789+01:00")]
        )
        .await
        .status()
        .as_u16(),
        200
    );
}

#[tokio::test]
async fn quote_and_offer_texts_refuse_control_characters_and_bounds_hold() {
    let app = TestApp::spawn().await;
    let mut request = quote_request("bounds@example.com", json!({"mode": "none"}));
    request["notes"] = json!("pain\u{0}score");
    request["patient"]["name"] = json!("Jane\u{1b}Doe");
    request["patient"]["preferred_language"] = json!(format!("en-{}", ["abcdefgh"; 4].join("-")));
    let problem = assert_problem(
        app.post_json("/v1/quotes", None, &request).await,
        422,
        "validation-failed",
    )
    .await;
    let found = pointers(&problem);
    for pointer in ["/notes", "/patient/name", "/patient/preferred_language"] {
        assert!(found.iter().any(|p| p == pointer), "{pointer} in {found:?}");
    }
    let mut windows = quote_request("crlf@example.com", json!({"mode": "none"}));
    windows["notes"] = json!("line one\r\nline two");
    assert_eq!(
        app.post_json("/v1/quotes", None, &windows)
            .await
            .status()
            .as_u16(),
        201
    );

    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let (id, _, _) = create_quote(&app, "offer-bounds@example.com").await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let mut offer = offer_request(&liv);
    offer["exclusions"] = json!(vec!["airport_transfers"; 51]);
    offer["cell_type"] = json!("x".repeat(101));
    offer["notes"] = json!("call us\u{7}");
    offer["price_change"]["max_increase_percent"] = json!("1.555");
    offer["deposit"]["amount"] = json!("1.555");
    offer["refund_policy"]["full_refund_until_days_before"] = json!(366);
    offer["line_items"][0]["amount"] = json!("10000000.01");
    let problem = assert_problem(
        app.post_json(&format!("/v1/quotes/{id}/offers"), Some(&liv_key), &offer)
            .await,
        422,
        "validation-failed",
    )
    .await;
    let found = pointers(&problem);
    for pointer in [
        "/exclusions",
        "/cell_type",
        "/notes",
        "/price_change/max_increase_percent",
        "/deposit/amount",
        "/refund_policy/full_refund_until_days_before",
        "/line_items/0/amount",
    ] {
        assert!(found.iter().any(|p| p == pointer), "{pointer} in {found:?}");
    }
}

#[tokio::test]
async fn admin_and_partner_inputs_are_bounded() {
    let app = TestApp::spawn().await;
    let admin = app.staff_key("admin").await;
    let problem = assert_problem(
        app.post_json(
            "/v1/admin/api-keys",
            Some(&admin),
            &json!({"role": "admin", "name": "ops\u{8}"}),
        )
        .await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(pointers(&problem), ["/name"]);
    let slugs: Vec<String> = (0..101).map(|i| format!("clinic-{i}")).collect();
    assert_problem(
        app.post_json(
            "/v1/admin/partners",
            Some(&admin),
            &json!({"name": "Many", "clinic_slugs": slugs}),
        )
        .await,
        422,
        "validation-failed",
    )
    .await;
    let study = app
        .client
        .put(app.url("/v1/admin/studies/Not%20A%20Slug"))
        .bearer_auth(&admin)
        .json(&json!({}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(
        pointers(&assert_problem(study, 422, "validation-failed").await),
        ["/path/slug"]
    );
    let rate = app
        .client
        .put(app.url("/v1/admin/exchange-rates/EUR"))
        .bearer_auth(&admin)
        .json(
            &json!({"units_per_usd": "0.9200000000001", "as_of": "2026-11-29", "source": {"title": "test"}}),
        )
        .send()
        .await
        .expect("PUT");
    assert_eq!(
        pointers(&assert_problem(rate, 422, "validation-failed").await),
        ["/units_per_usd"]
    );

    let partner = app.partner_key("Partner B", "cellular-hope-institute").await;
    let mut listing = clinic("b-1", "Bounded Clinic");
    listing["accreditations"] = json!([{"body": "JCI", "id": "   "}]);
    let problem = assert_problem(
        app.post_json("/v1/partner/clinics", Some(&partner), &listing)
            .await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(pointers(&problem), ["/accreditations/0/id"]);
    let created = app
        .post_json(
            "/v1/partner/clinics",
            Some(&partner),
            &clinic("b-2", "Bounded Clinic"),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let location = location(&created);
    let too_long = reqwest::header::HeaderValue::from_str(&"\"1\"".repeat(342)).expect("header");
    let not_ascii = reqwest::header::HeaderValue::from_bytes(b"\"1\"\xe9").expect("header");
    for if_match in [too_long, not_ascii] {
        let response = app
            .client
            .patch(app.url(&location))
            .bearer_auth(&partner)
            .header("content-type", "application/merge-patch+json")
            .header("if-match", if_match)
            .body(json!({"city": "Tulum"}).to_string())
            .send()
            .await
            .expect("PATCH");
        assert_problem(response, 400, "bad-request").await;
    }
}
