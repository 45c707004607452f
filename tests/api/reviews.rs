//! Verified reviews (issue 20 §4) through HTTP: eligibility from day 14 after the recorded
//! treatment (the server's clock moved forward, no sleeping), one review per quote, edits for 30
//! days with history, screening that says what to remove, red flags shown, the clinic's one reply,
//! who may do what, what the public list leaves out, webhooks with ids only, and erasure.

use chrono::Duration;
use diesel::sql_types::{BigInt, Jsonb, Text};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};
use crate::journey::{accepted_quote, liv, post_review, put_json, reply, treated_quote, Clinic, Patient};

const EMAIL: &str = "jane.reviewer@example.com";

/// A patient of Liv whose treatment Liv recorded today (by the server's clock); returns Liv too.
async fn treated_patient(app: &TestApp, email: &str) -> (Patient, Clinic) {
    let liv = liv(app).await;
    (treated_quote(app, email, &liv, "LOT-2027-01").await, liv)
}

async fn put_review(app: &TestApp, patient: &Patient, body: &Value) -> reqwest::Response {
    put_json(
        app,
        &format!("/v1/quotes/{}/review", patient.quote_id),
        Some(&patient.token),
        body,
    )
    .await
}

async fn reviews_of(app: &TestApp, clinic_id: &str) -> Value {
    app.get_json(&format!("/v1/clinics/{clinic_id}/reviews"), 200)
        .await
}

#[derive(diesel::QueryableByName)]
struct Event {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
}

/// The outbox's review events, oldest first.
async fn review_events(app: &TestApp) -> Vec<Event> {
    diesel::sql_query(
        "SELECT type AS kind, payload FROM webhook_events WHERE type LIKE 'review.%' ORDER BY created_at",
    )
    .load(&mut app.db().await)
    .await
    .expect("events")
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(app: &TestApp, table: &str) -> i64 {
    diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
        .get_result::<Count>(&mut app.db().await)
        .await
        .expect("count")
        .n
}

#[tokio::test]
async fn a_review_opens_on_day_14_once_per_quote_and_is_published_without_who_wrote_it() {
    let app = TestApp::spawn().await;
    let (patient, liv) = treated_patient(&app, EMAIL).await;
    let body =
        json!({"rating": 4, "text": "Kind staff and a clear invoice. My leg pain is a little better."});
    let opens_on = (app.clock.today() + Duration::days(14)).to_string();

    let early = post_review(&app, &patient.quote_id, Some(&patient.token), &body).await;
    let problem = assert_problem(early, 409, "review-not-open").await;
    assert!(
        problem["detail"].as_str().expect("detail").contains(&opens_on),
        "{problem}"
    );
    app.clock.advance(Duration::days(13));
    let day_13 = post_review(&app, &patient.quote_id, Some(&patient.token), &body).await;
    assert_problem(day_13, 409, "review-not-open").await;

    app.clock.advance(Duration::days(1));
    let created = post_review(&app, &patient.quote_id, Some(&patient.token), &body).await;
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(
        created.headers()["location"],
        format!("/v1/quotes/{}/review", patient.quote_id).as_str()
    );
    assert_eq!(created.headers()["cache-control"], "no-store");
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["rating"], 4);
    assert_eq!(created["edited"], false);
    let review_id = created["id"].as_str().expect("id").to_owned();

    let again = post_review(&app, &patient.quote_id, Some(&patient.token), &body).await;
    assert_problem(again, 409, "conflict").await;

    let list = app.get(&format!("/v1/clinics/{}/reviews", liv.id)).await;
    assert_eq!(list.status().as_u16(), 200);
    assert_eq!(list.headers()["cache-control"], "public, max-age=60");
    assert!(list.headers().contains_key("etag"));
    let text = list.text().await.expect("body");
    for private in [patient.quote_id.as_str(), "Jane", EMAIL, "7946", "quote_id"] {
        assert!(!text.contains(private), "the public list shows {private}");
    }
    let page: Value = serde_json::from_str(&text).expect("json");
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    let month = app.clock.today() - Duration::days(14);
    assert_eq!(
        items[0]["reviewer"],
        format!("verified patient, treated {}", month.format("%B %Y"))
    );
    assert_eq!(items[0]["treated_month"], month.format("%Y-%m").to_string());
    assert!(page["disclaimer"].is_object());

    // What clinic detail will show: the count, the spread over 1–5 stars and the latest reviews.
    let conn = app.db().await;
    let clinic = stemcare::ids::ClinicId(liv.id.parse().expect("uuid"));
    let summary = stemcare::reviews::repo::summary_for_clinic(&mut &conn, clinic)
        .await
        .expect("summary");
    let summary = serde_json::to_value(&summary).expect("json");
    assert_eq!(summary["count"], 1);
    let counts: Vec<i64> = summary["distribution"]
        .as_array()
        .expect("distribution")
        .iter()
        .map(|d| d["count"].as_i64().expect("count"))
        .collect();
    assert_eq!(counts, [0, 0, 0, 1, 0]);
    assert_eq!(summary["latest"][0]["id"], review_id.as_str());

    // The clinic's partner hears of it with ids only: no quote id, no text, no rating.
    let events = review_events(&app).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "review.published");
    let data = &events[0].payload["data"];
    assert_eq!(data["review_id"], review_id.as_str());
    assert_eq!(data["clinic_id"], liv.id.as_str());
    assert_eq!(data["status"], "published");
    let keys: Vec<&String> = data.as_object().expect("data").keys().collect();
    assert_eq!(keys.len(), 3, "ids and status only: {data}");
}

#[tokio::test]
async fn an_untreated_quote_cannot_be_reviewed() {
    let app = TestApp::spawn().await;
    let patient = accepted_quote(&app, EMAIL, &liv(&app).await).await;
    app.clock.advance(Duration::days(60));
    let response = post_review(
        &app,
        &patient.quote_id,
        Some(&patient.token),
        &json!({"rating": 5, "text": "Great."}),
    )
    .await;
    let problem = assert_problem(response, 409, "review-not-open").await;
    assert!(problem["detail"]
        .as_str()
        .expect("detail")
        .contains("no treatment is recorded"));
}

#[tokio::test]
async fn edits_keep_the_history_for_30_days_then_are_refused() {
    let app = TestApp::spawn().await;
    let (patient, liv) = treated_patient(&app, EMAIL).await;
    app.clock.advance(Duration::days(14));
    let first = json!({"rating": 2, "text": "The invoice was confusing."});
    assert_eq!(
        post_review(&app, &patient.quote_id, Some(&patient.token), &first)
            .await
            .status()
            .as_u16(),
        201
    );

    app.clock.advance(Duration::days(29));
    let second = json!({"rating": 3, "text": "The invoice was confusing, but they explained it later."});
    let edited = put_review(&app, &patient, &second).await;
    assert_eq!(edited.status().as_u16(), 200);
    let edited: Value = edited.json().await.expect("json");
    assert_eq!(edited["rating"], 3);
    assert_eq!(edited["edited"], true);
    let revisions = edited["revisions"].as_array().expect("revisions");
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0]["rating"], 2);
    assert_eq!(revisions[0]["text"], "The invoice was confusing.");

    // The history is the patient's: the stored text of a replaced version is encrypted.
    let own = app
        .get_as(&format!("/v1/quotes/{}/review", patient.quote_id), &patient.token)
        .await;
    assert_eq!(own.status().as_u16(), 200);
    let own: Value = own.json().await.expect("json");
    assert_eq!(own["revisions"].as_array().map(Vec::len), Some(1));
    let public = reviews_of(&app, &liv.id).await;
    assert_eq!(public["items"][0]["text"], second["text"]);
    assert_eq!(public["items"][0]["edited"], true);
    assert!(public["items"][0].get("revisions").is_none());

    app.clock.advance(Duration::days(1));
    let late = put_review(&app, &patient, &json!({"rating": 1, "text": "Changed my mind."})).await;
    assert_problem(late, 409, "review-edit-window-closed").await;
}

#[tokio::test]
async fn screening_says_what_to_remove_and_claims_are_published_with_their_flags() {
    let app = TestApp::spawn().await;
    let (patient, liv) = treated_patient(&app, EMAIL).await;
    app.clock.advance(Duration::days(20));
    let contact = json!({"rating": 5, "text": "Ask me anything: jane@example.org or +44 20 7946 0958."});
    let refused = post_review(&app, &patient.quote_id, Some(&patient.token), &contact).await;
    let problem = assert_problem(refused, 422, "text-screened-out").await;
    let messages: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["message"].as_str().expect("message"))
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("email address") && messages[0].contains("jane@example.org"));
    assert!(messages[1].contains("phone number") && messages[1].contains("+44 20 7946 0958"));
    assert_eq!(problem["errors"][0]["pointer"], "/text");
    assert_eq!(count(&app, "reviews").await, 0, "nothing was stored");

    let claim = json!({"rating": 5, "text": "This clinic has a 100% success rate, my pain is gone!"});
    let published = post_review(&app, &patient.quote_id, Some(&patient.token), &claim).await;
    assert_eq!(published.status().as_u16(), 201);
    let list = reviews_of(&app, &liv.id).await;
    let item = &list["items"][0];
    assert_eq!(item["text"], claim["text"], "published as written");
    let codes: Vec<&str> = item["red_flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert!(codes.contains(&"GUARANTEED_OUTCOME"), "{codes:?}");
}

#[tokio::test]
async fn the_treating_clinic_replies_once_and_nobody_else_may() {
    let app = TestApp::spawn().await;
    let (patient, liv) = treated_patient(&app, EMAIL).await;
    app.clock.advance(Duration::days(14));
    let created = post_review(
        &app,
        &patient.quote_id,
        Some(&patient.token),
        &json!({"rating": 3, "text": "Fine."}),
    )
    .await;
    let review_id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let other_key = app
        .partner_key("Medipol Group", "medipol-university-hospital")
        .await;
    let other_clinic = app.clinic_id("medipol-university-hospital").await;

    assert_problem(reply(&app, &liv.id, &review_id, None).await, 401, "unauthorized").await;
    assert_problem(
        reply(&app, &liv.id, &review_id, Some(&other_key)).await,
        404,
        "not-found",
    )
    .await;
    assert_problem(
        reply(&app, &other_clinic, &review_id, Some(&other_key)).await,
        404,
        "not-found",
    )
    .await;
    assert_problem(
        reply(&app, &liv.id, &review_id, Some(&patient.token)).await,
        403,
        "forbidden",
    )
    .await;
    let screened = app
        .post_json(
            &format!("/v1/partner/clinics/{}/reviews/{review_id}/reply", liv.id),
            Some(&liv.key),
            &json!({"text": "Please call us on +90 212 555 01 23."}),
        )
        .await;
    assert_problem(screened, 422, "text-screened-out").await;

    let first = reply(&app, &liv.id, &review_id, Some(&liv.key)).await;
    assert_eq!(first.status().as_u16(), 201);
    let second = reply(&app, &liv.id, &review_id, Some(&liv.key)).await;
    assert_problem(second, 409, "conflict").await;

    let list = reviews_of(&app, &liv.id).await;
    assert!(list["items"][0]["reply"]["text"]
        .as_str()
        .expect("reply")
        .starts_with("Thank you"));
    let events = review_events(&app).await;
    let replied = events
        .iter()
        .find(|e| e.kind == "review.replied")
        .expect("replied event");
    assert_eq!(replied.payload["data"]["review_id"], review_id.as_str());
    assert!(replied.payload["data"].get("quote_id").is_none());
}

#[tokio::test]
async fn only_the_patient_of_the_quote_may_write_its_review() {
    let app = TestApp::spawn().await;
    let (patient, liv) = treated_patient(&app, EMAIL).await;
    let stranger = accepted_quote(&app, "someone.else@example.com", &liv).await;
    app.clock.advance(Duration::days(14));
    let body = json!({"rating": 1, "text": "Not my treatment."});
    assert_problem(
        post_review(&app, &patient.quote_id, None, &body).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        post_review(&app, &patient.quote_id, Some(&stranger.token), &body).await,
        404,
        "not-found",
    )
    .await;
    assert_problem(
        post_review(&app, &patient.quote_id, Some(&liv.key), &body).await,
        403,
        "forbidden",
    )
    .await;
    let staff = app.staff_key("coordinator").await;
    assert_problem(
        post_review(&app, &patient.quote_id, Some(&staff), &body).await,
        403,
        "forbidden",
    )
    .await;
    let read = app
        .get_as(
            &format!("/v1/quotes/{}/review", patient.quote_id),
            &stranger.token,
        )
        .await;
    assert_problem(read, 404, "not-found").await;
    let unknown = app
        .get(&format!("/v1/clinics/{}/reviews", uuid::Uuid::now_v7()))
        .await;
    assert_problem(unknown, 404, "not-found").await;
}

#[tokio::test]
async fn erasing_the_quote_deletes_the_review_its_history_and_the_reply() {
    let app = TestApp::spawn().await;
    let (patient, liv) = treated_patient(&app, EMAIL).await;
    app.clock.advance(Duration::days(14));
    let created = post_review(
        &app,
        &patient.quote_id,
        Some(&patient.token),
        &json!({"rating": 4, "text": "Good."}),
    )
    .await;
    let review_id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        put_review(&app, &patient, &json!({"rating": 5, "text": "Very good."}))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        reply(&app, &liv.id, &review_id, Some(&liv.key))
            .await
            .status()
            .as_u16(),
        201
    );
    let erase = app
        .client
        .delete(app.url(&format!("/v1/quotes/{}", patient.quote_id)))
        .bearer_auth(&patient.token)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(erase.status().as_u16(), 204);
    let list = reviews_of(&app, &liv.id).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    for table in ["reviews", "review_revisions", "review_replies"] {
        assert_eq!(count(&app, table).await, 0, "{table}");
    }
    let again = post_review(
        &app,
        &patient.quote_id,
        Some(&patient.token),
        &json!({"rating": 4, "text": "Good."}),
    )
    .await;
    assert_problem(again, 409, "conflict").await;
}
