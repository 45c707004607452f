//! Clinic detail shows what a patient should see next to a clinic (issue 20 §4, issue 21 §1/§3):
//! its verified reviews at a glance, its practitioners with their licence standing as it changes
//! with verifications and the clock, and the trials its listing cites before and after the
//! registry lookup. `fields=` reads only what is asked; the ETag follows the content.

use chrono::Duration;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::trial_registry::{registry_script, FakeRegistry};

const CLINIC: &str = "liv-hospital-ulus";
const REGISTER: &str = "https://www.gmc-uk.org/registration-and-licensing/the-medical-register";

/// A patient whose quote went through offer and acceptance to a treatment recorded today (by
/// the server's clock). The path of tests/api/reviews.rs.
struct Patient {
    quote_id: String,
    token: String,
}

async fn treated_patient(app: &TestApp, email: &str) -> Patient {
    let partner_key = app.partner_key("Liv Group", CLINIC).await;
    let clinic_id = app.clinic_id(CLINIC).await;
    let created = app
        .post_json(
            "/v1/quotes",
            None,
            &crate::quotes::quote_request(email, json!({"mode": "clinics", "clinic_ids": [clinic_id]})),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.expect("json");
    let quote_id = created["quote"]["id"].as_str().expect("id").to_owned();
    let token = created["access_token"].as_str().expect("token").to_owned();
    let offer = app
        .post_json(
            &format!("/v1/quotes/{quote_id}/offers"),
            Some(&partner_key),
            &crate::quotes::offer_request(&clinic_id),
        )
        .await;
    assert_eq!(offer.status().as_u16(), 201);
    let offer: Value = offer.json().await.expect("json");
    let offer_id = offer["id"].as_str().expect("offer id");
    let accept = app
        .post_json(
            &format!("/v1/quotes/{quote_id}/offers/{offer_id}/accept"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(accept.status().as_u16(), 200);
    let treated = app
        .post_json(
            &format!("/v1/quotes/{quote_id}/treatment"),
            Some(&partner_key),
            &crate::journey::treated_body(&app.clock.today().to_string(), "LOT-2027-01"),
        )
        .await;
    let status = treated.status().as_u16();
    assert_eq!(status, 201, "{}", treated.text().await.unwrap_or_default());
    Patient { quote_id, token }
}

async fn review(app: &TestApp, patient: &Patient, rating: u8, text: &str) -> Value {
    let response = app
        .post_json(
            &format!("/v1/quotes/{}/review", patient.quote_id),
            Some(&patient.token),
            &json!({"rating": rating, "text": text}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.expect("json")
}

/// The clinic detail with its ETag.
async fn detail(app: &TestApp, clinic_id: &str, query: &str) -> (Value, String) {
    let response = app.get(&format!("/v1/clinics/{clinic_id}{query}")).await;
    assert_eq!(response.status().as_u16(), 200);
    let etag = response.headers()["etag"].to_str().expect("etag").to_owned();
    (response.json().await.expect("json"), etag)
}

async fn status_if_none_match(app: &TestApp, clinic_id: &str, etag: &str) -> u16 {
    app.client
        .get(app.url(&format!("/v1/clinics/{clinic_id}")))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("GET")
        .status()
        .as_u16()
}

fn distribution(reviews: &Value) -> Vec<(i64, i64)> {
    reviews["distribution"]
        .as_array()
        .expect("distribution")
        .iter()
        .map(|d| {
            (
                d["rating"].as_i64().expect("rating"),
                d["count"].as_i64().expect("count"),
            )
        })
        .collect()
}

#[tokio::test]
async fn detail_shows_the_count_the_distribution_and_the_latest_reviews_and_its_etag_follows() {
    let app = TestApp::spawn().await;
    let clinic_id = app.clinic_id(CLINIC).await;
    let (before, _) = detail(&app, &clinic_id, "").await;
    assert_eq!(
        before["reviews"]["count"], 0,
        "no reviews is an honest empty summary"
    );
    assert_eq!(
        distribution(&before["reviews"]),
        [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0)]
    );
    assert_eq!(before["reviews"]["latest"], json!([]));
    assert_eq!(
        before["reviews"]["list_url"],
        format!("/v1/clinics/{clinic_id}/reviews")
    );

    let first = treated_patient(&app, "first.patient@example.com").await;
    let second = treated_patient(&app, "second.patient@example.com").await;
    app.clock.advance(Duration::days(14));
    let good = review(
        &app,
        &first,
        5,
        "Clear invoice and kind nurses. My leg pain is a little better.",
    )
    .await;
    let (one, one_etag) = detail(&app, &clinic_id, "").await;
    assert_eq!(one["reviews"]["count"], 1);
    assert_eq!(status_if_none_match(&app, &clinic_id, &one_etag).await, 304);

    let poor = review(
        &app,
        &second,
        2,
        "The transfer never came and nobody answered my emails.",
    )
    .await;
    let (two, two_etag) = detail(&app, &clinic_id, "").await;
    assert_ne!(two_etag, one_etag, "a new review changes the ETag");
    assert_eq!(
        status_if_none_match(&app, &clinic_id, &one_etag).await,
        200,
        "the old tag no longer matches"
    );
    assert_eq!(status_if_none_match(&app, &clinic_id, &two_etag).await, 304);

    let reviews = &two["reviews"];
    assert_eq!(reviews["count"], 2);
    assert_eq!(distribution(reviews), [(1, 0), (2, 1), (3, 0), (4, 0), (5, 1)]);
    let latest = reviews["latest"].as_array().expect("latest");
    let ids: Vec<&Value> = latest.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&poor["id"], &good["id"]], "newest first");
    let treated = app.clock.today() - Duration::days(14);
    for shown in latest {
        assert_eq!(
            shown["reviewer"],
            format!("verified patient, treated {}", treated.format("%B %Y"))
        );
        assert!(shown["red_flags"].is_array() && shown.get("reply").is_some());
    }
    // The latest are shown as the public list shows them.
    let listed = app
        .get_json(&format!("/v1/clinics/{clinic_id}/reviews"), 200)
        .await;
    assert_eq!(&listed["items"], &reviews["latest"]);
    let text = serde_json::to_string(&two).expect("json");
    for private in [first.quote_id.as_str(), second.quote_id.as_str(), "first.patient"] {
        assert!(!text.contains(private), "clinic detail shows {private}");
    }
}

fn licence_check(practitioner_id: &str, checked_at: &str, valid_until: &str) -> Value {
    json!({
        "subject": {"kind": "practitioner_licence", "id": practitioner_id},
        "source_url": REGISTER,
        "checked_at": checked_at,
        "result": "verified",
        "valid_until": valid_until,
        "note": "Register entry matches number, name and country."
    })
}

#[tokio::test]
async fn a_practitioner_is_claimed_then_verified_then_claimed_again_when_it_expires() {
    let app = TestApp::spawn().await;
    let partner = app.partner_key("Partner P", CLINIC).await;
    let coordinator = app.staff_key("coordinator").await;
    let clinic_id = app.clinic_id(CLINIC).await;
    let (none, _) = detail(&app, &clinic_id, "").await;
    assert_eq!(none["practitioners"], json!([]));

    let doctor =
        crate::practitioners::add(&app, &partner, &clinic_id, &crate::practitioners::physician()).await;
    let doctor_id = doctor["id"].as_str().expect("id").to_owned();
    let (claimed, claimed_etag) = detail(&app, &clinic_id, "").await;
    let shown = &claimed["practitioners"][0];
    assert_eq!(shown["id"], doctor_id.as_str());
    assert_eq!(shown["name"], "Dr Jane Example");
    assert_eq!(shown["details"], "claimed_by_clinic");
    assert_eq!(shown["licence"]["number"], "7012345");
    assert_eq!(shown["licence"]["status"], "claimed_by_clinic");
    assert_eq!(shown["licence"]["verification"], Value::Null);
    // As the practitioners' own list shows them.
    let own = app
        .get_json(&format!("/v1/clinics/{clinic_id}/practitioners"), 200)
        .await;
    assert_eq!(claimed["practitioners"], own["items"]);

    let until = app.clock.today() + Duration::days(30);
    let recorded = app
        .post_json(
            "/v1/admin/verifications",
            Some(&coordinator),
            &licence_check(&doctor_id, &app.clock.now().to_rfc3339(), &until.to_string()),
        )
        .await;
    assert_eq!(recorded.status().as_u16(), 201);
    let (verified, verified_etag) = detail(&app, &clinic_id, "").await;
    assert_ne!(verified_etag, claimed_etag, "a verification changes the ETag");
    let licence = &verified["practitioners"][0]["licence"];
    assert_eq!(licence["status"], "verified");
    assert_eq!(licence["verification"]["source_url"], REGISTER);
    assert_eq!(licence["verification"]["checked_by"], "coordinator");
    assert_eq!(licence["verification"]["valid_until"], until.to_string());

    // On its date it still holds; the day after it is the clinic's claim again.
    app.clock.advance(Duration::days(30));
    let (last_day, _) = detail(&app, &clinic_id, "").await;
    assert_eq!(last_day["practitioners"][0]["licence"]["status"], "verified");
    app.clock.advance(Duration::days(1));
    let (expired, expired_etag) = detail(&app, &clinic_id, "").await;
    let licence = &expired["practitioners"][0]["licence"];
    assert_eq!(licence["status"], "claimed_by_clinic");
    assert_eq!(
        licence["verification"]["valid_until"],
        until.to_string(),
        "the expired record is still shown"
    );
    assert_ne!(expired_etag, verified_etag);
}

/// Runs the registry lookup worker against `registry` until it has nothing left, as the
/// background task would.
async fn run_lookups(app: &TestApp, registry: &FakeRegistry) {
    let settings = stemcare::config::Settings {
        ctgov_url: registry.url.clone(),
        ..stemcare::config::Settings::for_tests(&app.database_url)
    };
    let client = stemcare::trial_registry::client::RegistryClient::new(&settings).expect("client");
    let mut conn = app.db().await;
    let book = stemcare::red_flags::repo::load_rule_book(&mut conn)
        .await
        .expect("rule book");
    // The seeded listings cite ids too: run rounds until the queue and the re-evaluations are done.
    for _ in 0..50 {
        let round = stemcare::trial_registry::worker::run_round(&mut conn, &client, &app.clock, &book)
            .await
            .expect("round");
        if round == stemcare::trial_registry::worker::Round::default() {
            return;
        }
    }
    panic!("the lookups did not finish");
}

fn codes(flags: &Value) -> Vec<String> {
    flags
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_owned())
        .collect()
}

#[tokio::test]
async fn a_cited_trial_is_not_yet_checked_until_the_worker_runs_then_shows_the_registry_facts() {
    let registry = FakeRegistry::start(registry_script()).await;
    // The lookup worker is off in tests: nothing is fetched until this test runs a round.
    let app = TestApp::spawn().await;
    let key = app.partner_key("p-trial", "cellular-hope-institute").await;
    let mut body = crate::partners::clinic("p-trial-1", "Example Spine Clinic");
    body["description"] = json!(
        "Outpatient spine clinic offering bone marrow cell injections. Now recruiting for our study NCT05288205."
    );
    let created = app.post_json("/v1/partner/clinics", Some(&key), &body).await;
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.expect("json");
    let clinic_id = created["id"].as_str().expect("id").to_owned();

    let (pending, pending_etag) = detail(&app, &clinic_id, "").await;
    let claims = pending["trial_claims"].as_array().expect("trial_claims");
    assert_eq!(claims.len(), 1);
    let claim = &claims[0];
    assert_eq!(claim["nct_id"], "NCT05288205");
    assert_eq!(
        claim["registry_url"],
        "https://clinicaltrials.gov/study/NCT05288205"
    );
    assert_eq!(claim["registry_check"], "not_yet_checked");
    assert_eq!(claim["registry_record"], Value::Null);
    assert_eq!(codes(&claim["red_flags"]), ["REGISTRY_CHECK_PENDING"]);
    assert_eq!(claim["verification"]["status"], "claimed_by_clinic");
    assert_eq!(
        registry.requests_for("NCT05288205"),
        0,
        "nothing waits on the registry"
    );

    run_lookups(&app, &registry).await;
    assert_eq!(registry.requests_for("NCT05288205"), 1);
    let (checked, checked_etag) = detail(&app, &clinic_id, "").await;
    assert_ne!(checked_etag, pending_etag, "a fetched snapshot changes the ETag");
    let claim = &checked["trial_claims"][0];
    assert_eq!(claim["registry_check"], "found");
    let record = &claim["registry_record"];
    assert_eq!(record["title"], "Stem cell study NCT05288205");
    assert_eq!(record["overall_status"], "RECRUITING");
    assert_eq!(record["lead_sponsor"], "Allist Pharmaceuticals, Inc.");
    assert_eq!(record["last_update_date"], "2026-07-01");
    assert!(record["fetched_at"].is_string());
    // Recruiting, but run by another sponsor in another country: flagged on the claim.
    assert_eq!(codes(&claim["red_flags"]), ["REGISTRY_STUDY_NOT_AT_CLINIC"]);
    assert_eq!(claim["red_flags"][0]["severity"], "warn");

    // A coordinator checks the claim against the registry and records that it contradicts it.
    let coordinator = app.staff_key("coordinator").await;
    let recorded = app
        .post_json(
            "/v1/admin/verifications",
            Some(&coordinator),
            &json!({
                "subject": {"kind": "trial_claim", "id": clinic_id, "nct_id": "NCT05288205"},
                "source_url": "https://clinicaltrials.gov/study/NCT05288205",
                "checked_at": app.clock.now().to_rfc3339(),
                "result": "contradicted",
                "note": "The registry names another sponsor and sites in China only."
            }),
        )
        .await;
    assert_eq!(recorded.status().as_u16(), 201);
    let (contradicted, _) = detail(&app, &clinic_id, "").await;
    let verification = &contradicted["trial_claims"][0]["verification"];
    assert_eq!(verification["status"], "contradicted");
    assert_eq!(
        verification["verification"]["source_url"],
        "https://clinicaltrials.gov/study/NCT05288205"
    );
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn fields_reviews_sends_only_the_reviews_and_skips_the_other_reads() {
    let app = TestApp::spawn().await;
    let clinic_id = app.clinic_id(CLINIC).await;
    let (full, _) = detail(&app, &clinic_id, "").await;
    for field in ["reviews", "practitioners", "trial_claims", "treatment_packages"] {
        assert!(full.get(field).is_some(), "the full detail has {field}");
    }
    let (sparse, _) = detail(&app, &clinic_id, "?fields=reviews").await;
    assert_eq!(keys(&sparse), ["disclaimer", "reviews"]);
    assert_eq!(sparse["reviews"], full["reviews"]);

    // Take away what the other detail-only fields read: the sparse answer does not notice,
    // the full one does (so this test can fail).
    diesel::sql_query(
        "DROP TABLE practitioners, verifications, trial_registry_citations, red_flag_detections, \
         treatment_packages CASCADE",
    )
    .execute(&mut app.db().await)
    .await
    .expect("drop");
    let (still, _) = detail(&app, &clinic_id, "?fields=reviews").await;
    assert_eq!(still, sparse);
    let broken = app.get(&format!("/v1/clinics/{clinic_id}")).await;
    assert!(broken.status().is_server_error(), "{}", broken.status());
}
