//! Outcome follow-up (issue 20 §3): windows by the server's clock, answers and skips, who may
//! call what, the worker that announces due follow-ups once, and that scores reach neither a
//! webhook payload nor a log line.

use std::sync::{Mutex, OnceLock};

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};
use crate::journey::{accepted_quote, liv, put_json, record_treatment, Patient};

/// Log lines of every test in this binary from the moment [`capture_logs`] first ran.
static LOGS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();

struct CaptureLogger;

impl log::Log for CaptureLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        if let Some(lines) = LOGS.get() {
            if let Ok(mut lines) = lines.lock() {
                lines.push(format!("{} {}", record.target(), record.args()));
            }
        }
    }
    fn flush(&self) {}
}

/// Installs the capturing logger (once per binary; nothing else in it sets a logger).
fn capture_logs() {
    if LOGS.set(Mutex::new(Vec::new())).is_ok() {
        let _ = log::set_boxed_logger(Box::new(CaptureLogger));
        // Production's default filter (`RUST_LOG` unset: info).
        log::set_max_level(log::LevelFilter::Info);
    }
}

fn logged() -> Vec<String> {
    LOGS.get()
        .map(|l| l.lock().map(|l| l.clone()).unwrap_or_default())
        .unwrap_or_default()
}

/// A valid follow-up answer.
pub(crate) fn answer(back: i64, leg: i64, odi: f64) -> Value {
    json!({
        "back_pain_nrs": back, "leg_pain_nrs": leg, "odi_score": odi,
        "pgic": 2, "pgic_version": "phenx_7", "adverse_events": [], "further_procedures": [],
        "work_status": "returned"
    })
}

/// A valid baseline answer (no impression of change, no adverse events).
pub(crate) fn baseline(back: i64, leg: i64, odi: f64) -> Value {
    json!({"back_pain_nrs": back, "leg_pain_nrs": leg, "odi_score": odi})
}

/// Moves the server's clock forward to `day`.
pub(crate) fn advance_to(app: &TestApp, day: NaiveDate) {
    let days = (day - app.clock.today()).num_days();
    assert!(days >= 0, "the clock only moves forward");
    app.clock.advance(Duration::days(days));
}

pub(crate) async fn follow_ups(app: &TestApp, quote_id: &str, bearer: &str) -> Value {
    let response = app
        .get_as(&format!("/v1/quotes/{quote_id}/follow-ups"), bearer)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("json")
}

/// The item of `time_point` in a follow-up list.
pub(crate) fn item<'a>(list: &'a Value, time_point: &str) -> &'a Value {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["time_point"] == time_point)
        .expect("time point")
}

pub(crate) fn date(value: &Value) -> NaiveDate {
    value.as_str().expect("date").parse().expect("ISO date")
}

#[tokio::test]
async fn windows_answers_and_skips_follow_the_clock() {
    let app = TestApp::spawn().await;
    let liv = liv(&app).await;
    let Patient { quote_id: id, token } = accepted_quote(&app, "window@example.com", &liv).await;
    let path = |tp: &str| format!("/v1/quotes/{id}/follow-ups/{tp}");

    // Accepted, not treated yet: the baseline is due, the rest waits for a treatment date.
    let list = follow_ups(&app, &id, &token).await;
    assert_eq!(list["treatment"], "pending");
    assert_eq!(item(&list, "baseline")["state"], "due");
    assert_eq!(item(&list, "month_3")["state"], "upcoming");
    assert!(item(&list, "month_3")["opens_on"].is_null());
    assert_eq!(list["registry_consent"], false);
    assert_problem(
        put_json(&app, &path("month_3"), Some(&token), &answer(5, 3, 30.0)).await,
        409,
        "follow-up-window-not-open",
    )
    .await;

    // The baseline has no impression of change; values are range-checked.
    let wrong = put_json(&app, &path("baseline"), Some(&token), &answer(5, 3, 30.0)).await;
    assert_problem(wrong, 422, "validation-failed").await;
    let out_of_range = put_json(&app, &path("baseline"), Some(&token), &baseline(11, 3, 101.0)).await;
    let problem = assert_problem(out_of_range, 422, "validation-failed").await;
    assert_eq!(problem["errors"].as_array().expect("errors").len(), 2);
    // An idempotent PUT: the same answer twice is the same result.
    for _ in 0..2 {
        let ok = put_json(&app, &path("baseline"), Some(&token), &baseline(7, 5, 42.0)).await;
        assert_eq!(ok.status().as_u16(), 200);
        let body: Value = ok.json().await.expect("json");
        assert_eq!(body["state"], "answered");
    }
    assert_problem(
        app.post_json(&format!("{}/skip", path("baseline")), Some(&token), &json!({}))
            .await,
        409,
        "conflict",
    )
    .await;

    // Treated ten days later: the baseline closes on the treatment day.
    app.clock.advance(Duration::days(10));
    record_treatment(&app, &id, &liv, "LOT-FOLLOW").await;
    let treated_on = app.clock.today();
    let list = follow_ups(&app, &id, &token).await;
    assert_eq!(list["treatment"], "treated");
    assert_eq!(date(&item(&list, "baseline")["closes_on"]), treated_on);
    let m3 = item(&list, "month_3");
    let due_on = treated_on
        .checked_add_months(chrono::Months::new(3))
        .expect("date");
    assert_eq!(date(&m3["due_on"]), due_on);
    assert_eq!(date(&m3["opens_on"]), due_on - Duration::days(30));
    assert_eq!(date(&m3["closes_on"]), due_on + Duration::days(30));
    app.clock.advance(Duration::days(1));
    assert_problem(
        put_json(&app, &path("baseline"), Some(&token), &baseline(7, 5, 42.0)).await,
        409,
        "follow-up-window-closed",
    )
    .await;

    // Early: the day before the 3-month window opens.
    advance_to(&app, date(&m3["opens_on"]) - Duration::days(1));
    assert_problem(
        put_json(&app, &path("month_3"), Some(&token), &answer(5, 3, 30.0)).await,
        409,
        "follow-up-window-not-open",
    )
    .await;
    assert_eq!(
        item(&follow_ups(&app, &id, &token).await, "month_3")["state"],
        "upcoming"
    );
    // Inside: due, skipped, then answered after all (an answer replaces a skip).
    app.clock.advance(Duration::days(1));
    assert_eq!(
        item(&follow_ups(&app, &id, &token).await, "month_3")["state"],
        "due"
    );
    let skip = app
        .post_json(&format!("{}/skip", path("month_3")), Some(&token), &json!({}))
        .await;
    assert_eq!(skip.status().as_u16(), 200);
    assert_eq!(
        item(&follow_ups(&app, &id, &token).await, "month_3")["state"],
        "skipped"
    );
    let late_mind = put_json(&app, &path("month_3"), Some(&token), &answer(5, 3, 30.0)).await;
    assert_eq!(late_mind.status().as_u16(), 200);
    assert_problem(
        app.post_json(&format!("{}/skip", path("month_3")), Some(&token), &json!({}))
            .await,
        409,
        "conflict",
    )
    .await;

    // Late but inside: on the last day of the 6-month window the answer counts.
    let m6 = item(&follow_ups(&app, &id, &token).await, "month_6").clone();
    advance_to(&app, date(&m6["closes_on"]));
    assert_eq!(
        put_json(&app, &path("month_6"), Some(&token), &answer(4, 3, 28.0))
            .await
            .status()
            .as_u16(),
        200
    );

    // Outside: the day after the 12-month window closed, refused; the list says missed.
    let m12 = item(&follow_ups(&app, &id, &token).await, "month_12").clone();
    advance_to(&app, date(&m12["closes_on"]) + Duration::days(1));
    assert_problem(
        put_json(&app, &path("month_12"), Some(&token), &answer(4, 3, 28.0)).await,
        409,
        "follow-up-window-closed",
    )
    .await;
    assert_problem(
        app.post_json(&format!("{}/skip", path("month_12")), Some(&token), &json!({}))
            .await,
        409,
        "follow-up-window-closed",
    )
    .await;
    let list = follow_ups(&app, &id, &token).await;
    let states: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(states, ["answered", "answered", "answered", "missed", "upcoming"]);
    assert_problem(
        put_json(&app, &path("month_9"), Some(&token), &answer(4, 3, 28.0)).await,
        404,
        "not-found",
    )
    .await;

    // The answers are encrypted at rest: no score in the stored bytes.
    let mut conn = app.db().await;
    use diesel_async::RunQueryDsl;
    let stored: Vec<Option<Vec<u8>>> =
        diesel::sql_query("SELECT answer_ciphertext FROM follow_up_responses WHERE quote_id = $1::uuid")
            .bind::<diesel::sql_types::Text, _>(&id)
            .load::<Ciphertext>(&mut conn)
            .await
            .expect("responses")
            .into_iter()
            .map(|c| c.answer_ciphertext)
            .collect();
    assert_eq!(stored.len(), 3);
    for bytes in stored.into_iter().flatten() {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("back_pain"),
            "stored in clear"
        );
    }
}

#[derive(diesel::QueryableByName)]
struct Ciphertext {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bytea>)]
    answer_ciphertext: Option<Vec<u8>>,
}

#[tokio::test]
async fn every_follow_up_endpoint_checks_the_caller() {
    let app = TestApp::spawn().await;
    let liv = liv(&app).await;
    let liv_key = liv.key.clone();
    let Patient { quote_id: id, token } = accepted_quote(&app, "owner@example.com", &liv).await;
    let Patient {
        quote_id: other_id,
        token: other_token,
    } = accepted_quote(&app, "other@example.com", &liv).await;
    // A partner whose clinic never saw the quote.
    let stranger = app.partner_key("Stranger", "cellular-hope-institute").await;
    let coordinator = app.staff_key("coordinator").await;
    let admin = app.staff_key("admin").await;
    let list = format!("/v1/quotes/{id}/follow-ups");
    let put = format!("/v1/quotes/{id}/follow-ups/baseline");
    let skip = format!("/v1/quotes/{id}/follow-ups/baseline/skip");
    let consent = format!("/v1/quotes/{id}/registry-consent");
    let body = baseline(6, 4, 30.0);

    // Anonymous: 401 everywhere.
    assert_problem(app.get(&list).await, 401, "unauthorized").await;
    assert_problem(put_json(&app, &put, None, &body).await, 401, "unauthorized").await;
    assert_problem(app.post_json(&skip, None, &json!({})).await, 401, "unauthorized").await;
    assert_problem(
        put_json(&app, &consent, None, &json!({"granted": true})).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(app.get("/v1/admin/webhook-endpoints").await, 401, "unauthorized").await;
    // Another patient's token: 404 everywhere.
    assert_problem(app.get_as(&list, &other_token).await, 404, "not-found").await;
    assert_problem(
        put_json(&app, &put, Some(&other_token), &body).await,
        404,
        "not-found",
    )
    .await;
    assert_problem(
        app.post_json(&skip, Some(&other_token), &json!({})).await,
        404,
        "not-found",
    )
    .await;
    assert_problem(
        put_json(&app, &consent, Some(&other_token), &json!({"granted": true})).await,
        404,
        "not-found",
    )
    .await;
    // Another partner: 404; the quote's own partner: 403 (follow-ups are the patient's).
    assert_problem(app.get_as(&list, &stranger).await, 404, "not-found").await;
    assert_problem(
        put_json(&app, &put, Some(&stranger), &body).await,
        404,
        "not-found",
    )
    .await;
    assert_problem(
        app.post_json(&skip, Some(&stranger), &json!({})).await,
        404,
        "not-found",
    )
    .await;
    assert_problem(
        put_json(&app, &consent, Some(&stranger), &json!({"granted": true})).await,
        404,
        "not-found",
    )
    .await;
    assert_problem(app.get_as(&list, &liv_key).await, 403, "forbidden").await;
    assert_problem(
        put_json(&app, &put, Some(&liv_key), &body).await,
        403,
        "forbidden",
    )
    .await;
    // Staff read, never answer for the patient.
    assert_eq!(app.get_as(&list, &coordinator).await.status().as_u16(), 200);
    assert_problem(
        put_json(&app, &put, Some(&coordinator), &body).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        put_json(&app, &consent, Some(&admin), &json!({"granted": true})).await,
        403,
        "forbidden",
    )
    .await;
    // Staff webhook endpoints are for admin keys.
    for key in [&liv_key, &coordinator, &token] {
        assert_problem(
            app.get_as("/v1/admin/webhook-endpoints", key).await,
            403,
            "forbidden",
        )
        .await;
    }
    assert_eq!(
        app.get_as("/v1/admin/webhook-endpoints", &admin)
            .await
            .status()
            .as_u16(),
        200
    );
    // The owner may; the other patient's follow-ups are untouched.
    assert_eq!(
        put_json(&app, &put, Some(&token), &body).await.status().as_u16(),
        200
    );
    assert_eq!(
        item(&follow_ups(&app, &other_id, &other_token).await, "baseline")["state"],
        "due"
    );
    // The public registry needs no credentials.
    assert_eq!(app.get("/v1/outcome-registry").await.status().as_u16(), 200);
    assert_problem(
        app.get("/v1/outcome-registry?country=tr").await,
        400,
        "invalid-query",
    )
    .await;
}

/// Rows of the outbox: (type, payload).
pub(crate) async fn follow_up_events(app: &TestApp) -> Vec<Value> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use stemcare::db::schema::webhook_events;
    let mut conn = app.db().await;
    webhook_events::table
        .filter(webhook_events::type_.eq("follow_up.due"))
        .select(webhook_events::payload)
        .load(&mut conn)
        .await
        .expect("events")
}

#[tokio::test]
async fn the_worker_announces_each_due_follow_up_once_and_never_a_score() {
    capture_logs();
    let fast = |s: &mut stemcare::config::Settings| s.follow_up_interval_ms = 50;
    let app = TestApp::spawn_with(fast).await;
    // A second instance on the same database, sharing the first one's key and clock offset.
    let key = app.data_key.clone();
    let second = TestApp::spawn_on(app.database_url.clone(), |s| {
        s.follow_up_interval_ms = 50;
        s.data_key = Some(key);
    })
    .await;
    let admin = app.staff_key("admin").await;
    app.staff_webhook_endpoint(&admin, "http://127.0.0.1:9/follow-ups")
        .await;
    let liv = liv(&app).await;
    let Patient { quote_id: id, token } = accepted_quote(&app, "worker@example.com", &liv).await;

    let wait_for = |n: usize| {
        let app = &app;
        async move {
            for _ in 0..200 {
                let events = follow_up_events(app).await;
                if events.len() >= n {
                    return events;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            panic!("the worker did not announce {n} follow-up(s)");
        }
    };
    // The baseline is due from acceptance: announced once though two instances run the worker.
    wait_for(1).await;
    // A distinctive answer, to look for afterwards.
    let marker = json!({"back_pain_nrs": 9, "leg_pain_nrs": 8, "odi_score": 73.25});
    assert_eq!(
        put_json(
            &app,
            &format!("/v1/quotes/{id}/follow-ups/baseline"),
            Some(&token),
            &marker
        )
        .await
        .status()
        .as_u16(),
        200
    );
    app.clock.advance(Duration::days(2));
    second.clock.advance(Duration::days(2));
    record_treatment(&app, &id, &liv, "LOT-FOLLOW").await;
    let m3 = item(&follow_ups(&app, &id, &token).await, "month_3").clone();
    let days = (date(&m3["opens_on"]) - app.clock.today()).num_days();
    app.clock.advance(Duration::days(days));
    second.clock.advance(Duration::days(days));
    let mut m3_answer = answer(3, 2, 21.0);
    m3_answer["adverse_events"] = json!([{"category": "other", "severity": "mild", "description": "zebra-marker headache", "care_needed": "none"}]);
    let events = wait_for(2).await;
    assert_eq!(
        put_json(
            &app,
            &format!("/v1/quotes/{id}/follow-ups/month_3"),
            Some(&token),
            &m3_answer
        )
        .await
        .status()
        .as_u16(),
        200
    );
    // Several more rounds of both workers: still one event per time point.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(follow_up_events(&app).await.len(), 2, "announced once each");
    let time_points: Vec<&str> = events
        .iter()
        .map(|e| e["data"]["time_point"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(time_points, ["baseline", "month_3"]);
    for event in &events {
        assert_eq!(event["type"], "follow_up.due");
        assert_eq!(event["data"]["quote_id"], id.as_str());
        let keys: Vec<&String> = event["data"].as_object().expect("data").keys().collect();
        assert_eq!(
            keys,
            ["quote_id", "status", "time_point"],
            "ids and the time point only"
        );
    }
    // Each event waits for the staff endpoint (one delivery each), none for a partner.
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use stemcare::db::schema::{webhook_deliveries, webhook_events};
        let mut conn = app.db().await;
        let deliveries: Vec<Option<uuid::Uuid>> = webhook_deliveries::table
            .inner_join(webhook_events::table)
            .filter(webhook_events::type_.eq("follow_up.due"))
            .select(webhook_deliveries::partner_id)
            .load(&mut conn)
            .await
            .expect("deliveries");
        assert_eq!(deliveries, [None, None]);
    }
    // No score, no patient text, in any payload or log line.
    let all_payloads = serde_json::to_string(&events).expect("json");
    let lines = logged();
    for needle in ["73.25", "zebra", "back_pain", "odi_score"] {
        assert!(!all_payloads.contains(needle), "{needle} in a webhook payload");
    }
    // The answer's distinctive values (field names appear in logged migration text, so the
    // check looks for the data).
    assert!(
        lines.iter().any(|l| l.contains("follow-up")),
        "the worker's own lines were captured"
    );
    for needle in ["73.25", "zebra"] {
        let leaks: Vec<&String> = lines.iter().filter(|l| l.contains(needle)).collect();
        assert!(leaks.is_empty(), "{needle} in a log line: {leaks:?}");
    }
}
