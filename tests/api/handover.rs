//! The handover pack (JSON and printable HTML) and the doctor's time-limited link (issue 20 §2),
//! and what erasure removes.

use chrono::{Months, NaiveDate};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};
use crate::journey::{
    create_link, delete, get_accepting, liv_over_medipol, record_treatment, Clinic, Patient,
};
use crate::quotes::create_quote;
use crate::treatments::{read, today};

/// Liv's offer accepted over Medipol's, and Liv's record of the treatment today with `lot` as the
/// product lot. Returns the patient, Liv and Medipol.
async fn treated_quote(app: &TestApp, email: &str, lot: &str) -> (Patient, Clinic, Clinic) {
    let (patient, liv, medipol) = liv_over_medipol(app, email).await;
    record_treatment(app, &patient.quote_id, &liv, lot).await;
    (patient, liv, medipol)
}

#[tokio::test]
async fn the_pack_holds_the_record_the_schedule_and_its_sources() {
    let app = TestApp::spawn().await;
    let (q, liv, medipol) = treated_quote(&app, "pack@example.com", "LOT-77").await;
    let path = format!("/v1/quotes/{}/handover", q.quote_id);
    let response = app.get_as(&path, &q.token).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("application/json"));
    let pack: Value = response.json().await.expect("json");

    let treatment = &pack["treatment"];
    assert_eq!(treatment["product_lot"], "LOT-77");
    assert_eq!(treatment["certificate_of_analysis"], "CoA 2027/118");
    assert_eq!(treatment["sites"], json!(["L4-L5 disc"]));
    assert_eq!(treatment["cell_type"]["slug"], "bm-msc");
    assert!(treatment["cell_type"]["name"].is_string());
    assert_eq!(
        treatment["administration_method"]["slug"],
        "intradiscal-injection"
    );
    assert_eq!(
        treatment["medications"][0],
        "Cefazolin 1 g IV once before the procedure"
    );
    assert_eq!(treatment["adverse_events_during_stay"][0]["severity"], "mild");
    assert_eq!(pack["clinic"]["name"], "Liv Hospital Ulus");

    // Baseline, then 3, 6, 12 and 24 months after the treatment date, ±30 days.
    let treated_on: NaiveDate = today().parse().expect("date");
    let schedule = pack["follow_up_schedule"].as_array().expect("schedule");
    let points: Vec<&str> = schedule
        .iter()
        .map(|s| s["time_point"].as_str().expect("tp"))
        .collect();
    assert_eq!(points, ["baseline", "month_3", "month_6", "month_12", "month_24"]);
    assert_eq!(schedule[0]["due_on"], treated_on.to_string());
    assert_eq!(schedule[0]["window_opens"], Value::Null);
    for (i, months) in [(1, 3), (2, 6), (3, 12), (4, 24)] {
        let due = treated_on.checked_add_months(Months::new(months)).expect("date");
        assert_eq!(schedule[i]["due_on"], due.to_string());
        assert_eq!(
            schedule[i]["window_opens"],
            (due - chrono::Duration::days(30)).to_string()
        );
        assert_eq!(
            schedule[i]["window_closes"],
            (due + chrono::Duration::days(30)).to_string()
        );
    }

    // Sciatica has no study: its summary says so, with certainty `none`. Every cited source is
    // listed.
    assert_eq!(pack["evidence"]["condition"], "sciatica");
    assert_eq!(pack["evidence"]["certainty"], "none");
    assert_eq!(pack["evidence"]["badge"], "No studies found");
    assert_eq!(pack["evidence_note"], Value::Null);
    let sources: Vec<&str> = pack["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    let signs = pack["warning_signs"].as_array().expect("signs");
    assert!(!signs.is_empty());
    for sign in signs {
        assert!(
            sources.contains(&sign["source_id"].as_str().expect("source")),
            "{sign}"
        );
    }
    assert!(sources.contains(&treatment["source_id"].as_str().expect("source")));
    assert!(sources.contains(&"evidence:sciatica"));
    assert!(pack["disclaimer"]["text"].is_string());

    // The clinic and staff read it too; others do not.
    assert_eq!(read(&app, &path, &liv.key).await["quote_id"], q.quote_id.as_str());
    let coordinator = app.staff_key("coordinator").await;
    assert_eq!(
        read(&app, &path, &coordinator).await["quote_id"],
        q.quote_id.as_str()
    );
    assert_problem(app.get_as(&path, &medipol.key).await, 404, "not-found").await;
    assert_problem(app.get(&path).await, 401, "unauthorized").await;
    let (_, other_token, _) = create_quote(&app, "nosy@example.com").await;
    assert_problem(app.get_as(&path, &other_token).await, 404, "not-found").await;
    let xml = get_accepting(&app, &path, Some(&q.token), "application/xml").await;
    assert_problem(xml, 406, "not-acceptable").await;
}

#[tokio::test]
async fn the_printable_page_is_html_with_every_value_escaped() {
    let app = TestApp::spawn().await;
    let (q, _, _) = treated_quote(&app, "html@example.com", "<script>alert('lot')</script>").await;
    let path = format!("/v1/quotes/{}/handover", q.quote_id);
    let response = get_accepting(
        &app,
        &path,
        Some(&q.token),
        "text/html,application/xhtml+xml,*/*;q=0.8",
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    assert!(response.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .contains("default-src 'none'"));
    let page = response.text().await.expect("text");
    assert!(page.starts_with("<!DOCTYPE html><html lang=\"en\">"));
    assert!(page.contains("@media print"));
    assert!(page.contains("&lt;script&gt;alert(&#39;lot&#39;)&lt;/script&gt;"));
    assert!(!page.contains("<script"), "no script element, escaped or ours");
    assert!(page.contains("L4-L5 disc") && page.contains("Cefazolin"));
    assert!(page.contains("No studies found") && page.contains("GRADE certainty: none"));
}

#[tokio::test]
async fn a_quote_without_treatment_has_no_pack() {
    let app = TestApp::spawn().await;
    let (q, _, _) = liv_over_medipol(&app, "nopack@example.com").await;
    let path = format!("/v1/quotes/{}/handover", q.quote_id);
    assert_problem(app.get_as(&path, &q.token).await, 404, "not-found").await;
    assert_problem(create_link(&app, &q, &json!({})).await, 409, "conflict").await;
    let coordinator = app.staff_key("coordinator").await;
    let body = json!({"outcome": "not_treated", "reason": "patient_did_not_travel"});
    let recorded = app
        .post_json(
            &format!("/v1/quotes/{}/treatment", q.quote_id),
            Some(&coordinator),
            &body,
        )
        .await;
    assert_eq!(recorded.status().as_u16(), 201);
    let problem = assert_problem(app.get_as(&path, &q.token).await, 409, "conflict").await;
    assert_eq!(
        problem["detail"],
        "the quote is not treated and cannot become handed over"
    );
    assert_problem(create_link(&app, &q, &json!({})).await, 409, "conflict").await;
}

#[tokio::test]
async fn the_doctors_link_opens_the_pack_and_nothing_else_until_revoked_or_expired() {
    let app = TestApp::spawn().await;
    let (q, liv, medipol) = treated_quote(&app, "link@example.com", "LOT-9").await;
    let links = format!("/v1/quotes/{}/handover-links", q.quote_id);

    // Only the patient makes links, for 1 to 90 days.
    let body = json!({});
    assert_problem(app.post_json(&links, None, &body).await, 401, "unauthorized").await;
    assert_problem(
        app.post_json(&links, Some(&liv.key), &body).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_json(&links, Some(&medipol.key), &body).await,
        403,
        "forbidden",
    )
    .await;
    let (_, other_token, _) = create_quote(&app, "other-link@example.com").await;
    assert_problem(
        app.post_json(&links, Some(&other_token), &body).await,
        404,
        "not-found",
    )
    .await;
    let too_long = create_link(&app, &q, &json!({"expires_in_days": 91})).await;
    let problem = assert_problem(too_long, 422, "validation-failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/expires_in_days");

    let response = create_link(&app, &q, &body).await;
    assert_eq!(response.status().as_u16(), 201);
    let link: Value = response.json().await.expect("json");
    let token = link["token"].as_str().expect("token").to_owned();
    let url = link["url"].as_str().expect("url").to_owned();
    assert_eq!(url, format!("/v1/handover/{token}"));
    let expires_at: chrono::DateTime<chrono::Utc> =
        link["expires_at"].as_str().expect("at").parse().expect("time");
    let days = (expires_at - chrono::Utc::now()).num_hours();
    assert!((29 * 24..=30 * 24).contains(&days), "{days} hours");

    // The doctor opens it with nothing else, as JSON or as a page.
    let response = app.get(&url).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let pack: Value = response.json().await.expect("json");
    assert_eq!(pack["treatment"]["product_lot"], "LOT-9");
    let page = get_accepting(&app, &url, None, "text/html").await;
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");

    // The token is no credential for anything else.
    assert_problem(
        app.get_as(&format!("/v1/quotes/{}", q.quote_id), &token).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get_as(&format!("/v1/quotes/{}/treatment", q.quote_id), &token)
            .await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get("/v1/handover/hl_not-a-real-token").await,
        404,
        "not-found",
    )
    .await;

    // Revoked: 410; revoking again is harmless; another quote's link id is unknown.
    let link_path = format!("{links}/{}", link["id"].as_str().expect("id"));
    let revoke = delete(&app, &link_path, Some(&q.token)).await;
    assert_eq!(revoke.status().as_u16(), 204);
    let again = delete(&app, &link_path, Some(&q.token)).await;
    assert_eq!(again.status().as_u16(), 204);
    let by_partner = delete(&app, &link_path, Some(&liv.key)).await;
    assert_problem(by_partner, 403, "forbidden").await;
    let problem = assert_problem(app.get(&url).await, 410, "gone").await;
    assert_eq!(problem["detail"], "the patient revoked this handover link");

    // Expired: 410 once the clock passes `expires_at`.
    let short: Value = create_link(&app, &q, &json!({"expires_in_days": 1}))
        .await
        .json()
        .await
        .expect("json");
    let short_url = short["url"].as_str().expect("url").to_owned();
    assert_eq!(app.get(&short_url).await.status().as_u16(), 200);
    app.clock.advance(chrono::Duration::days(2));
    let problem = assert_problem(app.get(&short_url).await, 410, "gone").await;
    assert_eq!(problem["detail"], "this handover link has expired");
}

#[tokio::test]
async fn erasure_removes_the_details_and_the_links() {
    let app = TestApp::spawn().await;
    let (q, _, _) = treated_quote(&app, "erase-treated@example.com", "LOT-ERASE").await;
    let link: Value = create_link(&app, &q, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    let url = link["url"].as_str().expect("url").to_owned();
    assert_eq!(app.get(&url).await.status().as_u16(), 200);

    let erase = delete(&app, &format!("/v1/quotes/{}", q.quote_id), Some(&q.token)).await;
    assert_eq!(erase.status().as_u16(), 204);

    assert_problem(app.get(&url).await, 404, "not-found").await;
    let coordinator = app.staff_key("coordinator").await;
    let record = read(
        &app,
        &format!("/v1/quotes/{}/treatment", q.quote_id),
        &coordinator,
    )
    .await;
    assert_eq!(record["details_erased"], true);
    assert_eq!(record["product_lot"], Value::Null);
    assert_eq!(record["treated_on"], today(), "the de-identified facts stay");
    let pack = app
        .get_as(&format!("/v1/quotes/{}/handover", q.quote_id), &coordinator)
        .await;
    assert_problem(pack, 409, "conflict").await;

    use stemcare::db::schema::{handover_links, treatment_records};
    let mut conn = app.db().await;
    let quote_id: uuid::Uuid = q.quote_id.parse().expect("uuid");
    let links: i64 = handover_links::table
        .filter(handover_links::quote_id.eq(quote_id))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(links, 0);
    let sealed: Option<Vec<u8>> = treatment_records::table
        .filter(treatment_records::quote_id.eq(quote_id))
        .select(treatment_records::details_ciphertext)
        .first(&mut conn)
        .await
        .expect("record");
    assert!(sealed.is_none());
}
