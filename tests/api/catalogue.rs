//! Reference data, seeds, pagination walks and conditional GETs.

use std::collections::HashSet;

use crate::helpers::{assert_problem, field, TestApp};

#[tokio::test]
async fn seeds_load_twice_without_change() {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Snapshot {
        #[diesel(sql_type = diesel::sql_types::Text)]
        snapshot: String,
    }
    const SNAPSHOT: &str = "SELECT concat_ws('|',
        (SELECT jsonb_agg(t ORDER BY slug)::text FROM conditions t),
        (SELECT jsonb_agg(t ORDER BY slug)::text FROM cell_types t),
        (SELECT jsonb_agg(t ORDER BY code)::text FROM countries t),
        (SELECT jsonb_agg(t ORDER BY currency)::text FROM exchange_rates t),
        (SELECT jsonb_agg(t ORDER BY code, version)::text FROM red_flag_rules t),
        (SELECT jsonb_agg(to_jsonb(t) - 'search' ORDER BY slug)::text FROM clinics t),
        (SELECT jsonb_agg(t ORDER BY slug)::text FROM treatment_packages t),
        (SELECT jsonb_agg(t ORDER BY subject_id, code)::text FROM red_flag_detections t),
        (SELECT jsonb_agg(t ORDER BY slug)::text FROM studies t),
        (SELECT jsonb_agg(t ORDER BY slug)::text FROM evidence_summaries t)) AS snapshot";
    let app = TestApp::spawn().await;
    let mut conn = stemcare::db::connect(&app.database_url).await.expect("connect");
    let before: Snapshot = diesel::sql_query(SNAPSHOT)
        .get_result(&mut conn)
        .await
        .expect("snapshot");
    stemcare::seeds::load(&mut conn).await.expect("second load");
    stemcare::seeds::load(&mut conn).await.expect("third load");
    let after: Snapshot = diesel::sql_query(SNAPSHOT)
        .get_result(&mut conn)
        .await
        .expect("snapshot");
    assert!(
        before.snapshot.len() > 1000,
        "the snapshot covers the seeded data"
    );
    assert_eq!(
        before.snapshot, after.snapshot,
        "reloading the seeds changed nothing, not even timestamps"
    );
}

#[tokio::test]
async fn the_article_data_is_seeded_with_sources() {
    let app = TestApp::spawn().await;
    let conditions = app.walk("/v1/conditions").await;
    assert_eq!(conditions.len(), 8);
    let cell_types = app.walk("/v1/cell-types").await;
    assert_eq!(cell_types.len(), 6);
    let research: HashSet<String> = cell_types
        .iter()
        .filter(|c| c["clinical_status"] == "research")
        .map(|c| c["slug"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        research,
        HashSet::from(["nppc".to_owned(), "esc".to_owned(), "ipsc".to_owned()])
    );
    assert_eq!(app.walk("/v1/administration-methods").await.len(), 2);
    let countries = app.walk("/v1/countries").await;
    assert_eq!(field(&countries, "code"), ["CO", "MX", "TH", "TR", "US"]);
    let us = app.get_json("/v1/countries/US", 200).await;
    // The source's statement, labelled as such (issue 18): never a bare status string.
    assert_eq!(us["regulatory_status"]["stated"], "not_approved");
    assert_eq!(us["regulatory_status"]["status"], "claimed");
    assert_eq!(us["injection_price"]["min"], "4000.00");
    assert_eq!(us["injection_price"]["max"], "15000.00");
    assert!(us["insurance_note"].as_str().unwrap_or("").contains("Medicare"));
    let mx = app.get_json("/v1/countries/mx", 200).await;
    assert_eq!(mx["package_price"]["min"], "7000.00");
    assert_eq!(mx["package_price"]["max"], "10500.00");
    assert_eq!(
        mx["injection_price"]["max"],
        serde_json::Value::Null,
        "only 'from $1,000' is known"
    );
    for item in conditions.iter().chain(&cell_types).chain(&countries) {
        assert!(
            item["source"]["title"].is_string(),
            "every record names its source: {item}"
        );
    }
    let sciatica = app.get_json("/v1/conditions/sciatica", 200).await;
    assert_eq!(sciatica["clinics_offering_treatment"], 7);
    assert_eq!(
        sciatica["cell_types"],
        serde_json::json!([]),
        "no source links a cell type to sciatica"
    );
    let sci = app.get_json("/v1/conditions/spinal-cord-injury", 200).await;
    assert_eq!(sci["clinics_offering_treatment"], 0);
    let rates = app.walk("/v1/exchange-rates").await;
    assert!(rates
        .iter()
        .all(|r| r["as_of"].is_string() && r["source"].is_object()));
}

#[tokio::test]
async fn every_small_list_walks_each_item_exactly_once() {
    let app = TestApp::spawn().await;
    for path in [
        "/v1/conditions",
        "/v1/cell-types",
        "/v1/countries",
        "/v1/red-flag-rules",
        "/v1/exchange-rates",
        "/v1/administration-methods",
    ] {
        let all = app.get_json(&format!("{path}?page_size=100"), 200).await;
        let all = all["items"].as_array().expect("items").clone();
        let walked = app.walk(&format!("{path}?page_size=2")).await;
        assert_eq!(walked, all, "{path}: page by page equals all at once");
        let keys: Vec<String> = walked
            .iter()
            .map(|i| {
                i.get("slug")
                    .or(i.get("code"))
                    .or(i.get("currency"))
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            })
            .collect();
        let unique: HashSet<&String> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "{path}: no duplicates");
    }
}

#[tokio::test]
async fn unknown_reference_ids_are_404_problems() {
    let app = TestApp::spawn().await;
    for path in [
        "/v1/conditions/back-ache",
        "/v1/cell-types/xyz",
        "/v1/countries/ZZ",
    ] {
        assert_problem(app.get(path).await, 404, "not-found").await;
    }
}

#[tokio::test]
async fn catalogue_reads_are_cacheable_and_answer_304() {
    let app = TestApp::spawn().await;
    for path in [
        "/v1/conditions",
        "/v1/clinics?country=TR",
        "/v1/countries/MX",
        "/v1/treatment-packages",
    ] {
        let first = app.get(path).await;
        assert_eq!(first.status().as_u16(), 200);
        assert_eq!(first.headers()["cache-control"], "public, max-age=60");
        let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status().as_u16(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().expect("etag"), etag);
        let other = app
            .client
            .get(app.url(path))
            .header("if-none-match", "\"other\"")
            .send()
            .await
            .expect("request");
        assert_eq!(other.status().as_u16(), 200);
    }
}

#[tokio::test]
async fn bad_paging_parameters_are_400_problems() {
    let app = TestApp::spawn().await;
    for path in [
        "/v1/conditions?page_size=0",
        "/v1/conditions?page_size=101",
        "/v1/conditions?page_token=garbage",
        "/v1/conditions?unknown=1",
        "/v1/countries?page_size=ten",
    ] {
        let response = app.get(path).await;
        let status = response.status().as_u16();
        assert_eq!(status, 400, "{path}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert!(
            body["type"].as_str().is_some_and(|t| t.starts_with("/problems/")),
            "{path}: {body}"
        );
    }
    // A token from one list is refused by another.
    let page = app.get_json("/v1/conditions?page_size=2", 200).await;
    let token = page["next_page_token"].as_str().expect("token");
    assert_problem(
        app.get(&format!("/v1/cell-types?page_token={token}")).await,
        400,
        "invalid-page-token",
    )
    .await;
}

/// Rates, evidence links and vocabularies are cached per process (`STEMCARE_REFERENCE_TTL_SECONDS`);
/// a staff write on this instance must be visible at once, however long the TTL.
#[tokio::test]
async fn staff_writes_to_reference_data_are_visible_at_once() {
    let app = TestApp::spawn_with(|settings| settings.reference_ttl_seconds = 3600).await;
    let admin = app.staff_key("admin").await;
    let eur_rate = |page: &serde_json::Value| page["items"][0]["converted_price"]["rate"]["rate"].clone();
    let path = "/v1/treatment-packages?currency=EUR&page_size=1";
    let before = app.get_json(path, 200).await;
    assert_ne!(eur_rate(&before), "0.5", "{before}");

    let rate = app
        .client
        .put(app.url("/v1/admin/exchange-rates/EUR"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"units_per_usd": "0.5", "as_of": "2026-11-01", "source": {"title": "test rate"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(rate.status().as_u16(), 200);
    let after = app.get_json(path, 200).await;
    assert_eq!(eur_rate(&after), "0.5", "{after}");

    // A write the cache cannot see (another instance, or SQL by hand) shows after the TTL only:
    // here the TTL is an hour, so the cached vocabulary still refuses a condition added behind it.
    let mut conn = app.db().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO conditions (slug, name, description, body_region, spine_indication, source)
             SELECT 'test-condition', 'Test', 'Test', body_region, spine_indication, source
             FROM conditions LIMIT 1",
        ),
        &mut conn,
    )
    .await
    .expect("insert condition");
    assert_problem(
        app.get("/v1/treatment-packages?condition=test-condition").await,
        400,
        "invalid-query",
    )
    .await;
}

#[tokio::test]
async fn the_inclusion_vocabulary_is_published_with_sources_and_pages() {
    let app = TestApp::spawn().await;
    let items = app.walk("/v1/inclusion-items?page_size=2").await;
    let codes: Vec<String> = field(&items, "code");
    assert!(codes.len() >= 3, "{codes:?}");
    assert_eq!(
        codes.iter().collect::<HashSet<_>>().len(),
        codes.len(),
        "every code once across the pages"
    );
    for item in &items {
        assert!(
            item["label"].is_string() && item["description"].is_string(),
            "{item}"
        );
        assert!(
            item["source"]["title"].is_string(),
            "every item names its source: {item}"
        );
    }
    // Every code a seeded package uses, included, excluded or unknown, is in the vocabulary.
    let packages = app
        .walk("/v1/treatment-packages?page_size=100&include_flagged=true")
        .await;
    for package in &packages {
        for list in ["inclusions", "exclusions", "unknown_items"] {
            for code in package[list].as_array().into_iter().flatten() {
                let code = code
                    .as_str()
                    .or_else(|| code["code"].as_str())
                    .unwrap_or_default();
                assert!(codes.iter().any(|c| c == code), "{list} code {code} is published");
            }
        }
    }
    let page = app.get_json("/v1/inclusion-items", 200).await;
    assert_eq!(page["disclaimer"]["url"], "/v1/disclaimer");
    let response = app.get("/v1/inclusion-items").await;
    assert!(response.headers().contains_key("etag"), "cacheable");
    assert_problem(
        app.get("/v1/inclusion-items?page_token=forged.token").await,
        400,
        "invalid-page-token",
    )
    .await;
}
