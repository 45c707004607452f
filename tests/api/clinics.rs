//! Clinics: filters, search, ordering, keyset walks, red flags and scores.

use std::collections::HashSet;

use crate::helpers::{assert_problem, field, TestApp};

fn names(items: &[serde_json::Value]) -> HashSet<String> {
    field(items, "name").into_iter().collect()
}

fn set(names: &[&str]) -> HashSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[tokio::test]
async fn the_seven_clinics_are_listed_and_none_is_promoted() {
    let app = TestApp::spawn().await;
    // Critically flagged clinics are listed on request (tests/api/trust.rs checks they are not by default).
    let clinics = app.walk("/v1/clinics?include_flagged=true").await;
    assert_eq!(clinics.len(), 7);
    for clinic in &clinics {
        assert_eq!(clinic["promoted"], false);
        let parts = clinic["rank_explanation"]["parts"]
            .as_array()
            .expect("score parts");
        assert_eq!(parts.len(), 5);
        let total: u64 = parts.iter().map(|p| p["points"].as_u64().unwrap_or(0)).sum();
        assert_eq!(
            clinic["rank_explanation"]["score"],
            total.to_string(),
            "the score is the sum of its parts"
        );
        assert_eq!(clinic["price_from"]["price"]["min"], "7000.00");
        assert_eq!(clinic["price_from"]["price_provenance"], "regional_indicative");
        assert!(clinic["accreditations"].as_array().is_some_and(|a| a.is_empty()));
        assert!(clinic["unknown_fields"]
            .as_array()
            .is_some_and(|a| a.contains(&"accreditations".into())));
    }
    let scores: Vec<i64> = clinics
        .iter()
        .map(|c| {
            c["rank_explanation"]["score"]
                .as_str()
                .unwrap_or("0")
                .parse()
                .unwrap_or(0)
        })
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "default order is by score, highest first: {scores:?}"
    );
}

#[tokio::test]
async fn each_filter_narrows_correctly() {
    let app = TestApp::spawn().await;
    let cases: Vec<(&str, HashSet<String>)> = vec![
        (
            "country=TR",
            set(&["Liv Hospital Ulus", "Medipol University Hospital"]),
        ),
        ("country=th", set(&["ID Clinic Bangkok"])),
        (
            "city=playa%20del%20carmen",
            set(&["Medical Center Juventa", "GIOSTAR Stem Cell Therapy Clinic"]),
        ),
        (
            "serves_children=true",
            set(&["Cellular Hope Institute", "GIOSTAR Stem Cell Therapy Clinic"]),
        ),
        ("min_patients_per_year=1000", set(&["ID Clinic Bangkok"])),
        (
            "min_patients_per_year=500",
            set(&["ID Clinic Bangkok", "Medical Center Juventa"]),
        ),
        ("q=bangkok", set(&["ID Clinic Bangkok"])),
        (
            "q=orthopedics",
            set(&["Medical Center Juventa", "Liv Hospital Ulus"]),
        ),
        ("condition=spinal-cord-injury", set(&[])),
        ("cell_type=bm-msc", set(&[])),
        ("accreditation=JCI", set(&[])),
        ("max_price=6999.99&currency=USD", set(&[])),
        (
            "country=MX&condition=sciatica",
            set(&[
                "Cellular Hope Institute",
                "Medical Center Juventa",
                "Immunotherapy Regenerative Medicine",
                "GIOSTAR Stem Cell Therapy Clinic",
            ]),
        ),
    ];
    for (query, expected) in cases {
        let items = app
            .walk(&format!("/v1/clinics?{query}&include_flagged=true"))
            .await;
        assert_eq!(names(&items), expected, "{query}");
    }
    assert_eq!(
        app.walk("/v1/clinics?condition=sciatica&include_flagged=true")
            .await
            .len(),
        7
    );
    assert_eq!(
        app.walk("/v1/clinics?max_price=7000&include_flagged=true")
            .await
            .len(),
        7
    );
    // 7000 USD is 5948.84 EUR at the seeded rate: a EUR cap just below excludes every clinic.
    assert_eq!(
        app.walk("/v1/clinics?max_price=5948.83&currency=EUR&include_flagged=true")
            .await
            .len(),
        0
    );
    assert_eq!(
        app.walk("/v1/clinics?max_price=5948.84&currency=EUR&include_flagged=true")
            .await
            .len(),
        7
    );
}

#[tokio::test]
async fn every_order_walks_every_clinic_exactly_once() {
    let app = TestApp::spawn().await;
    for order in [
        "name",
        "-name",
        "price",
        "-price",
        "patients_per_year",
        "-patients_per_year",
        "score",
        "-score",
    ] {
        for size in [1, 2, 3] {
            let walked = app
                .walk(&format!(
                    "/v1/clinics?order_by={order}&page_size={size}&include_flagged=true"
                ))
                .await;
            let ids = field(&walked, "id");
            let unique: HashSet<&String> = ids.iter().collect();
            assert_eq!(
                (ids.len(), unique.len()),
                (7, 7),
                "order_by={order} page_size={size}"
            );
            let all = app
                .get_json(
                    &format!("/v1/clinics?order_by={order}&page_size=100&include_flagged=true"),
                    200,
                )
                .await;
            assert_eq!(
                ids,
                field(all["items"].as_array().expect("items"), "id"),
                "same order page by page"
            );
        }
    }
    let by_name = field(
        &app.walk("/v1/clinics?order_by=name&include_flagged=true").await,
        "name",
    );
    let mut sorted = by_name.clone();
    sorted.sort();
    assert_eq!(by_name, sorted);
}

#[tokio::test]
async fn bad_clinic_queries_are_400_problems() {
    let app = TestApp::spawn().await;
    for (query, pointer) in [
        ("country=ZZ", "/query/country"),
        ("condition=back-ache", "/query/condition"),
        ("cell_type=unicorn", "/query/cell_type"),
        ("currency=XYZ", "/query/currency"),
        ("currency=euro", "/query/currency"),
        ("page_size=0", "/query/page_size"),
        ("max_price=-5", "/query/max_price"),
        ("max_price=abc", "/query/max_price"),
    ] {
        let body = assert_problem(
            app.get(&format!("/v1/clinics?{query}")).await,
            400,
            "invalid-query",
        )
        .await;
        assert_eq!(body["errors"][0]["pointer"], pointer, "{query}");
    }
    assert_problem(
        app.get("/v1/clinics?order_by=popularity").await,
        400,
        "invalid-query",
    )
    .await;
    assert_problem(app.get("/v1/clinics?sort=name").await, 400, "invalid-query").await;

    let page = app
        .get_json("/v1/clinics?page_size=2&country=MX&include_flagged=true", 200)
        .await;
    let token = page["next_page_token"]
        .as_str()
        .expect("a second page exists")
        .to_owned();
    let mut tampered = token.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    assert_problem(
        app.get(&format!(
            "/v1/clinics?page_size=2&country=MX&include_flagged=true&page_token={tampered}"
        ))
        .await,
        400,
        "invalid-page-token",
    )
    .await;
    // The token is bound to its filters and order.
    assert_problem(
        app.get(&format!(
            "/v1/clinics?page_size=2&country=TR&include_flagged=true&page_token={token}"
        ))
        .await,
        400,
        "invalid-page-token",
    )
    .await;
    assert_problem(
        app.get(&format!(
            "/v1/clinics?page_size=2&country=MX&order_by=name&include_flagged=true&page_token={token}"
        ))
        .await,
        400,
        "invalid-page-token",
    )
    .await;
    assert_eq!(
        app.get(&format!(
            "/v1/clinics?page_size=2&country=MX&include_flagged=true&page_token={token}"
        ))
        .await
        .status()
        .as_u16(),
        200
    );
}

#[tokio::test]
async fn unknown_or_malformed_clinic_ids_are_404_problems() {
    let app = TestApp::spawn().await;
    assert_problem(
        app.get("/v1/clinics/6f1c2b7e-4c1a-4f5e-9d0b-3a2e1c0b9a88").await,
        404,
        "not-found",
    )
    .await;
    assert_problem(app.get("/v1/clinics/not-a-uuid").await, 404, "not-found").await;
    assert_problem(
        app.get("/v1/clinics/6f1c2b7e-4c1a-4f5e-9d0b-3a2e1c0b9a88/treatment-packages")
            .await,
        404,
        "not-found",
    )
    .await;
}

async fn clinic_by_slug(app: &TestApp, slug: &str) -> serde_json::Value {
    let clinics = app.walk("/v1/clinics?page_size=100&include_flagged=true").await;
    let summary = clinics.iter().find(|c| c["slug"] == slug).expect("seeded clinic");
    app.get_json(
        &format!("/v1/clinics/{}", summary["id"].as_str().expect("id")),
        200,
    )
    .await
}

fn codes(clinic: &serde_json::Value) -> HashSet<String> {
    clinic["red_flags"]
        .as_array()
        .expect("red_flags")
        .iter()
        .map(|f| f["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn cellular_hope_shows_its_red_flags_with_evidence() {
    let app = TestApp::spawn().await;
    let clinic = clinic_by_slug(&app, "cellular-hope-institute").await;
    let flags = codes(&clinic);
    for code in [
        "GUARANTEED_OUTCOME",
        "CELEBRITY_OR_ATHLETE",
        "NOT_APPROVED_INDICATION",
    ] {
        assert!(flags.contains(code), "{code} in {flags:?}");
    }
    let guaranteed = clinic["red_flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|f| f["code"] == "GUARANTEED_OUTCOME")
        .expect("flag");
    assert_eq!(guaranteed["severity"], "critical");
    assert!(guaranteed["evidence_text"]
        .as_str()
        .unwrap_or("")
        .contains("100% success rate"));
    assert_eq!(guaranteed["rule_version"], 3);
    // Back pain and autism span two body systems: below the reference's threshold of three.
    assert!(!flags.contains("SAME_CELLS_MANY_CONDITIONS"), "{flags:?}");
    assert_eq!(clinic["has_critical_red_flags"], true);
    // Claims are quoted as claims, never restated as facts.
    assert!(clinic["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .all(|c| c["kind"] == "marketing_claim"));
    assert_eq!(
        clinic["treatment_packages"].as_array().expect("packages").len(),
        1
    );
}

#[tokio::test]
async fn every_spine_listing_carries_the_fda_information_flag() {
    let app = TestApp::spawn().await;
    for clinic in app
        .walk("/v1/clinics?condition=sciatica&include_flagged=true")
        .await
    {
        let info = clinic["red_flags"]
            .as_array()
            .expect("flags")
            .iter()
            .find(|f| f["code"] == "NOT_APPROVED_INDICATION")
            .cloned();
        let info = info.unwrap_or_else(|| panic!("{} lacks the FDA flag", clinic["name"]));
        assert_eq!(info["severity"], "info");
    }
    for package in app.walk("/v1/treatment-packages?include_flagged=true").await {
        assert!(package["red_flags"]
            .as_array()
            .expect("flags")
            .iter()
            .any(|f| f["code"] == "NOT_APPROVED_INDICATION"));
    }
    // No invented flags: a careful listing gets the FDA context, for what it does not state
    // (protocol, ethics approval, deposit terms, review hosting) informational "not stated" flags,
    // and, naming no doctor whose licence StemCare verified, NO_NAMED_DOCTOR (docs/PRACTITIONERS.md).
    let juventa = clinic_by_slug(&app, "medical-center-juventa").await;
    let flags = juventa["red_flags"].as_array().expect("flags");
    let (no_doctor, flags): (Vec<&serde_json::Value>, Vec<&serde_json::Value>) =
        flags.iter().partition(|f| f["code"] == "NO_NAMED_DOCTOR");
    assert_eq!(no_doctor.len(), 1, "no practitioner is named");
    assert!(no_doctor[0]["evidence_text"]
        .as_str()
        .is_some_and(|e| e.contains("names no practitioner")));
    assert!(flags.iter().all(|f| f["severity"] == "info"), "{flags:?}");
    assert!(codes(&juventa).contains("NOT_APPROVED_INDICATION"));
    for flag in flags.iter().filter(|f| f["code"] != "NOT_APPROVED_INDICATION") {
        assert!(
            flag["evidence_text"]
                .as_str()
                .is_some_and(|e| e.ends_with("not stated")),
            "{flag}"
        );
    }
}

#[tokio::test]
async fn clinic_prices_convert_to_the_callers_currency_to_the_cent() {
    let app = TestApp::spawn().await;
    let clinic = clinic_by_slug(&app, "liv-hospital-ulus").await;
    let id = clinic["id"].as_str().expect("id");
    let converted = app.get_json(&format!("/v1/clinics/{id}?currency=EUR"), 200).await;
    let price = &converted["price_from"];
    assert_eq!(price["price"]["min"], "7000.00", "the original price is kept");
    assert_eq!(price["price"]["currency"], "USD");
    // 7000 × 0.849834 = 5948.838 → 5948.84; 10500 × 0.849834 = 8923.257 → 8923.26
    assert_eq!(price["converted_price"]["min"], "5948.84");
    assert_eq!(price["converted_price"]["max"], "8923.26");
    assert_eq!(price["converted_price"]["currency"], "EUR");
    assert_eq!(price["converted_price"]["rate"]["rate"], "0.849834");
    assert_eq!(price["converted_price"]["rate"]["as_of"], "2026-02-20");
    let packages = app
        .get_json(&format!("/v1/clinics/{id}/treatment-packages"), 200)
        .await;
    assert_eq!(packages["items"].as_array().expect("items").len(), 1);
}

/// Claims and score parts are read from jsonb straight into their types; a stored value of
/// another shape (written by hand, or by an older release) shows as an empty list, and the page
/// and the clinic still load.
#[tokio::test]
async fn a_malformed_claims_or_score_value_shows_empty_not_a_500() {
    let app = TestApp::spawn().await;
    let listed = app
        .get_json("/v1/clinics?q=bangkok&include_flagged=true", 200)
        .await;
    let clinic = &listed["items"][0];
    let id = clinic["id"].as_str().expect("id").to_owned();
    assert!(
        !clinic["claims"].as_array().expect("claims").is_empty(),
        "{clinic}"
    );
    assert!(!clinic["rank_explanation"]["parts"]
        .as_array()
        .expect("parts")
        .is_empty());

    let mut conn = app.db().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "UPDATE clinics SET claims = '{\"not\": \"a list\"}', score_parts = '[{\"factor\": 1}]'
             WHERE id = $1",
        )
        .bind::<diesel::sql_types::Uuid, _>(uuid::Uuid::parse_str(&id).expect("uuid")),
        &mut conn,
    )
    .await
    .expect("corrupt the row");

    let listed = app
        .get_json("/v1/clinics?q=bangkok&include_flagged=true", 200)
        .await;
    let detail = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    for clinic in [&listed["items"][0], &detail] {
        assert_eq!(clinic["id"], id.as_str());
        assert_eq!(clinic["claims"], serde_json::json!([]), "{clinic}");
        assert_eq!(
            clinic["rank_explanation"]["parts"],
            serde_json::json!([]),
            "{clinic}"
        );
        assert!(clinic["name"].is_string());
    }
}

/// `price_from` on the list (full page, list screen, a page at a time) is the clinic's cheapest
/// *published* package, kept on the clinic's row by `listings` after every package change; a
/// clinic with none shows none. Clinic detail, which reads the packages themselves, agrees.
#[tokio::test]
async fn price_from_is_the_cheapest_published_package_on_every_read() {
    use serde_json::{json, Value};

    let app = TestApp::spawn().await;
    // A partner's own clean clinic (a seeded one with warnings would wait in moderation).
    let p = app.partner_key("Partner P", "liv-hospital-ulus").await;
    let clinic = crate::partners::clinic("price-check", "Price Check Clinic");
    let response = app.post_json("/v1/partner/clinics", Some(&p), &clinic).await;
    assert_eq!(response.status().as_u16(), 201);
    let clinic: Value = response.json().await.expect("json");
    let id = clinic["id"].as_str().expect("id");
    let slug = clinic["slug"].as_str().expect("slug");
    let packages = format!("/v1/partner/clinics/{id}/treatment-packages");
    let mut created = Vec::new();
    for (min, max) in [("6500.00", "8000.00"), ("5000.00", "5500.00")] {
        let mut body = crate::partners::package();
        body["price"] = json!({"min": min, "max": max, "currency": "USD"});
        let response = app.post_json(&packages, Some(&p), &body).await;
        assert_eq!(response.status().as_u16(), 201);
        let package: Value = response.json().await.expect("json");
        created.push(package["id"].as_str().expect("id").to_owned());
    }
    price_from_everywhere(&app, slug, Some("5000.00")).await;

    // A withdrawn package no longer counts; a clinic with no published package has no price.
    for (withdrawn, left) in [(&created[1], Some("6500.00")), (&created[0], None)] {
        let response = app
            .request(
                reqwest::Method::DELETE,
                &format!("{packages}/{withdrawn}"),
                Some(&p),
                None,
            )
            .await;
        assert_eq!(response.status().as_u16(), 204);
        price_from_everywhere(&app, slug, left).await;
    }
}

/// Checks `slug`'s `price_from` (its minimum, or none) on full and sparse list pages walked a page
/// at a time, and on its detail.
async fn price_from_everywhere(app: &TestApp, slug: &str, expected: Option<&str>) {
    let reads = [
        "/v1/clinics?include_flagged=true",
        "/v1/clinics?include_flagged=true&page_size=2&order_by=-price",
        "/v1/clinics?include_flagged=true&fields=slug,price_from",
        "/v1/clinics?include_flagged=true&fields=slug,price_from&page_size=3&order_by=name",
    ];
    let matches = |read: &str, price: &serde_json::Value| match expected {
        Some(min) => assert_eq!(price["price"]["min"], min, "{read}: {price}"),
        None => assert!(price.is_null(), "{read}: {price}"),
    };
    for read in reads {
        let items = app.walk(read).await;
        let clinic = items
            .iter()
            .find(|c| c["slug"] == slug)
            .unwrap_or_else(|| panic!("{read}: {slug} is listed"));
        matches(read, &clinic["price_from"]);
    }
    let id = app.clinic_id(slug).await;
    let detail = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    matches("detail", &detail["price_from"]);
}
