//! Offers checked against ClinicalTrials.gov (issue 21 §1): every NCT id an offer cites shows the
//! registry checks a listing gets, evaluated when the offer is read, with the registry replaced by
//! the loopback fake of `trial_registry.rs`. The lookup worker is off in these servers; the tests
//! run its rounds themselves, so "after one round" is exact.

use std::sync::Arc;

use serde_json::{json, Value};
use stemcare::trial_registry::client::RegistryClient;
use stemcare::trial_registry::worker::run_round;

use crate::helpers::{assert_problem, TestApp};
use crate::quotes::{create_quote, offer_request};
use crate::trial_registry::{codes, flag, registry_script, Answer, FakeRegistry};

/// A server whose registry client would read `registry` (its own worker stays off).
async fn spawn_at(registry: &str) -> TestApp {
    let url = registry.to_owned();
    TestApp::spawn_with(move |s| s.ctgov_url = url).await
}

/// Runs lookup-worker rounds against `registry` until it has been asked for `nct_id` (other ids
/// queued by the seeds may come first); returns how many rounds that took.
async fn rounds_until_asked(app: &TestApp, registry: &FakeRegistry, nct_id: &str) -> usize {
    let mut settings = stemcare::config::Settings::for_tests(&app.database_url);
    settings.ctgov_url = registry.url.clone();
    let client = RegistryClient::new(&settings).expect("registry client");
    let mut conn = app.db().await;
    let book = stemcare::red_flags::repo::load_rule_book(&mut conn)
        .await
        .expect("rule book");
    for round in 1..=20 {
        run_round(&mut conn, &client, &app.clock, &book)
            .await
            .expect("worker round");
        if registry.requests_for(nct_id) > 0 {
            return round;
        }
    }
    panic!("the worker never asked the registry for {nct_id}");
}

/// Makes Liv's offer on a new quote with `notes`; returns (quote id, patient token, partner key,
/// the created offer).
async fn offer_with_notes(app: &TestApp, email: &str, notes: &str) -> (String, String, String, Value) {
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let (quote_id, token, _) = create_quote(app, email).await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let mut body = offer_request(&liv);
    body["notes"] = json!(notes);
    let created = app
        .post_json(&format!("/v1/quotes/{quote_id}/offers"), Some(&liv_key), &body)
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let offer: Value = created.json().await.expect("json");
    (quote_id, token, liv_key, offer)
}

/// The only offer of the quote, as `bearer` reads it.
async fn read_offer(app: &TestApp, quote_id: &str, bearer: &str) -> Value {
    let response = app.get_as(&format!("/v1/quotes/{quote_id}/offers"), bearer).await;
    assert_eq!(response.status().as_u16(), 200);
    let list: Value = response.json().await.expect("json");
    list["items"][0].clone()
}

#[tokio::test]
async fn an_offer_citing_an_unknown_study_is_pending_at_once_then_critical_after_one_round() {
    let registry = FakeRegistry::start(registry_script()).await;
    let app = spawn_at(&registry.url).await;
    let (quote_id, token, liv_key, created) = offer_with_notes(
        &app,
        "registry-404@example.com",
        "Treatment within our registered study NCT00000404.",
    )
    .await;
    // At once, in the partner's create response and the patient's view: not yet checked.
    for offer in [created, read_offer(&app, &quote_id, &token).await] {
        let pending = flag(&offer, "REGISTRY_CHECK_PENDING");
        assert_eq!(pending["severity"], "info");
        assert_eq!(
            pending["evidence_text"],
            "NCT00000404: not yet checked against ClinicalTrials.gov."
        );
        assert_eq!(
            pending["source_url"],
            "https://clinicaltrials.gov/study/NCT00000404"
        );
        assert!(!codes(&offer).contains(&"REGISTRY_STUDY_NOT_FOUND".to_owned()));
    }
    assert_eq!(
        registry.requests_for("NCT00000404"),
        0,
        "nothing waited on the registry"
    );

    assert_eq!(rounds_until_asked(&app, &registry, "NCT00000404").await, 1);
    assert_eq!(registry.requests_for("NCT00000404"), 1);
    let seen = read_offer(&app, &quote_id, &token).await;
    let missing = flag(&seen, "REGISTRY_STUDY_NOT_FOUND");
    assert_eq!(missing["severity"], "critical");
    assert_eq!(
        missing["source_url"],
        "https://clinicaltrials.gov/study/NCT00000404"
    );
    assert!(missing["evidence_text"]
        .as_str()
        .expect("text")
        .contains("does not exist in ClinicalTrials.gov"));
    assert_eq!(
        seen["red_flags"][0]["code"], "REGISTRY_STUDY_NOT_FOUND",
        "most severe first, as the offer's own flags"
    );
    assert!(!codes(&seen).contains(&"REGISTRY_CHECK_PENDING".to_owned()));
    // The same flags in the partner's view and in the patient's export.
    let partner_view = read_offer(&app, &quote_id, &liv_key).await;
    assert_eq!(partner_view["red_flags"], seen["red_flags"]);
    let export: Value = app
        .get_as(&format!("/v1/quotes/{quote_id}/export"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(export["offers"][0]["red_flags"], seen["red_flags"]);
}

#[tokio::test]
async fn an_offer_citing_a_recruiting_study_of_another_sponsor_is_not_at_this_clinic() {
    let registry = FakeRegistry::start(registry_script()).await;
    let app = spawn_at(&registry.url).await;
    let (quote_id, token, _, created) = offer_with_notes(
        &app,
        "registry-elsewhere@example.com",
        "Now recruiting for our study NCT05288205.",
    )
    .await;
    // Charging for a cited study needs no registry answer.
    let pay = flag(&created, "PAY_TO_PARTICIPATE");
    assert_eq!(pay["severity"], "warn");
    assert!(pay["evidence_text"]
        .as_str()
        .expect("text")
        .starts_with("The offer cites the registered study NCT05288205"));

    rounds_until_asked(&app, &registry, "NCT05288205").await;
    let seen = read_offer(&app, &quote_id, &token).await;
    let elsewhere = flag(&seen, "REGISTRY_STUDY_NOT_AT_CLINIC");
    assert_eq!(elsewhere["severity"], "warn");
    assert_eq!(
        elsewhere["source_url"],
        "https://clinicaltrials.gov/study/NCT05288205"
    );
    let text = elsewhere["evidence_text"].as_str().expect("text");
    assert!(
        text.contains("Allist Pharmaceuticals") && text.contains("China"),
        "{text}"
    );
    // The registry says it recruits, as the offer does.
    let found = codes(&seen);
    assert!(
        !found.contains(&"REGISTRY_NOT_RECRUITING".to_owned()),
        "{found:?}"
    );
    assert!(!found.contains(&"REGISTRY_CHECK_PENDING".to_owned()), "{found:?}");

    // Nobody else sees the offer: another patient, or a partner the quote was not sent to.
    let (_, other_token, _) = create_quote(&app, "registry-other@example.com").await;
    let path = format!("/v1/quotes/{quote_id}/offers");
    assert_problem(app.get_as(&path, &other_token).await, 404, "not-found").await;
    let outsider = app.partner_key("Bangkok Group", "id-clinic-bangkok").await;
    assert_problem(app.get_as(&path, &outsider).await, 404, "not-found").await;
}

#[tokio::test]
async fn with_the_registry_down_an_offer_reads_the_same_plus_not_yet_checked() {
    // Every lookup is refused (429 with a long Retry-After), as a registry in trouble does.
    let registry = FakeRegistry::start(Arc::new(|_: &str, _: usize| Answer::TooMany {
        retry_after_secs: 3600,
    }))
    .await;
    let app = spawn_at(&registry.url).await;
    let (plain_quote, plain_token, _, _) = offer_with_notes(
        &app,
        "registry-plain@example.com",
        "Price confirmed after reviewing your MRI.",
    )
    .await;
    let (quote_id, token, _, _) = offer_with_notes(
        &app,
        "registry-down@example.com",
        "Price confirmed after reviewing your MRI. Our study: NCT12345678.",
    )
    .await;
    let before = read_offer(&app, &quote_id, &token).await;
    rounds_until_asked(&app, &registry, "NCT12345678").await;
    let after = read_offer(&app, &quote_id, &token).await;
    assert_eq!(
        after["red_flags"], before["red_flags"],
        "a failed lookup changes nothing"
    );
    assert_eq!(after["status"], "pending");
    let pending = flag(&after, "REGISTRY_CHECK_PENDING");
    assert_eq!(
        pending["evidence_text"],
        "NCT12345678: not yet checked against ClinicalTrials.gov."
    );
    // Against the same offer without the citation: only "not yet checked" and the charge for a
    // cited study (which needs no registry answer) differ.
    let plain = read_offer(&app, &plain_quote, &plain_token).await;
    let mut registry_free = codes(&after);
    registry_free.retain(|c| c != "REGISTRY_CHECK_PENDING" && c != "PAY_TO_PARTICIPATE");
    assert_eq!(registry_free, codes(&plain));
}

#[tokio::test]
async fn results_overdue_follows_the_servers_clock_when_the_offer_is_read() {
    let registry = FakeRegistry::start(registry_script()).await;
    let app = spawn_at(&registry.url).await;
    // The fake's default record: completed 2026-06, no results posted.
    let (quote_id, _, liv_key, _) = offer_with_notes(
        &app,
        "registry-overdue@example.com",
        "Our protocol follows NCT00000777.",
    )
    .await;
    rounds_until_asked(&app, &registry, "NCT00000777").await;
    let today = app.clock.today();
    let overdue_from = chrono::NaiveDate::from_ymd_opt(2027, 7, 1).expect("date");
    if today < overdue_from {
        let seen = read_offer(&app, &quote_id, &liv_key).await;
        assert!(!codes(&seen).contains(&"REGISTRY_RESULTS_OVERDUE".to_owned()));
        app.clock
            .advance(overdue_from - today + chrono::Duration::days(1));
    }
    // No worker round and no write: the read evaluates the rule as of the moved clock.
    let seen = read_offer(&app, &quote_id, &liv_key).await;
    let overdue = flag(&seen, "REGISTRY_RESULTS_OVERDUE");
    assert_eq!(overdue["severity"], "warn");
    assert!(overdue["evidence_text"]
        .as_str()
        .expect("text")
        .contains("no results posted"));
    assert_eq!(registry.requests_for("NCT00000777"), 1);
}
