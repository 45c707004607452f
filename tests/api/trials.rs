//! The trial finder (issue 21 §2): the mirror refreshed from a loopback registry that pages with
//! `pageToken`, its filters and pages, one trial, the seeded trial and the condition link.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};
use crate::trial_registry::{study, Answer, FakeRegistry};

/// Two pages of studies for the spinal cord injury query, none for the other conditions.
fn two_pages() -> crate::trial_registry::Script {
    Arc::new(|target: &str, _before: usize| {
        if !target.starts_with("/api/v2/studies?") {
            return Answer::NotFound;
        }
        if !target.contains("query.cond=Spinal+cord+injury") {
            return Answer::Json(json!({"studies": []}));
        }
        if target.contains("pageToken=page-2") {
            Answer::Json(
                json!({"studies": [study("NCT10000003", "RECRUITING", "Hospital Angeles", &["Mexico"])]}),
            )
        } else {
            Answer::Json(json!({
                "studies": [
                    study("NCT10000001", "RECRUITING", "Mayo Clinic", &["United States"]),
                    study("NCT10000002", "COMPLETED", "Allist Pharmaceuticals, Inc.", &["China"]),
                ],
                "nextPageToken": "page-2"
            }))
        }
    })
}

async fn refreshed_app() -> (TestApp, FakeRegistry) {
    let registry = FakeRegistry::start(two_pages()).await;
    let app = TestApp::spawn().await;
    let settings = stemcare::config::Settings {
        ctgov_url: registry.url.clone(),
        ..stemcare::config::Settings::for_tests(&app.database_url)
    };
    let client = stemcare::trial_registry::client::RegistryClient::new(&settings).expect("client");
    let mut conn = app.db().await;
    let done = stemcare::trials::refresh::refresh(&mut conn, &client, &app.clock)
        .await
        .expect("refresh");
    assert_eq!(done.studies, 3);
    assert!(done.failed_conditions.is_empty());
    (app, registry)
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|t| t["nct_id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn the_refresh_pages_with_page_token_and_the_finder_filters() {
    let (app, registry) = refreshed_app().await;
    let seen = registry.seen.lock().expect("log").clone();
    let spinal: Vec<&String> = seen.iter().filter(|t| t.contains("Spinal+cord+injury")).collect();
    assert_eq!(spinal.len(), 2, "two pages: {spinal:?}");
    assert!(!spinal[0].contains("pageToken"));
    assert!(spinal[1].contains("pageToken=page-2"));
    assert!(spinal[0].contains("query.intr=") && spinal[0].contains("pageSize=1000"));

    // The seeded trial and the three mirrored ones, by NCT id.
    let all = app
        .walk("/v1/trials?condition=spinal-cord-injury&page_size=2")
        .await;
    assert_eq!(
        ids(&all),
        ["NCT03308565", "NCT10000001", "NCT10000002", "NCT10000003"]
    );
    let recruiting = app.get_json("/v1/trials?status=RECRUITING", 200).await;
    assert_eq!(
        ids(recruiting["items"].as_array().expect("items")),
        ["NCT10000001", "NCT10000003"]
    );
    let mexico = app.get_json("/v1/trials?country=mx", 200).await;
    assert_eq!(ids(mexico["items"].as_array().expect("items")), ["NCT10000003"]);
    let first = &mexico["items"][0];
    assert_eq!(
        first["registry_url"],
        "https://clinicaltrials.gov/study/NCT10000003"
    );
    assert_eq!(first["country_codes"], json!(["MX"]));
    assert_eq!(first["origin"], "registry");
    assert_eq!(first["condition_slugs"], json!(["spinal-cord-injury"]));
    assert!(mexico["registry_notice"]
        .as_str()
        .expect("notice")
        .contains("does not review or approve"));
    assert!(mexico["disclaimer"]["text"].is_string());
    let none = app.get_json("/v1/trials?condition=sciatica", 200).await;
    assert_eq!(none["items"], json!([]));

    // Bad filters are 400s naming the parameter; a token is bound to its filters.
    assert_problem(app.get("/v1/trials?country=QQ").await, 400, "invalid-query").await;
    assert_problem(
        app.get("/v1/trials?condition=back-ache").await,
        400,
        "invalid-query",
    )
    .await;
    assert_eq!(app.get("/v1/trials?status=RUNNING").await.status().as_u16(), 400);
    let page = app
        .get_json("/v1/trials?condition=spinal-cord-injury&page_size=1", 200)
        .await;
    let token = page["next_page_token"].as_str().expect("a next page");
    let other = app
        .get(&format!(
            "/v1/trials?status=RECRUITING&page_size=1&page_token={token}"
        ))
        .await;
    assert_eq!(other.status().as_u16(), 400);

    // The condition points to its recruiting trials.
    let condition = app.get_json("/v1/conditions/spinal-cord-injury", 200).await;
    assert_eq!(condition["recruiting_trials"]["count"], 2);
    assert_eq!(
        condition["recruiting_trials"]["href"],
        "/v1/trials?condition=spinal-cord-injury&status=RECRUITING"
    );
}

#[tokio::test]
async fn one_trial_by_nct_id_and_the_seeded_one_says_what_is_unknown() {
    let (app, _registry) = refreshed_app().await;
    let response = app.get("/v1/trials/NCT10000002").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=60");
    let trial: Value = response.json().await.expect("json");
    assert_eq!(trial["overall_status"], "COMPLETED");
    assert_eq!(trial["lead_sponsor"], "Allist Pharmaceuticals, Inc.");
    assert_eq!(trial["results_posted"], false);
    assert!(trial["registry_notice"].is_string());

    let seeded = app.get_json("/v1/trials/NCT03308565", 200).await;
    assert_eq!(seeded["origin"], "seed");
    assert_eq!(seeded["title"], Value::Null);
    assert_eq!(seeded["enrollment"], 10);
    assert_eq!(
        seeded["registry_url"],
        "https://clinicaltrials.gov/study/NCT03308565"
    );
    let unknown = seeded["unknown_fields"].as_array().expect("unknown_fields");
    assert!(unknown.contains(&json!("title")) && unknown.contains(&json!("overall_status")));
    assert!(seeded["source"]["url"]
        .as_str()
        .expect("url")
        .starts_with("https://"));

    assert_problem(app.get("/v1/trials/NCT99999999").await, 404, "not-found").await;
    assert_problem(app.get("/v1/trials/not-an-id").await, 404, "not-found").await;
}
