//! Treatment records (issue 20 §1): the treating clinic or staff record what happened after
//! acceptance; the quote ends `treated` or `not_treated`; the record's clinical details are
//! encrypted at rest and never sent in webhooks.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};
use crate::journey::{liv, liv_over_medipol, treated_body};
use crate::quotes::create_quote;

/// GET as `bearer`, asserting 200, and parse the JSON.
pub(crate) async fn read(app: &TestApp, path: &str, bearer: &str) -> Value {
    app.get_json_as(path, bearer, 200).await
}

pub(crate) fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// `(type, payload)` of every outbox event about the quote.
async fn events_of(app: &TestApp, quote_id: &str) -> Vec<(String, Value)> {
    use stemcare::db::schema::webhook_events;
    let mut conn = app.db().await;
    let rows: Vec<(String, Value)> = webhook_events::table
        .select((webhook_events::type_, webhook_events::payload))
        .order(webhook_events::created_at.asc())
        .load(&mut conn)
        .await
        .expect("events");
    rows.into_iter()
        .filter(|(_, payload)| payload["data"]["quote_id"] == quote_id)
        .collect()
}

#[tokio::test]
async fn the_treating_clinic_records_a_treatment_and_the_quote_becomes_treated() {
    let app = TestApp::spawn().await;
    let (q, liv, _) = liv_over_medipol(&app, "treated@example.com").await;
    let path = format!("/v1/quotes/{}/treatment", q.quote_id);
    let body = treated_body(&today(), "LOT-SECRET-4711");

    let response = app.post_idempotent(&path, &liv.key, "rec-1", &body).await;
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(response.headers()["location"], path.as_str());
    assert_eq!(response.headers()["cache-control"], "no-store");
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["outcome"], "treated");
    assert_eq!(created["product_lot"], "LOT-SECRET-4711");
    assert_eq!(created["recorded_by"], "partner");
    assert_eq!(created["details_erased"], false);

    // A retry with the same key replays; a second record is a conflict.
    let replay = app.post_idempotent(&path, &liv.key, "rec-1", &body).await;
    assert_eq!(replay.status().as_u16(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let again = app.post_idempotent(&path, &liv.key, "rec-2", &body).await;
    assert_problem(again, 409, "conflict").await;

    // The patient, the clinic and staff read it; the quote is treated.
    let seen = read(&app, &path, &q.token).await;
    assert_eq!(seen["sites"], json!(["L4-L5 disc"]));
    assert_eq!(seen["adverse_events"][0]["severity"], "mild");
    assert!(seen["disclaimer"]["text"].is_string());
    let coordinator = app.staff_key("coordinator").await;
    assert_eq!(read(&app, &path, &liv.key).await["id"], created["id"]);
    assert_eq!(read(&app, &path, &coordinator).await["id"], created["id"]);
    let quote = read(&app, &format!("/v1/quotes/{}", q.quote_id), &q.token).await;
    assert_eq!(quote["status"], "treated");

    // The clinic's partner hears of it: ids and the state, no health data.
    let events = events_of(&app, &q.quote_id).await;
    let (_, treated) = events
        .iter()
        .find(|(t, _)| t == "quote.treated")
        .expect("quote.treated event");
    assert_eq!(treated["data"]["status"], "treated");
    assert_eq!(treated["data"]["clinic_id"], created["clinic_id"]);
    let text = treated.to_string();
    for secret in ["LOT-SECRET-4711", "L4-L5", "Headache", "bm-msc", "Cefazolin"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }

    // At rest the details are ciphertext.
    use stemcare::db::schema::treatment_records;
    let mut conn = app.db().await;
    let sealed: Option<Vec<u8>> = treatment_records::table
        .select(treatment_records::details_ciphertext)
        .first(&mut conn)
        .await
        .expect("record");
    let sealed = sealed.expect("details stored");
    assert!(!String::from_utf8_lossy(&sealed).contains("LOT-SECRET-4711"));
}

#[tokio::test]
async fn a_coordinator_records_not_treated_with_a_reason() {
    let app = TestApp::spawn().await;
    let (q, _, _) = liv_over_medipol(&app, "nottreated@example.com").await;
    let coordinator = app.staff_key("coordinator").await;
    let path = format!("/v1/quotes/{}/treatment", q.quote_id);
    let body = json!({"outcome": "not_treated", "reason": "other"});
    let response = app.post_json(&path, Some(&coordinator), &body).await;
    let problem = assert_problem(response, 422, "validation-failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/note");

    let body = json!({"outcome": "not_treated", "reason": "declined_after_examination", "note": "MRI on arrival showed a sequestered fragment"});
    let response = app.post_json(&path, Some(&coordinator), &body).await;
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["not_treated_reason"], "declined_after_examination");
    assert_eq!(created["treated_on"], Value::Null);
    assert_eq!(created["recorded_by"], "coordinator");
    let quote = read(&app, &format!("/v1/quotes/{}", q.quote_id), &q.token).await;
    assert_eq!(quote["status"], "not_treated");
    let events = events_of(&app, &q.quote_id).await;
    let (_, event) = events
        .iter()
        .find(|(t, _)| t == "quote.not_treated")
        .expect("event");
    assert!(!event.to_string().contains("sequestered"));
    // Treated after not treated is illegal.
    let response = app
        .post_json(&path, Some(&coordinator), &treated_body(&today(), "L1"))
        .await;
    assert_problem(response, 409, "conflict").await;
}

#[tokio::test]
async fn only_the_treating_clinic_and_staff_may_record() {
    let app = TestApp::spawn().await;
    let (q, liv, medipol) = liv_over_medipol(&app, "who@example.com").await;
    let path = format!("/v1/quotes/{}/treatment", q.quote_id);
    let body = treated_body(&today(), "L1");
    assert_problem(app.post_json(&path, None, &body).await, 401, "unauthorized").await;
    assert_problem(
        app.post_json(&path, Some(&q.token), &body).await,
        403,
        "forbidden",
    )
    .await;
    // Medipol saw the quote, but its offer was declined: not its treatment.
    assert_problem(
        app.post_json(&path, Some(&medipol.key), &body).await,
        404,
        "not-found",
    )
    .await;
    let (_, other_token, _) = create_quote(&app, "other@example.com").await;
    assert_problem(
        app.post_json(&path, Some(&other_token), &body).await,
        404,
        "not-found",
    )
    .await;
    // Nothing recorded yet: reading is 404 for all, and other callers never see a record.
    assert_problem(app.get_as(&path, &q.token).await, 404, "not-found").await;
    let response = app.post_json(&path, Some(&liv.key), &body).await;
    assert_eq!(response.status().as_u16(), 201);
    assert_problem(app.get_as(&path, &medipol.key).await, 404, "not-found").await;
    assert_problem(app.get_as(&path, &other_token).await, 404, "not-found").await;
    assert_problem(app.get(&path).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_quote_that_was_not_accepted_cannot_be_treated() {
    let app = TestApp::spawn().await;
    let liv = liv(&app).await;
    let (quote_id, _, _) = create_quote(&app, "open@example.com").await;
    let path = format!("/v1/quotes/{quote_id}/treatment");
    let response = app
        .post_json(&path, Some(&liv.key), &treated_body(&today(), "L1"))
        .await;
    let problem = assert_problem(response, 409, "conflict").await;
    assert_eq!(problem["detail"], "the quote is open and cannot become treated");
}

#[tokio::test]
async fn treatment_fields_are_validated() {
    let app = TestApp::spawn().await;
    let (q, liv, _) = liv_over_medipol(&app, "valid@example.com").await;
    let path = format!("/v1/quotes/{}/treatment", q.quote_id);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .to_string();
    let mut body = treated_body(&tomorrow, "L1");
    body["cell_type"] = json!("unicorn-cells");
    body["administration_method"] = json!("by-post");
    body["sites"] = json!([]);
    body["reason"] = json!("patient_withdrew");
    let problem = assert_problem(
        app.post_json(&path, Some(&liv.key), &body).await,
        422,
        "validation-failed",
    )
    .await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["pointer"].as_str().expect("pointer"))
        .collect();
    assert_eq!(
        pointers,
        [
            "/treated_on",
            "/cell_type",
            "/administration_method",
            "/sites",
            "/reason"
        ]
    );
    let long_ago = treated_body("2020-01-01", "L1");
    let problem = assert_problem(
        app.post_json(&path, Some(&liv.key), &long_ago).await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/treated_on");
    // The clock moves: a date that was in the future is accepted once it has come.
    app.clock.advance(chrono::Duration::days(3));
    let later = treated_body(&tomorrow, "L1");
    assert_eq!(
        app.post_json(&path, Some(&liv.key), &later)
            .await
            .status()
            .as_u16(),
        201
    );
}
