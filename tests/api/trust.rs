//! What a patient sees (issue 18, "Presentation"): regulatory statements are sourced and labelled,
//! critically flagged listings leave default results, every patient-facing answer carries the one
//! disclaimer, and cost estimates never turn an unknown into 0.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::{field, TestApp};

/// The three seeded clinics with a critical red flag.
const CRITICAL: [&str; 3] = [
    "cellular-hope-institute",
    "id-clinic-bangkok",
    "giostar-stem-cell-therapy-clinic",
];

const FDA_URL: &str = "https://www.fda.gov/vaccines-blood-biologics/consumers-biologics/important-patient-and-consumer-information-about-regenerative-medicine-therapies";

#[tokio::test]
async fn critically_flagged_clinics_leave_default_lists_and_searches() {
    let app = TestApp::spawn().await;
    let page = app.get_json("/v1/clinics?page_size=100", 200).await;
    let listed = field(page["items"].as_array().expect("items"), "slug");
    for slug in CRITICAL {
        assert!(!listed.contains(&slug.to_owned()), "{slug} in {listed:?}");
    }
    assert_eq!(page["excluded"]["critical_flags"], 3, "{}", page["excluded"]);

    // The opt-in lists them, with their flags, and counts nothing as left out.
    let all = app.walk("/v1/clinics?page_size=3&include_flagged=true").await;
    assert_eq!(all.len(), listed.len() + 3);
    for slug in CRITICAL {
        let clinic = all.iter().find(|c| c["slug"] == slug).expect("listed on request");
        assert_eq!(clinic["listed_by_default"], false, "{slug}");
        assert!(!clinic["red_flags"].as_array().expect("flags").is_empty());
    }
    assert!(all
        .iter()
        .filter(|c| !CRITICAL.contains(&c["slug"].as_str().unwrap_or_default()))
        .all(|c| c["listed_by_default"] == true));
    let opted = app.get_json("/v1/clinics?include_flagged=true", 200).await;
    assert_eq!(opted["excluded"]["critical_flags"], 0);

    // Search: the count covers the whole filtered result, not the page.
    let search = app.get_json("/v1/clinics?q=bangkok", 200).await;
    assert!(!field(search["items"].as_array().expect("items"), "slug").contains(&"id-clinic-bangkok".into()));
    assert_eq!(search["excluded"]["critical_flags"], 1);
    let search = app
        .get_json("/v1/clinics?q=bangkok&include_flagged=true", 200)
        .await;
    assert!(field(search["items"].as_array().expect("items"), "slug").contains(&"id-clinic-bangkok".into()));
    let small = app.get_json("/v1/clinics?page_size=1", 200).await;
    assert_eq!(small["excluded"]["critical_flags"], 3);

    // A page token is bound to the opt-in like any filter.
    let first = app
        .get_json("/v1/clinics?page_size=2&include_flagged=true", 200)
        .await;
    let token = first["next_page_token"].as_str().expect("a second page");
    let response = app
        .get(&format!("/v1/clinics?page_size=2&page_token={token}"))
        .await;
    assert_eq!(response.status().as_u16(), 400);

    // By id, a flagged clinic still answers, with its flags first.
    let id = app.clinic_id("id-clinic-bangkok").await;
    let response = app.get(&format!("/v1/clinics/{id}")).await;
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.expect("body");
    assert!(text.starts_with(r#"{"red_flags":["#), "{}", &text[..80]);
}

#[tokio::test]
async fn critically_flagged_packages_leave_lists_and_quote_estimates() {
    let app = TestApp::spawn().await;
    let all = app.walk("/v1/treatment-packages?include_flagged=true").await;
    let hidden: HashSet<String> = all
        .iter()
        .filter(|p| p["listed_by_default"] == false)
        .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(hidden.len(), 3, "one package per critically flagged clinic");
    let page = app.get_json("/v1/treatment-packages", 200).await;
    let shown: HashSet<String> = field(page["items"].as_array().expect("items"), "id")
        .into_iter()
        .collect();
    assert!(shown.is_disjoint(&hidden));
    assert_eq!(shown.len() + hidden.len(), all.len());
    assert_eq!(page["excluded"]["critical_flags"], 3);

    // A clinic's own package list screens the same way.
    let giostar = app.clinic_id("giostar-stem-cell-therapy-clinic").await;
    let own = app
        .get_json(&format!("/v1/clinics/{giostar}/treatment-packages"), 200)
        .await;
    assert_eq!(own["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(own["excluded"]["critical_flags"], 1);
    let own = app
        .get_json(
            &format!("/v1/clinics/{giostar}/treatment-packages?include_flagged=true"),
            200,
        )
        .await;
    assert_eq!(own["items"].as_array().map(Vec::len), Some(1));

    // By id and in a comparison, flagged packages still answer, flags first.
    let flagged: Vec<&String> = hidden.iter().collect();
    let response = app.get(&format!("/v1/treatment-packages/{}", flagged[0])).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response
        .text()
        .await
        .expect("body")
        .starts_with(r#"{"red_flags":["#));
    let ids = format!("{},{}", flagged[0], flagged[1]);
    app.get_json(&format!("/v1/treatment-packages/compare?ids={ids}"), 200)
        .await;

    // Quote estimates never rank them.
    let response = app
        .post_json(
            "/v1/quotes",
            None,
            &crate::quotes::quote_request("ana@example.com", json!({"mode": "none"})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.expect("json");
    let ranked: HashSet<String> = field(created["estimates"].as_array().expect("estimates"), "package_id")
        .into_iter()
        .collect();
    assert!(!ranked.is_empty());
    assert!(ranked.is_disjoint(&hidden), "{ranked:?} ranks a flagged package");
}

#[tokio::test]
async fn regulatory_status_is_sourced_and_never_a_bare_approval() {
    let app = TestApp::spawn().await;
    let packages = app.walk("/v1/treatment-packages?include_flagged=true").await;
    let clinics = app.walk("/v1/clinics?include_flagged=true").await;
    let countries = app.walk("/v1/countries").await;
    for listing in packages.iter().chain(&clinics).chain(&countries) {
        let regulatory = &listing["regulatory_status"];
        let status = regulatory["status"].as_str().expect("a structured status");
        match status {
            "verified" => {
                assert!(regulatory["source"]["url"].is_string(), "{regulatory}");
                assert!(regulatory["verified_at"].is_string(), "{regulatory}");
            }
            "claimed" => {
                assert!(regulatory["claim"].is_string(), "{regulatory}");
                assert!(regulatory["source"].is_object(), "{regulatory}");
                assert!(regulatory["verified_at"].is_null(), "{regulatory}");
            }
            "unknown" => assert!(regulatory["verified_at"].is_null()),
            other => panic!("status {other}"),
        }
    }
    // The seeded "approved locally" is the article's words: claimed, quoted, with the article as source.
    for listing in packages
        .iter()
        .filter(|p| ["MX", "TR", "TH", "CO"].contains(&p["country"].as_str().unwrap_or("")))
    {
        let regulatory = &listing["regulatory_status"];
        assert_eq!(regulatory["status"], "claimed");
        assert!(regulatory["claim"]
            .as_str()
            .is_some_and(|c| c.contains("approved")));
        assert_eq!(
            regulatory["source"]["title"],
            "Bookimed: Stem cell therapy for back pain (article)"
        );
        // Every seeded package covers spine indications: the FDA context is there with its URL.
        assert_eq!(
            regulatory["fda_context"]["source"]["url"], FDA_URL,
            "{regulatory}"
        );
    }
    let mexico = app.get_json("/v1/countries/MX", 200).await;
    assert_eq!(mexico["regulatory_status"]["status"], "claimed");
    assert_eq!(mexico["regulatory_status"]["stated"], "approved_locally");
}

#[tokio::test]
async fn cost_estimates_keep_unknowns_null_and_carry_the_evidence() {
    let app = TestApp::spawn().await;
    let estimate = app
        .get_json(
            "/v1/cost-estimates?country=MX&cell_type=bm-msc&condition=degenerative-disc-disease",
            200,
        )
        .await;
    assert!(estimate["estimate"]["max"].is_null(), "{}", estimate["estimate"]);
    assert!(
        estimate["saving"]["min"].is_null(),
        "never 0: {}",
        estimate["saving"]
    );
    assert_eq!(estimate["saving"]["max"], "14000.00");
    assert_eq!(estimate["evidence"]["certainty"], "very_low");
    assert!(estimate["evidence"]["studies"].as_i64().is_some_and(|n| n > 0));
    assert!(estimate["evidence"]["summary_id"].is_string());

    // Packages of critically flagged clinics do not price an estimate: of Mexico's four, the two
    // of Cellular Hope and GIOSTAR are left out.
    let mexico = app
        .get_json("/v1/cost-estimates?country=MX&condition=sciatica", 200)
        .await;
    assert_eq!(mexico["packages_considered"], 2, "{mexico}");
    assert!(mexico["notes"].as_array().expect("notes").iter().any(|n| n
        .as_str()
        .is_some_and(|n| n.contains("2 listed package(s) with a critical red flag"))));

    let none = app
        .get_json(
            "/v1/cost-estimates?country=TR&condition=sacroiliac-joint-dysfunction",
            200,
        )
        .await;
    assert_eq!(none["evidence"]["certainty"], "none");
    assert_eq!(none["evidence"]["studies"], 0);
    assert_eq!(none["evidence"]["badge"], "No studies found");
}

/// An example URL for every public GET path of the spec (its parameters filled in).
async fn example_urls(app: &TestApp, spec: &Value) -> Vec<String> {
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let packages = app.walk("/v1/treatment-packages").await;
    let package = packages[0]["id"].as_str().expect("id").to_owned();
    let other = packages[1]["id"].as_str().expect("id").to_owned();
    let summaries = app.walk("/v1/evidence-summaries").await;
    let summary = summaries[0]["id"].as_str().expect("id").to_owned();
    let studies = app.walk("/v1/studies").await;
    let study = studies[0]["id"].as_str().expect("id").to_owned();
    let mut urls = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else { continue };
        let public = get["security"] == json!([{}]);
        let tag = get["tags"][0].as_str().unwrap_or_default();
        if !public || !["catalogue", "evidence", "red-flags"].contains(&tag) {
            continue;
        }
        let mut url = path
            .replace("/v1/clinics/{id}", &format!("/v1/clinics/{clinic}"))
            .replace(
                "/v1/treatment-packages/{id}",
                &format!("/v1/treatment-packages/{package}"),
            )
            .replace(
                "/v1/evidence-summaries/{id}",
                &format!("/v1/evidence-summaries/{summary}"),
            )
            .replace("/v1/studies/{id}", &format!("/v1/studies/{study}"))
            .replace("{code}", "MX")
            .replace("{slug}", "degenerative-disc-disease");
        if url.starts_with("/v1/cell-types/") {
            url = "/v1/cell-types/bm-msc".to_owned();
        }
        if url == "/v1/cost-estimates" {
            url.push_str("?country=MX&condition=degenerative-disc-disease");
        }
        if url == "/v1/treatment-packages/compare" {
            url.push_str(&format!("?ids={package},{other}"));
        }
        assert!(!url.contains('{'), "no example for {path}");
        urls.push(url);
    }
    urls
}

#[tokio::test]
async fn every_patient_facing_response_carries_the_disclaimer() {
    let app = TestApp::spawn().await;
    let statement = app.get("/v1/disclaimer").await;
    assert_eq!(statement.status().as_u16(), 200);
    assert_eq!(statement.headers()["cache-control"], "public, max-age=60");
    let statement: Value = statement.json().await.expect("json");
    assert!(statement["paragraphs"].as_array().is_some_and(|p| p.len() >= 3));
    let disclaimer = statement["disclaimer"].clone();
    assert_eq!(disclaimer["url"], "/v1/disclaimer");
    assert!(disclaimer["text"]
        .as_str()
        .is_some_and(|t| t.contains("not medical advice")));

    let spec = app.get_json("/v1/openapi.json", 200).await;
    let urls = example_urls(&app, &spec).await;
    assert!(urls.len() >= 20, "{urls:?}");
    for url in &urls {
        let body = app.get_json(url, 200).await;
        assert_eq!(body["disclaimer"], disclaimer, "GET {url}");
        if let Some(items) = body["items"].as_array() {
            assert!(
                items.iter().all(|i| i.get("disclaimer").is_none()),
                "once per page: {url}"
            );
        }
    }

    // The POSTs a patient makes.
    let check = app
        .post_json("/v1/claim-checks", None, &json!({"text": "Guaranteed results."}))
        .await;
    assert_eq!(check.status().as_u16(), 200);
    let check: Value = check.json().await.expect("json");
    assert_eq!(check["disclaimer"], disclaimer);
    let response = app
        .post_json(
            "/v1/quotes",
            None,
            &crate::quotes::quote_request("zoe@example.com", json!({"mode": "none"})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["disclaimer"], disclaimer);
    assert_eq!(created["quote"]["disclaimer"], disclaimer);
    let id = created["quote"]["id"].as_str().expect("id");
    let token = created["access_token"].as_str().expect("token");
    let read = app.get_as(&format!("/v1/quotes/{id}"), token).await;
    assert_eq!(read.status().as_u16(), 200);
    let read: Value = read.json().await.expect("json");
    assert_eq!(read["disclaimer"], disclaimer);

    // In the spec: one schema, the same field everywhere.
    assert!(spec["components"]["schemas"]["Disclaimer"].is_object());
}
