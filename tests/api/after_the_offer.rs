//! Issue 20's "Done when" as one journey: twelve patients from quote to the 12-month follow-up on
//! an injected clock (no sleeping): treatment records, the handover pack (JSON and HTML), the
//! doctor's link and its revocation, reviews refused before and accepted after the 14-day mark, the
//! clinic's reply, due events in the outbox, answers inside and outside windows, a withdrawn
//! registry consent, an erasure, and a registry whose figures match values computed by hand ("10
//! or fewer" for a group of 10, figures for a group of 11). Who may call what is swept in
//! `after_the_offer_access.rs`.

use chrono::Duration;
use serde_json::{json, Value};

use crate::after_the_offer_steps::{handover_and_doctors_link, reviews_around_day_14};
use crate::follow_ups::{advance_to, answer, baseline, date, follow_up_events, follow_ups, item};
use crate::helpers::{assert_problem, field, TestApp};
use crate::journey::{accepted_quote, delete, liv, post_review, put_json, record_treatment, Patient};

/// The product lot Liv records for every patient.
const LOT: &str = "BM-2027-0311-A";

/// Back pain, leg pain and ODI at 3 months of patients 0–10; every baseline is 7, 4 and 40.
const MONTH_3: [(i64, i64, f64); 11] = [
    (7, 4, 40.0),
    (6, 4, 38.0),
    (5, 3, 35.0),
    (5, 3, 32.0),
    (4, 3, 30.0),
    (4, 2, 30.0),
    (3, 2, 28.0),
    (3, 1, 25.0),
    (2, 1, 20.0),
    (1, 0, 45.0),
    (7, 4, 40.0),
];

/// Type 7 quantile (Hyndman–Fan; R's default), written out again for the check.
fn type7(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() as f64 - 1.0) * p + 1.0;
    let j = h.floor() as usize;
    let below = sorted[j - 1];
    sorted
        .get(j)
        .map_or(below, |above| below + (h - j as f64) * (above - below))
}

/// Wilson score interval, 95 %.
fn wilson(k: f64, n: f64) -> (f64, f64) {
    let z: f64 = 1.96;
    let p = k / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let margin = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    (centre - margin, centre + margin)
}

fn close(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap_or(f64::NAN);
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

/// Announces what is due now, as the worker does each round.
async fn worker_round(app: &TestApp) -> usize {
    let mut conn = app.db().await;
    stemcare::follow_ups::announce::announce_due(&mut conn, &app.data_key, app.clock.now())
        .await
        .expect("announce")
}

fn due_events_for(events: &[Value], time_point: &str) -> usize {
    events
        .iter()
        .filter(|e| e["data"]["time_point"] == time_point)
        .count()
}

#[tokio::test]
async fn twelve_patients_from_quote_to_the_registry() {
    let app = TestApp::spawn().await;
    let liv = liv(&app).await;

    // 1. Twelve patients request quotes, receive Liv's offer and accept it.
    let mut patients = Vec::new();
    for n in 0..12 {
        let Patient { quote_id, token } =
            accepted_quote(&app, &format!("patient{n}@example.com"), &liv).await;
        patients.push((quote_id, token));
    }
    // The baseline of each is due at once: one `follow_up.due` each in the outbox.
    assert_eq!(worker_round(&app).await, 12);
    assert_eq!(worker_round(&app).await, 0, "announced once");

    // 2. Baselines (every patient: back 7, leg 4, ODI 40) and registry consent (all twelve).
    for (id, token) in &patients {
        let path = format!("/v1/quotes/{id}/follow-ups/baseline");
        assert_eq!(
            put_json(&app, &path, Some(token), &baseline(7, 4, 40.0))
                .await
                .status()
                .as_u16(),
            200
        );
        let consent = put_json(
            &app,
            &format!("/v1/quotes/{id}/registry-consent"),
            Some(token),
            &json!({"granted": true}),
        )
        .await;
        assert_eq!(consent.status().as_u16(), 200);
    }

    // 3. A week later the clinic records each treatment.
    app.clock.advance(Duration::days(7));
    let treated_on = app.clock.today();
    for (id, _) in &patients {
        record_treatment(&app, id, &liv, LOT).await;
    }
    let (first_id, first_token) = &patients[0];
    let schedule = follow_ups(&app, first_id, first_token).await;
    let m3 = item(&schedule, "month_3").clone();
    let m6 = item(&schedule, "month_6").clone();
    let m12 = item(&schedule, "month_12").clone();

    // The handover pack for the home doctor (JSON and HTML), the doctor's link and its revocation.
    handover_and_doctors_link(&app, first_id, first_token, LOT, &schedule).await;
    // Reviews: refused on day 13, accepted on day 14; the clinic replies with its partner key.
    let review_id = reviews_around_day_14(&app, &liv, first_id, first_token, treated_on).await;

    // 4. Three months: too early the day before the window, then eleven answer inside it.
    advance_to(&app, date(&m3["opens_on"]) - Duration::days(1));
    let early = put_json(
        &app,
        &format!("/v1/quotes/{first_id}/follow-ups/month_3"),
        Some(first_token),
        &answer(7, 4, 40.0),
    )
    .await;
    assert_problem(early, 409, "follow-up-window-not-open").await;
    app.clock.advance(Duration::days(1));
    assert_eq!(worker_round(&app).await, 12, "every 3-month follow-up announced");
    for (n, (id, token)) in patients.iter().enumerate().take(11) {
        let (back, leg, odi) = MONTH_3[n];
        let mut body = answer(back, leg, odi);
        if n == 0 {
            body["adverse_events"] = json!([{"category": "other", "severity": "mild", "description": "pain at the injection site", "care_needed": "none"}]);
        }
        let response = put_json(
            &app,
            &format!("/v1/quotes/{id}/follow-ups/month_3"),
            Some(token),
            &body,
        )
        .await;
        assert_eq!(response.status().as_u16(), 200);
    }
    // Patient 11 answers late (the window's last day) with numbers that must not reach the
    // registry, then withdraws the registry consent.
    advance_to(&app, date(&m3["closes_on"]));
    let (withdrawing_id, withdrawing_token) = &patients[11];
    let late = put_json(
        &app,
        &format!("/v1/quotes/{withdrawing_id}/follow-ups/month_3"),
        Some(withdrawing_token),
        &answer(0, 0, 0.0),
    )
    .await;
    assert_eq!(late.status().as_u16(), 200, "late but inside the window counts");
    let registry: Value = app.get_json("/v1/outcome-registry", 200).await;
    let month_3 = &registry["by_clinic"][0]["time_points"][0];
    assert_eq!(
        month_3["figures"]["answered"], 12,
        "twelve consenting answers before the withdrawal"
    );
    let withdraw = put_json(
        &app,
        &format!("/v1/quotes/{withdrawing_id}/registry-consent"),
        Some(withdrawing_token),
        &json!({"granted": false}),
    )
    .await;
    assert_eq!(withdraw.status().as_u16(), 200);
    assert_eq!(
        follow_ups(&app, withdrawing_id, withdrawing_token).await["registry_consent"],
        false
    );

    // Patient 10, with a doctor's link and a published review, erases everything: the answers, the
    // link and the review go; the consented registry rows stay, linked to no one.
    let (erasing_id, erasing_token) = &patients[10];
    let link = app
        .post_json(
            &format!("/v1/quotes/{erasing_id}/handover-links"),
            Some(erasing_token),
            &json!({}),
        )
        .await;
    assert_eq!(link.status().as_u16(), 201);
    let link_url = link.json::<Value>().await.expect("json")["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let review = json!({"rating": 2, "text": "A long wait before the injection."});
    let posted = post_review(&app, erasing_id, Some(erasing_token), &review).await;
    assert_eq!(posted.status().as_u16(), 201);
    let erase = delete(&app, &format!("/v1/quotes/{erasing_id}"), Some(erasing_token)).await;
    assert_eq!(erase.status().as_u16(), 204);
    assert_problem(app.get(&link_url).await, 404, "not-found").await;
    let reviews = app.walk(&format!("/v1/clinics/{}/reviews", liv.id)).await;
    assert_eq!(
        field(&reviews, "id"),
        [review_id.as_str()],
        "only patient 0's review is left"
    );
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use stemcare::db::schema::{follow_up_responses, outcome_registry_entries};
        let mut conn = app.db().await;
        let left: i64 = follow_up_responses::table
            .filter(follow_up_responses::quote_id.eq(erasing_id.parse::<uuid::Uuid>().expect("uuid")))
            .count()
            .get_result(&mut conn)
            .await
            .expect("count");
        assert_eq!(left, 0, "the erased patient's answers are deleted");
        let unlinked: i64 = outcome_registry_entries::table
            .filter(outcome_registry_entries::pseudonym.is_null())
            .count()
            .get_result(&mut conn)
            .await
            .expect("count");
        assert_eq!(unlinked, 1, "one consented 3-month row stays, linked to no one");
    }

    // 5. Six months: patients 0–9 answer (ten answers: "10 or fewer").
    advance_to(&app, date(&m6["due_on"]));
    assert_eq!(
        worker_round(&app).await,
        11,
        "the erased quote is not followed any more"
    );
    for (id, token) in patients.iter().take(10) {
        let response = put_json(
            &app,
            &format!("/v1/quotes/{id}/follow-ups/month_6"),
            Some(token),
            &answer(4, 2, 30.0),
        )
        .await;
        assert_eq!(response.status().as_u16(), 200);
    }

    // 6. Twelve months: 0–7 answer on the due day, 8 on the window's last day, 9 a day late (refused).
    advance_to(&app, date(&m12["due_on"]));
    assert_eq!(worker_round(&app).await, 11);
    for (id, token) in patients.iter().take(8) {
        let response = put_json(
            &app,
            &format!("/v1/quotes/{id}/follow-ups/month_12"),
            Some(token),
            &answer(3, 2, 24.0),
        )
        .await;
        assert_eq!(response.status().as_u16(), 200);
    }
    advance_to(&app, date(&m12["closes_on"]));
    let (id8, token8) = &patients[8];
    assert_eq!(
        put_json(
            &app,
            &format!("/v1/quotes/{id8}/follow-ups/month_12"),
            Some(token8),
            &answer(3, 2, 24.0)
        )
        .await
        .status()
        .as_u16(),
        200
    );
    app.clock.advance(Duration::days(1));
    let (id9, token9) = &patients[9];
    let too_late = put_json(
        &app,
        &format!("/v1/quotes/{id9}/follow-ups/month_12"),
        Some(token9),
        &answer(3, 2, 24.0),
    )
    .await;
    assert_problem(too_late, 409, "follow-up-window-closed").await;
    assert_eq!(
        item(&follow_ups(&app, id9, token9).await, "month_12")["state"],
        "missed"
    );

    // 7. The outbox: one `follow_up.due` per patient and time point reached, ids only.
    let events = follow_up_events(&app).await;
    assert_eq!(
        [
            due_events_for(&events, "baseline"),
            due_events_for(&events, "month_3"),
            due_events_for(&events, "month_6"),
            due_events_for(&events, "month_12")
        ],
        [12, 12, 11, 11]
    );

    // 8. The registry, public and cacheable.
    let response = app.get("/v1/outcome-registry").await;
    assert_eq!(response.status().as_u16(), 200);
    let etag = response.headers()["etag"].to_str().expect("etag").to_owned();
    let registry: Value = response.json().await.expect("json");
    let again = app
        .client
        .get(app.url("/v1/outcome-registry"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(
        registry["label"],
        "registry: self-reported, unblinded, uncontrolled; very low certainty"
    );
    assert_eq!(registry["quantile_method"], "hyndman_fan_7");
    let clinic = &registry["by_clinic"][0];
    assert_eq!(clinic["clinic_id"], liv.id.as_str());
    let group = &registry["by_condition_cell_type_country"][0];
    assert_eq!(
        (
            group["condition"].as_str(),
            group["cell_type"].as_str(),
            group["country"].as_str()
        ),
        (Some("sciatica"), Some("bm-msc"), Some("TR"))
    );
    for time_points in [&clinic["time_points"], &group["time_points"]] {
        // Six months: ten answers, shown only as "10 or fewer"; twelve months: nine.
        for (index, time_point) in [(1, "month_6"), (2, "month_12")] {
            let cell = &time_points[index];
            assert_eq!(cell["time_point"], time_point);
            assert_eq!(cell["suppressed"], true);
            assert_eq!(cell["note"], "10 or fewer");
            assert!(
                cell.get("figures").is_none(),
                "no figure for a group of 10 or fewer"
            );
        }
        // Three months: eleven answers (patients 0–10; the erased one's row stays, unlinked; the
        // withdrawn one's is gone), every figure as computed by hand.
        let cell = &time_points[0];
        assert_eq!(cell["label"], registry["label"]);
        let f = &cell["figures"];
        assert_eq!((f["due"].as_u64(), f["answered"].as_u64()), (Some(11), Some(11)));
        close(&f["response_rate"], 1.0);
        // Back pain improvements 7 − x: sorted [0,0,1,2,2,3,3,4,4,5,6]; h = 10p + 1:
        // Q1 (h = 3.5) = 1 + 0.5·(2 − 1) = 1.5, median (h = 6) = 3, Q3 (h = 8.5) = 4.
        let back: Vec<f64> = {
            let mut v: Vec<f64> = MONTH_3.iter().map(|(b, _, _)| 7.0 - *b as f64).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        assert_eq!(back, [0.0, 0.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 6.0]);
        let summary = &f["back_pain_nrs"];
        assert_eq!(summary["denominator"], 11);
        close(&summary["q1"], 1.5);
        close(&summary["median_improvement"], 3.0);
        close(&summary["q3"], 4.0);
        assert_eq!(
            (type7(&back, 0.25), type7(&back, 0.5), type7(&back, 0.75)),
            (1.5, 3.0, 4.0)
        );
        // MIC: ≥ 2 points (or ≥ 30 % of 7 = 2.1) → 8 of 11; Wilson 95 % ≈ 0.4343–0.9025.
        let mic = &summary["reached_mic"];
        assert_eq!(
            (mic["count"].as_u64(), mic["denominator"].as_u64()),
            (Some(8), Some(11))
        );
        let (low, high) = wilson(8.0, 11.0);
        close(&mic["share"], 8.0 / 11.0);
        close(&mic["wilson_95_low"], low);
        close(&mic["wilson_95_high"], high);
        assert_eq!(((low * 1e4).round(), (high * 1e4).round()), (4343.0, 9025.0));
        assert_eq!(mic["small_sample"], true, "n ≤ 20 is labelled a small sample");
        // Leg pain 4 − x: sorted [0,0,0,1,1,1,2,2,3,3,4] → Q1 0.5, median 1, Q3 2.5; MIC: ≥ 2
        // points, or ≥ 30 % of 4 (1 point is 25 %: not enough) → 5 of 11 (Wilson ≈ 0.2127–0.7199).
        let leg = &f["leg_pain_nrs"];
        close(&leg["q1"], 0.5);
        close(&leg["median_improvement"], 1.0);
        close(&leg["q3"], 2.5);
        assert_eq!(leg["reached_mic"]["count"], 5);
        let (low, high) = wilson(5.0, 11.0);
        close(&leg["reached_mic"]["wilson_95_low"], low);
        close(&leg["reached_mic"]["wilson_95_high"], high);
        // ODI 40 − x: sorted [−5,0,0,2,5,8,10,10,12,15,20] → Q1 0 + 0.5·2 = 1, median 8,
        // Q3 10 + 0.5·2 = 11; MIC: ≥ 10 points (30 % of 40 = 12 is stricter) → 5 of 11.
        let odi = &f["odi_score"];
        close(&odi["q1"], 1.0);
        close(&odi["median_improvement"], 8.0);
        close(&odi["q3"], 11.0);
        assert_eq!(odi["reached_mic"]["count"], 5);
        // Adverse events: 1 of 11; Wilson ≈ 0.0162–0.3774 (outcomes.md: 1/11 → 0.016–0.377).
        let adverse = &f["adverse_events"];
        assert_eq!(
            (adverse["count"].as_u64(), adverse["denominator"].as_u64()),
            (Some(1), Some(11))
        );
        let (low, high) = wilson(1.0, 11.0);
        close(&adverse["wilson_95_low"], low);
        close(&adverse["wilson_95_high"], high);
        assert_eq!(((low * 1e4).round(), (high * 1e4).round()), (162.0, 3774.0));
    }
    // A filter that matches nothing shows nothing; the registry names no quote and no date.
    let other_country: Value = app.get_json("/v1/outcome-registry?country=DE", 200).await;
    assert_eq!(other_country["by_clinic"], json!([]));
    let text = registry.to_string();
    for (id, _) in &patients {
        assert!(!text.contains(id.as_str()), "a quote id in the registry");
    }
}
