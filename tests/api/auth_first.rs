//! Authentication comes before anything else about a request: a caller without valid credentials
//! learns nothing about a protected route's body, not even which fields it expects.

use serde_json::json;

use crate::helpers::{assert_problem, TestApp};

/// A body no protected route accepts: wrong types and unknown fields.
fn garbage() -> serde_json::Value {
    json!({"units_per_usd": [], "nonsense": true})
}

#[tokio::test]
async fn anonymous_and_bad_keys_get_401_before_the_body_is_read() {
    let app = TestApp::spawn().await;
    let quote_id = uuid::Uuid::now_v7();
    let routes = [
        ("PUT", "/v1/admin/exchange-rates/EUR".to_owned()),
        ("POST", "/v1/admin/partners".to_owned()),
        ("POST", "/v1/partner/clinics".to_owned()),
        ("POST", "/v1/partner/webhook-endpoints".to_owned()),
        ("POST", format!("/v1/quotes/{quote_id}/offers")),
    ];
    for (method, path) in &routes {
        for bearer in [None, Some("sk_live_nothing.here"), Some("qt_not-a-token")] {
            let mut request = app
                .client
                .request(method.parse().expect("method"), app.url(path))
                .json(&garbage());
            if let Some(token) = bearer {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.expect("request");
            assert!(
                response.headers().contains_key("www-authenticate"),
                "{method} {path} with {bearer:?}: a 401 carries its challenge"
            );
            let body = assert_problem(response, 401, "unauthorized").await;
            assert!(
                body.get("errors").is_none(),
                "{method} {path}: no field errors before authentication"
            );
        }
    }
}

#[tokio::test]
async fn a_partner_key_on_an_admin_route_is_403_before_the_body_is_read() {
    let app = TestApp::spawn().await;
    let partner = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let response = app
        .client
        .put(app.url("/v1/admin/exchange-rates/EUR"))
        .bearer_auth(&partner)
        .json(&garbage())
        .send()
        .await
        .expect("request");
    assert_problem(response, 403, "forbidden").await;

    // With the right key the same body reaches validation, and a valid one is still accepted.
    let admin = app.staff_key("admin").await;
    let response = app
        .client
        .put(app.url("/v1/admin/exchange-rates/EUR"))
        .bearer_auth(&admin)
        .json(&garbage())
        .send()
        .await
        .expect("request");
    assert!(
        matches!(response.status().as_u16(), 400 | 422),
        "an admin's bad body is a validation error: {}",
        response.status()
    );
    let listed = app.get_as("/v1/admin/partners", &admin).await;
    assert_eq!(listed.status().as_u16(), 200);
}
