//! Evidence: summaries, studies, a condition's evidence, filters, pages, errors and links.

use std::collections::HashSet;

use crate::helpers::{assert_problem, field, TestApp};

/// GET `path`, asserting 200, the evidence disclaimer and the public cache header.
async fn get_evidence(app: &TestApp, path: &str) -> serde_json::Value {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=60",
        "{path}"
    );
    assert!(response.headers().contains_key("etag"), "{path}");
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert!(
        body["disclaimer"]["text"]
            .as_str()
            .is_some_and(|d| d.contains("not medical advice")),
        "{path} carries the disclaimer: {body}"
    );
    body
}

#[tokio::test]
async fn degenerative_disc_disease_is_very_low_and_cites_the_2019_review() {
    let app = TestApp::spawn().await;
    let body = get_evidence(&app, "/v1/conditions/degenerative-disc-disease/evidence").await;
    let summary = &body["summary"];
    assert_eq!(summary["certainty"], "very_low");
    assert_eq!(summary["badge"], "Very uncertain / experimental");
    assert_eq!(summary["cell_type"], serde_json::Value::Null);
    let reasons = summary["certainty_reasons"].as_array().expect("reasons");
    assert!(reasons
        .iter()
        .any(|r| r["domain"] == "risk_of_bias" && r["downgrade"] == 1 && r["reason"].is_string()));
    assert!(reasons
        .iter()
        .any(|r| r["domain"] == "imprecision" && r["downgrade"] == 1));
    let citations = summary["citations"].as_array().expect("citations");
    assert_eq!(citations.len(), 8);
    assert!(citations.iter().any(|c| c["pmcid"] == "PMC6989932"));
    assert_eq!(summary["study_count"], 8);
    assert_eq!(summary["participants_known"], 78, "10 + 26 + 33 + 9");
    let cell_types: HashSet<String> = body["cell_type_summaries"]
        .as_array()
        .expect("per cell type")
        .iter()
        .map(|s| s["cell_type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        cell_types,
        HashSet::from(["ad-msc".to_owned(), "bm-msc".to_owned()])
    );
    let studies = body["studies"].as_array().expect("studies");
    assert_eq!(studies.len(), 8, "every cited study, once");
    assert!(studies
        .iter()
        .any(|s| s["pmcid"] == "PMC6989932" && s["design"] == "narrative_review"));

    let id = summary["id"].as_str().expect("id");
    let detail = get_evidence(&app, &format!("/v1/evidence-summaries/{id}")).await;
    assert_eq!(detail["slug"], "degenerative-disc-disease");
    for key in [
        "benefit_range",
        "known_harms",
        "plain_summary",
        "regulatory_context",
        "last_reviewed_at",
        "unknowns",
        "source",
    ] {
        assert!(!detail[key].is_null(), "{key}");
    }
    let study_id = citations[0]["study_id"].as_str().expect("study id");
    let study = get_evidence(&app, &format!("/v1/studies/{study_id}")).await;
    assert_eq!(study["slug"], citations[0]["slug"]);
}

#[tokio::test]
async fn spinal_cord_injury_includes_the_mayo_clinic_finding() {
    let app = TestApp::spawn().await;
    let body = get_evidence(&app, "/v1/conditions/spinal-cord-injury/evidence").await;
    assert_eq!(body["summary"]["certainty"], "very_low");
    let slugs = field(
        body["summary"]["citations"].as_array().expect("citations"),
        "slug",
    );
    assert!(slugs.contains(&"article-finding-mayo-clinic-sci-asia-improvement".to_owned()));
    assert!(slugs.contains(&"bydon-2024-celltop-ad-msc-spinal-cord-injury-phase-1".to_owned()));
    let mayo = body["studies"]
        .as_array()
        .expect("studies")
        .iter()
        .find(|s| s["slug"] == "article-finding-mayo-clinic-sci-asia-improvement")
        .expect("the Mayo Clinic finding")
        .clone();
    assert!(mayo["article_text"]
        .as_str()
        .is_some_and(|t| t.contains("Mayo Clinic")));
    assert_eq!(mayo["reported_via"], "article_paraphrase");
    assert_eq!(body["cell_type_summaries"], serde_json::json!([]));
}

#[tokio::test]
async fn sacroiliac_joint_dysfunction_has_no_study() {
    let app = TestApp::spawn().await;
    let body = get_evidence(&app, "/v1/conditions/sacroiliac-joint-dysfunction/evidence").await;
    let summary = &body["summary"];
    assert_eq!(summary["certainty"], "none");
    assert_eq!(summary["badge"], "No studies found");
    assert_eq!(summary["study_count"], 0);
    assert_eq!(summary["citations"], serde_json::json!([]));
    assert!(summary["plain_summary"]
        .as_str()
        .is_some_and(|t| t.contains("no study")));
    assert_eq!(body["studies"], serde_json::json!([]));
}

#[tokio::test]
async fn filters_narrow_the_lists() {
    let app = TestApp::spawn().await;
    let summaries = |query: &'static str| {
        let app = &app;
        async move { app.walk(&format!("/v1/evidence-summaries?{query}")).await }
    };
    assert_eq!(summaries("page_size=100").await.len(), 10);
    let none = summaries("certainty=none").await;
    assert_eq!(none.len(), 6);
    assert!(none.iter().all(|s| s["certainty"] == "none"));
    assert_eq!(summaries("certainty=very_low").await.len(), 4);
    assert_eq!(summaries("certainty=high").await.len(), 0);
    let ddd = summaries("condition=degenerative-disc-disease").await;
    assert_eq!(ddd.len(), 3);
    assert!(ddd.iter().all(|s| s["condition"] == "degenerative-disc-disease"));
    assert_eq!(
        field(&summaries("cell_type=ad-msc").await, "slug"),
        ["degenerative-disc-disease-ad-msc"]
    );

    let studies = |query: &'static str| {
        let app = &app;
        async move { app.walk(&format!("/v1/studies?{query}")).await }
    };
    assert_eq!(studies("page_size=100").await.len(), 12);
    let single_arm = studies("design=single_arm_trial").await;
    assert_eq!(single_arm.len(), 3);
    assert!(single_arm.iter().all(|s| s["design"] == "single_arm_trial"));
    assert_eq!(studies("condition=spinal-cord-injury").await.len(), 2);
    assert_eq!(studies("cell_type=ad-msc").await.len(), 3);
    let big = studies("min_participants=20").await;
    assert_eq!(
        field(&big, "slug"),
        [
            "centeno-2017-bm-msc-registry",
            "pettine-2016-bone-marrow-concentrate-case-series"
        ]
    );
    assert_eq!(
        studies("min_participants=0").await.len(),
        6,
        "only studies stating n"
    );
    assert_eq!(
        studies("condition=degenerative-disc-disease&design=registry")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn pages_walk_every_item_exactly_once() {
    let app = TestApp::spawn().await;
    for path in [
        "/v1/evidence-summaries",
        "/v1/evidence-summaries?condition=degenerative-disc-disease",
        "/v1/studies",
        "/v1/studies?condition=degenerative-disc-disease",
    ] {
        let separator = if path.contains('?') { '&' } else { '?' };
        let all = get_evidence(&app, &format!("{path}{separator}page_size=100")).await;
        let all = all["items"].as_array().expect("items").clone();
        assert!(!all.is_empty());
        for size in [1, 2] {
            let walked = app.walk(&format!("{path}{separator}page_size={size}")).await;
            assert_eq!(walked, all, "{path} page_size={size}");
            let ids: HashSet<String> = field(&walked, "id").into_iter().collect();
            assert_eq!(ids.len(), walked.len(), "{path}: no duplicates");
        }
    }
}

#[tokio::test]
async fn bad_values_are_400_problems() {
    let app = TestApp::spawn().await;
    for path in [
        "/v1/evidence-summaries?condition=back-ache",
        "/v1/evidence-summaries?cell_type=unicorn",
        "/v1/evidence-summaries?certainty=certain",
        "/v1/evidence-summaries?page_size=0",
        "/v1/evidence-summaries?colour=red",
        "/v1/studies?condition=back-ache",
        "/v1/studies?cell_type=unicorn",
        "/v1/studies?design=anecdote",
        "/v1/studies?min_participants=-1",
        "/v1/studies?min_participants=many",
        "/v1/studies?page_size=0",
        "/v1/studies?page_size=101",
    ] {
        assert_problem(app.get(path).await, 400, "invalid-query").await;
    }
    for list in ["/v1/evidence-summaries", "/v1/studies"] {
        let page = get_evidence(&app, &format!("{list}?page_size=2")).await;
        let token = page["next_page_token"].as_str().expect("token").to_owned();
        let mut tampered = token.into_bytes();
        tampered[4] = if tampered[4] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        assert_problem(
            app.get(&format!("{list}?page_size=2&page_token={tampered}"))
                .await,
            400,
            "invalid-page-token",
        )
        .await;
    }
    // A token is bound to its filters.
    let page = get_evidence(&app, "/v1/studies?page_size=1").await;
    let token = page["next_page_token"].as_str().expect("token");
    assert_problem(
        app.get(&format!(
            "/v1/studies?page_size=1&design=registry&page_token={token}"
        ))
        .await,
        400,
        "invalid-page-token",
    )
    .await;
}

#[tokio::test]
async fn unknown_ids_are_404_problems() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4();
    for path in [
        format!("/v1/evidence-summaries/{id}"),
        format!("/v1/studies/{id}"),
        "/v1/studies/not-a-uuid".to_owned(),
        "/v1/evidence-summaries/42".to_owned(),
        "/v1/conditions/back-ache/evidence".to_owned(),
    ] {
        assert_problem(app.get(&path).await, 404, "not-found").await;
    }
}

#[tokio::test]
async fn clinics_and_packages_link_to_their_evidence() {
    let app = TestApp::spawn().await;
    let packages = app.walk("/v1/treatment-packages?page_size=100").await;
    assert!(!packages.is_empty());
    for package in &packages {
        let conditions = package["conditions"].as_array().expect("conditions");
        let links = package["evidence"].as_array().expect("evidence links");
        assert_eq!(links.len(), conditions.len(), "every condition has a summary");
        for link in links {
            let id = link["summary_id"].as_str().expect("summary id");
            let summary = get_evidence(&app, &format!("/v1/evidence-summaries/{id}")).await;
            assert_eq!(summary["condition"], link["condition"]);
            assert_eq!(summary["certainty"], link["certainty"]);
        }
    }
    let clinics = app.walk("/v1/clinics?condition=sciatica").await;
    assert!(!clinics.is_empty());
    for clinic in &clinics {
        let links = clinic["evidence"].as_array().expect("evidence links");
        assert!(links
            .iter()
            .any(|l| l["condition"] == "sciatica" && l["certainty"] == "none"));
    }
}

#[tokio::test]
async fn efficacy_claims_beyond_the_evidence_are_flagged() {
    const EFFICACY: [&str; 3] = [
        "GUARANTEED_OUTCOME",
        "OUTCOME_CLAIM_UNSOURCED",
        "REGENERATE_AVOID_SURGERY",
    ];
    let app = TestApp::spawn().await;
    let mut listings = app.walk("/v1/clinics?page_size=100&include_flagged=true").await;
    listings.extend(
        app.walk("/v1/treatment-packages?page_size=100&include_flagged=true")
            .await,
    );
    let mut flagged = 0;
    for listing in &listings {
        // Claims about another treatment (a clinic's `claims[].topic`) do not count.
        let other_treatment: Vec<&str> = listing["claims"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["topic"] == "other_treatment")
            .filter_map(|c| c["text"].as_str())
            .collect();
        let claims = listing["red_flags"]
            .as_array()
            .expect("red flags")
            .iter()
            .filter(|f| {
                let quoted = f["evidence_text"].as_str().unwrap_or("");
                !other_treatment.iter().any(|text| text.contains(quoted))
            })
            .any(|f| EFFICACY.iter().any(|code| f["code"] == *code));
        let weak = listing["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .all(|l| ["none", "very_low", "low"].iter().any(|c| l["certainty"] == *c));
        assert_eq!(
            listing["claims_beyond_evidence"],
            claims && weak,
            "{}",
            listing["slug"]
        );
        flagged += usize::from(claims && weak);
    }
    assert!(
        flagged > 0,
        "some seeded listing claims more than the evidence shows"
    );
    let hope = listings
        .iter()
        .find(|l| l["slug"] == "cellular-hope-institute")
        .expect("Cellular Hope Institute");
    assert_eq!(hope["claims_beyond_evidence"], true, "it guarantees outcomes");
}

#[tokio::test]
async fn admins_maintain_the_evidence_and_certainty_is_recomputed() {
    let app = TestApp::spawn().await;
    let admin = app.staff_key("admin").await;
    let coordinator = app.staff_key("coordinator").await;
    let study = serde_json::json!({
        "title": "Hypothetical randomised trial used only by this test",
        "publication": null, "year": null, "url": null, "pmcid": null, "doi": null,
        "design": "randomised_controlled_trial", "oxford_level": 2, "participants": 400, "follow_up_months": 24,
        "has_control_group": true, "conditions": ["sacroiliac-joint-dysfunction"], "population": "test population",
        "intervention": {"cell_type": null, "cell_source": null, "administration_method": null, "description": "test"},
        "comparator": "placebo", "outcome_measures": ["pain"], "result_as_stated": "test result",
        "adverse_events_as_stated": null, "reported_via": "primary_source", "article_text": null, "cited_source": null,
        "possible_origin_note": null,
        "funding_coi": {"status": "not_reported", "text": "Not reported: a test fixture.", "source": null},
        "source": {"title": "test fixture", "url": null, "section": null, "retrieved_at": "2026-11-29"}
    });
    let put = |path: String, key: String, body: serde_json::Value| {
        let request = app.client.put(app.url(&path)).bearer_auth(key).json(&body);
        async move { request.send().await.expect("PUT") }
    };
    let refused = put(
        "/v1/admin/studies/test-rct".into(),
        coordinator.clone(),
        study.clone(),
    )
    .await;
    assert_eq!(refused.status().as_u16(), 403);
    let stored = put("/v1/admin/studies/test-rct".into(), admin.clone(), study.clone()).await;
    assert_eq!(stored.status().as_u16(), 200);

    let before = app
        .get_json("/v1/conditions/sacroiliac-joint-dysfunction/evidence", 200)
        .await;
    let summary_slug = before["summary"]["slug"]
        .as_str()
        .or_else(|| before["slug"].as_str())
        .map(str::to_owned);
    let summary_slug = summary_slug.unwrap_or_else(|| "sacroiliac-joint-dysfunction".to_owned());
    let mut summary = serde_json::json!({
        "condition": "sacroiliac-joint-dysfunction", "cell_type": null, "study_slugs": ["test-rct"],
        "benefit_range": null, "known_harms": null, "plain_summary": "Test summary.", "unknowns": [],
        "regulatory_context": "Test.", "last_reviewed_at": "2026-11-29",
        "source": {"title": "test fixture", "url": null, "section": null, "retrieved_at": "2026-11-29"}
    });
    let graded = put(
        format!("/v1/admin/evidence-summaries/{summary_slug}"),
        admin.clone(),
        summary.clone(),
    )
    .await;
    assert_eq!(graded.status().as_u16(), 200);
    let graded: serde_json::Value = graded.json().await.expect("json");
    assert_ne!(
        graded["certainty"], "none",
        "an RCT raises the certainty: {graded}"
    );

    summary["study_slugs"] = serde_json::json!(["no-such-study"]);
    let bad = put(
        format!("/v1/admin/evidence-summaries/{summary_slug}"),
        admin.clone(),
        summary,
    )
    .await;
    assert_problem(bad, 422, "validation-failed").await;
    let cited = app
        .client
        .delete(app.url("/v1/admin/studies/test-rct"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("DELETE");
    assert_problem(cited, 409, "conflict").await;
}
