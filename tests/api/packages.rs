//! Treatment packages, comparisons, cost estimates and claim checks.

use std::collections::HashSet;

use crate::helpers::{assert_problem, field, TestApp};

#[tokio::test]
async fn packages_filter_and_walk_exactly_once() {
    let app = TestApp::spawn().await;
    let all = app.walk("/v1/treatment-packages?include_flagged=true").await;
    assert_eq!(all.len(), 7);
    for package in &all {
        assert_eq!(package["price_provenance"], "regional_indicative");
        assert_eq!(package["price_basis"], "package");
        assert_eq!(package["price"]["kind"], "range");
        assert!(package["price_as_of"].is_string() && package["price_source"]["title"].is_string());
        assert!(
            package["unknown_items"].as_array().is_some_and(|a| !a.is_empty()),
            "unknowns are explicit"
        );
        assert!(package["unknown_fields"]
            .as_array()
            .is_some_and(|a| a.contains(&"cell_type".into())));
    }
    for order in ["price", "-price", "updated_at", "-updated_at"] {
        let walked = app
            .walk(&format!(
                "/v1/treatment-packages?order_by={order}&page_size=2&include_flagged=true"
            ))
            .await;
        let ids = field(&walked, "id");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 7, "{order}");
        assert_eq!(ids.len(), 7, "{order}");
    }
    assert_eq!(
        app.walk("/v1/treatment-packages?country=TR&include_flagged=true")
            .await
            .len(),
        2
    );
    assert_eq!(
        app.walk("/v1/treatment-packages?condition=sciatica&country=MX&include_flagged=true")
            .await
            .len(),
        4
    );
    assert_eq!(
        app.walk("/v1/treatment-packages?condition=spinal-cord-injury&include_flagged=true")
            .await
            .len(),
        0
    );
    assert_eq!(
        app.walk("/v1/treatment-packages?price_provenance=clinic_listed&include_flagged=true")
            .await
            .len(),
        0
    );
    assert_eq!(
        app.walk("/v1/treatment-packages?min_price=7000&max_price=7000&include_flagged=true")
            .await
            .len(),
        7
    );
    assert_eq!(
        app.walk("/v1/treatment-packages?max_price=6999&include_flagged=true")
            .await
            .len(),
        0
    );
    let clinic_id = all[0]["clinic_id"].as_str().expect("clinic id");
    let own = app
        .walk(&format!(
            "/v1/treatment-packages?clinic_id={clinic_id}&include_flagged=true"
        ))
        .await;
    assert_eq!(field(&own, "clinic_id"), [clinic_id]);
}

#[tokio::test]
async fn package_prices_convert_with_rate_and_date() {
    let app = TestApp::spawn().await;
    let items = app
        .walk("/v1/treatment-packages?currency=EUR&country=TH&include_flagged=true")
        .await;
    assert_eq!(items.len(), 1);
    let converted = &items[0]["converted_price"];
    assert_eq!(converted["min"], "5948.84");
    assert_eq!(converted["max"], "8923.26");
    assert_eq!(converted["rate"]["from"], "USD");
    assert_eq!(converted["rate"]["to"], "EUR");
    assert!(converted["rate"]["sources"]
        .as_array()
        .is_some_and(|s| !s.is_empty()));
    let one = app
        .get_json(
            &format!(
                "/v1/treatment-packages/{}?currency=GBP",
                items[0]["id"].as_str().expect("id")
            ),
            200,
        )
        .await;
    assert_eq!(one["price"]["min"], "7000.00");
    assert_eq!(one["converted_price"]["currency"], "GBP");
    // The article's "approved locally", labelled as its claim, quoted (issue 18).
    assert_eq!(one["regulatory_status"]["status"], "claimed");
    assert_eq!(one["regulatory_status"]["stated"], "approved_locally");
    assert_eq!(one["country"], "TH");
}

#[tokio::test]
async fn bad_package_queries_are_problems() {
    let app = TestApp::spawn().await;
    for query in [
        "currency=ABC",
        "condition=nope",
        "country=US1",
        "order_by=score",
        "price_provenance=guess",
        "page_size=0",
        "clinic_id=xyz",
    ] {
        assert_problem(
            app.get(&format!("/v1/treatment-packages?{query}")).await,
            400,
            "invalid-query",
        )
        .await;
    }
    assert_problem(
        app.get("/v1/treatment-packages/2b1f0e1c-8a8e-4a8e-9a51-1f7d9d8e7a10")
            .await,
        404,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn packages_compare_like_for_like() {
    let app = TestApp::spawn().await;
    let all = app.walk("/v1/treatment-packages?country=TR").await;
    let ids = field(&all, "id").join(",");
    let comparison = app
        .get_json(
            &format!("/v1/treatment-packages/compare?ids={ids}&currency=EUR"),
            200,
        )
        .await;
    assert_eq!(comparison["currency"], "EUR");
    let packages = comparison["packages"].as_array().expect("packages");
    assert_eq!(packages.len(), 2);
    assert_eq!(packages[0]["total"]["min"], "5948.84");
    assert!(packages[0]["not_included"]
        .as_array()
        .is_some_and(|a| a.contains(&"accommodation_nights".into())));
    let rows = comparison["rows"].as_array().expect("rows");
    let consultation = rows
        .iter()
        .find(|r| r["code"] == "consultation")
        .expect("consultation row");
    assert_eq!(
        consultation["coverage"],
        serde_json::json!(["included", "included"])
    );
    let hotel = rows
        .iter()
        .find(|r| r["code"] == "accommodation_nights")
        .expect("hotel row");
    assert_eq!(hotel["coverage"], serde_json::json!(["unknown", "unknown"]));
    assert_eq!(comparison["rates"][0]["rate"], "0.849834");

    let first = field(&all, "id")[0].clone();
    for query in [
        format!("ids={first}"),
        format!("ids={first},{first}"),
        "ids=a,b".to_owned(),
        format!("ids={first},{first}&currency=XX"),
    ] {
        assert_problem(
            app.get(&format!("/v1/treatment-packages/compare?{query}")).await,
            400,
            "invalid-query",
        )
        .await;
    }
    assert_problem(
        app.get(&format!(
            "/v1/treatment-packages/compare?ids={first},2b1f0e1c-8a8e-4a8e-9a51-1f7d9d8e7a10"
        ))
        .await,
        404,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn cost_estimate_for_sciatica_in_mexico_stays_within_the_articles_figures() {
    let app = TestApp::spawn().await;
    let estimate = app
        .get_json("/v1/cost-estimates?condition=sciatica&country=MX", 200)
        .await;
    let min: f64 = estimate["estimate"]["min"]
        .as_str()
        .expect("min")
        .parse()
        .expect("number");
    let max: f64 = estimate["estimate"]["max"]
        .as_str()
        .expect("max")
        .parse()
        .expect("number");
    assert!(
        (1000.0..=10500.0).contains(&min) && (1000.0..=10500.0).contains(&max) && min <= max,
        "{estimate}"
    );
    assert_eq!(estimate["us_comparison"]["min"], "4000.00");
    assert_eq!(estimate["us_comparison"]["max"], "15000.00");
    assert_eq!(estimate["per_injection_range"]["min"], "1000.00");
    assert!(estimate["disclaimer"]["text"]
        .as_str()
        .is_some_and(|d| d.contains("not medical advice")));
    assert_eq!(estimate["cost_factors"].as_array().expect("factors").len(), 6);

    let three = app
        .get_json(
            "/v1/cost-estimates?condition=sciatica&country=US&injections=3&currency=EUR",
            200,
        )
        .await;
    assert_eq!(three["basis"], "per_injection");
    // 3 × 4000 USD = 12000 USD → × 0.849834 = 10198.008 → 10198.01 EUR
    assert_eq!(three["estimate"]["min"], "10198.01");
}

#[tokio::test]
async fn cost_estimate_rejects_bad_combinations_naming_the_field() {
    let app = TestApp::spawn().await;
    let body = assert_problem(
        app.get("/v1/cost-estimates?condition=sciatica&country=MX&cell_type=esc")
            .await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "/query/cell_type");
    let body = assert_problem(
        app.get("/v1/cost-estimates?condition=spinal-cord-injury&country=MX")
            .await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "/query/condition");
    for query in [
        "condition=sciatica",
        "condition=sciatica&country=ZZ",
        "condition=x&country=MX",
        "condition=sciatica&country=MX&injections=0",
        "condition=sciatica&country=MX&currency=QQQ",
    ] {
        assert_problem(
            app.get(&format!("/v1/cost-estimates?{query}")).await,
            400,
            "invalid-query",
        )
        .await;
    }
}

#[tokio::test]
async fn claim_checks_flag_before_publishing() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/v1/claim-checks"))
        .json(&serde_json::json!({
            "text": "Among our patients are Mike Tyson and Cristiano Ronaldo. The doctors have a 100% success rate.",
            "conditions": ["sciatica"],
            "stem_cell_indications": ["back pain", "autism", "COPD"],
            "package": {"cell_type": "exosomes", "inclusions": ["consultation"], "exclusions": [], "price_kind": "from"}
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    let codes: HashSet<String> = body["red_flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| f["code"].as_str().unwrap_or("").to_owned())
        .collect();
    for code in [
        "CELEBRITY_OR_ATHLETE",
        "GUARANTEED_OUTCOME",
        "SAME_CELLS_MANY_CONDITIONS",
        "NOT_APPROVED_INDICATION",
        "HIDDEN_COST",
        "UNLICENSED_PRODUCT_TYPE",
        "CELL_SOURCE_UNDOCUMENTED",
    ] {
        assert!(codes.contains(code), "{code} in {codes:?}");
    }
    assert_eq!(
        body["not_evaluated_rules"],
        // The registry rules that need a listing apply to listings only (docs/TRIALS.md).
        serde_json::json!([
            "NO_NAMED_DOCTOR",
            "PAY_TO_PARTICIPATE",
            "REGISTRY_NOT_RECRUITING",
            "REGISTRY_RESULTS_OVERDUE",
            "REGISTRY_STUDY_NOT_AT_CLINIC"
        ])
    );

    let careful = app
        .client
        .post(app.url("/v1/claim-checks"))
        .json(&serde_json::json!({"text": "Small uncontrolled studies suggest some patients report less pain; results vary. This treatment is not FDA approved."}))
        .send()
        .await
        .expect("request");
    let body: serde_json::Value = careful.json().await.expect("json");
    // Nothing but the informational "not stated" flags of the four disclosure rules (no
    // `disclosures` were sent; tests/api/disclosures.rs covers them).
    let raised: Vec<(&str, &str)> = body["red_flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or(""),
                f["severity"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        raised,
        [
            ("DEPOSIT_BEFORE_CONSULT", "info"),
            ("NO_IRB_OR_REGULATOR", "info"),
            ("NO_PROTOCOL", "info"),
            ("REVIEWS_ONLY_SELF_HOSTED", "info")
        ],
        "careful text raises nothing"
    );

    let invalid = app
        .client
        .post(app.url("/v1/claim-checks"))
        .json(&serde_json::json!({"text": "", "conditions": ["nope"], "package": {"cell_source": "mixed"}}))
        .send()
        .await
        .expect("request");
    let body = assert_problem(invalid, 422, "validation-failed").await;
    let pointers: HashSet<String> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["pointer"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        pointers,
        HashSet::from([
            "/text".to_owned(),
            "/conditions/0".to_owned(),
            "/package/cell_source".to_owned()
        ])
    );
}

#[tokio::test]
async fn red_flag_rules_are_published() {
    let app = TestApp::spawn().await;
    let rules = app.walk("/v1/red-flag-rules").await;
    assert!(rules.len() >= 20);
    let guaranteed = rules
        .iter()
        .find(|r| r["code"] == "GUARANTEED_OUTCOME")
        .expect("rule");
    assert_eq!(guaranteed["severity"], "critical");
    assert_eq!(guaranteed["evaluated"], true);
    assert!(rules.iter().all(|r| r["evaluated"].is_boolean()));
    // Rules read from records rather than text are evaluated too: named practitioners and
    // verifications (NO_NAMED_DOCTOR), ClinicalTrials.gov records (PAY_TO_PARTICIPATE, REGISTRY_*).
    for code in [
        "NO_NAMED_DOCTOR",
        "PAY_TO_PARTICIPATE",
        "REGISTRY_STUDY_NOT_FOUND",
    ] {
        let rule = rules.iter().find(|r| r["code"] == code).expect(code);
        assert_eq!(rule["evaluated"], true, "{code}");
    }
}
