//! Issue 18, "Seeds and evidence": what a client reads about conditions, studies, summaries and
//! clinic scores is sourced, or says plainly that it is not known.

use std::collections::HashSet;

use diesel_async::RunQueryDsl;
use regex::Regex;

use crate::helpers::TestApp;

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string").to_owned())
        .collect()
}

#[tokio::test]
async fn conditions_list_only_the_cell_types_and_methods_a_source_links_to_them() {
    let app = TestApp::spawn().await;
    let conditions = app.walk("/v1/conditions?page_size=100").await;
    assert_eq!(conditions.len(), 8);
    for condition in &conditions {
        let unknown = strings(&condition["unknown_fields"]);
        for list in ["cell_types", "administration_methods"] {
            let empty = condition[list].as_array().expect("list").is_empty();
            assert_eq!(unknown.contains(&list.to_owned()), empty, "{list} of {condition}");
        }
        // No study in the seeds used cord cells or infusions, and the article ties none to a condition.
        assert!(
            !strings(&condition["cell_types"]).contains(&"uc-msc".to_owned()),
            "{condition}"
        );
        assert!(!strings(&condition["administration_methods"]).contains(&"central-line-infusion".to_owned()));
        let spine = condition["slug"] != "spinal-cord-injury";
        assert_eq!(condition["spine_indication"], spine, "{}", condition["slug"]);
    }

    for joint in ["sacroiliac-joint-dysfunction", "facet-joint-arthritis"] {
        let body = app.get_json(&format!("/v1/conditions/{joint}"), 200).await;
        assert_eq!(
            body["administration_methods"],
            serde_json::json!([]),
            "no intradiscal injection into a joint"
        );
        assert_eq!(body["cell_types"], serde_json::json!([]));
        assert_eq!(body["usage_studies"], serde_json::json!([]));
        let unknown = strings(&body["unknown_fields"]);
        assert!(
            unknown.contains(&"cell_types".to_owned())
                && unknown.contains(&"administration_methods".to_owned())
        );
    }

    // Disc disease: exactly what its studies used, each study readable and matching.
    let disc = app
        .get_json("/v1/conditions/degenerative-disc-disease", 200)
        .await;
    assert_eq!(disc["cell_types"], serde_json::json!(["bm-msc", "ad-msc"]));
    assert_eq!(
        disc["administration_methods"],
        serde_json::json!(["intradiscal-injection"])
    );
    assert_eq!(disc["unknown_fields"], serde_json::json!([]));
    let studies = app
        .walk("/v1/studies?condition=degenerative-disc-disease&page_size=100")
        .await;
    let cited: Vec<&serde_json::Value> = strings(&disc["usage_studies"])
        .iter()
        .map(|slug| {
            studies
                .iter()
                .find(|s| s["slug"] == *slug)
                .expect("cited study is a study of it")
        })
        .collect();
    for cell_type in strings(&disc["cell_types"]) {
        assert!(
            cited.iter().any(|s| s["intervention"]["cell_type"] == cell_type),
            "{cell_type}"
        );
    }
    assert!(cited
        .iter()
        .all(|s| s["intervention"]["administration_method"] == "intradiscal-injection"));

    // Spinal cord injury: the trial's cells, no catalogue method (it was intrathecal), no FDA spine context.
    let sci = app.get_json("/v1/conditions/spinal-cord-injury", 200).await;
    assert_eq!(sci["spine_indication"], false);
    assert_eq!(sci["cell_types"], serde_json::json!(["ad-msc"]));
    assert_eq!(
        sci["unknown_fields"],
        serde_json::json!(["administration_methods"])
    );
    assert_eq!(
        sci["usage_studies"],
        serde_json::json!(["bydon-2024-celltop-ad-msc-spinal-cord-injury-phase-1"])
    );
}

#[tokio::test]
async fn every_study_says_what_is_known_about_its_funding() {
    let app = TestApp::spawn().await;
    let studies = app.walk("/v1/studies?page_size=100").await;
    assert_eq!(studies.len(), 12);
    for study in &studies {
        let funding = &study["funding_coi"];
        let status = funding["status"].as_str().expect("a status, never a bare null");
        assert!(
            ["declared", "tie_reported", "not_reported"].contains(&status),
            "{study}"
        );
        assert!(funding["text"].as_str().is_some_and(|t| t.len() > 20), "{study}");
        if status != "not_reported" {
            assert!(
                funding["source"]["url"].is_string(),
                "a reported tie names its source: {study}"
            );
        } else {
            assert!(
                funding["text"].as_str().unwrap_or("").starts_with("Not reported"),
                "{study}"
            );
        }
        if study["reported_via"] == "article_paraphrase" {
            assert_eq!(status, "not_reported", "{}", study["slug"]);
        }
    }
    let centeno = studies
        .iter()
        .find(|s| s["slug"] == "centeno-2017-bm-msc-registry")
        .expect("Centeno 2017");
    assert_eq!(centeno["funding_coi"]["status"], "tie_reported");
    assert!(centeno["funding_coi"]["text"]
        .as_str()
        .unwrap_or("")
        .contains("co-founded Regenexx"));
    assert!(centeno["funding_coi"]["source"]["url"]
        .as_str()
        .unwrap_or("")
        .contains("regenexx"));
    let by_id = app
        .get_json(
            &format!("/v1/studies/{}", centeno["id"].as_str().expect("id")),
            200,
        )
        .await;
    assert_eq!(by_id["funding_coi"], centeno["funding_coi"]);
}

/// The clause holding byte offset `at`: from the previous `; ` or `. ` to the next one, extended
/// over a parenthesis it opens.
fn clause(text: &str, start_at: usize, end_at: usize) -> &str {
    let start = [text[..start_at].rfind("; "), text[..start_at].rfind(". ")]
        .into_iter()
        .flatten()
        .max()
        .map_or(0, |i| i + 1);
    let mut end = [text[end_at..].find("; "), text[end_at..].find(". ")]
        .into_iter()
        .flatten()
        .min()
        .map_or(text.len(), |i| end_at + i);
    while text[start..end].matches('(').count() > text[start..end].matches(')').count() {
        match text[end..].find(')') {
            Some(i) => end += i + 1,
            None => break,
        }
    }
    &text[start..end]
}

#[tokio::test]
async fn every_percentage_in_the_evidence_carries_its_denominator() {
    let app = TestApp::spawn().await;
    let summaries = app.walk("/v1/evidence-summaries?page_size=100").await;
    let figure = Regex::new(r"(≥|<|>)?\d+(?:\.\d+)?%").expect("regex");
    let denominator =
        Regex::new(r"n not reported|\bn=\d+|\b\d+ of (the )?\d+\b|\b\d+ treated\b").expect("regex");
    let mut checked = 0;
    for summary in &summaries {
        let mut texts: Vec<&str> = ["benefit_range", "known_harms", "plain_summary"]
            .iter()
            .filter_map(|k| summary[*k].as_str())
            .collect();
        texts.extend(
            summary["unknowns"]
                .as_array()
                .expect("unknowns")
                .iter()
                .filter_map(|u| u.as_str()),
        );
        for text in texts {
            for found in figure.captures_iter(text) {
                if found.get(1).is_some() {
                    continue; // a threshold ("≥50% less pain"), not a share of patients
                }
                let whole = found.get(0).expect("match");
                let words = clause(text, whole.start(), whole.end());
                assert!(
                    denominator.is_match(words),
                    "{} without its n in {}: {words:?}",
                    whole.as_str(),
                    summary["slug"]
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "the disc disease figures are checked ({checked})");
    let disc = summaries
        .iter()
        .find(|s| s["slug"] == "degenerative-disc-disease")
        .expect("disc summary");
    let range = disc["benefit_range"].as_str().expect("benefit_range");
    assert!(
        range.contains("69% reported ≥50% less pain (n not reported)"),
        "{range}"
    );
    assert!(
        range.contains("(n not reported) (unverified article paraphrases"),
        "{range}"
    );
}

async fn refresh_listings(app: &TestApp, sql: &str) {
    let mut conn = app.db().await;
    diesel::sql_query(sql).execute(&mut conn).await.expect("update");
    stemcare::listings::refresh_all(&mut conn)
        .await
        .expect("refresh listings");
}

#[tokio::test]
async fn only_claims_about_stem_cell_treatment_count_against_the_evidence() {
    let app = TestApp::spawn().await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let body = app.get_json(&format!("/v1/clinics/{liv}"), 200).await;
    assert_eq!(
        body["claims_beyond_evidence"], false,
        "a weight-loss-surgery figure: {body}"
    );
    let weight_loss = body["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .find(|c| c["text"].as_str().unwrap_or("").contains("weight loss surgery"))
        .expect("the weight-loss claim is still shown");
    assert_eq!(weight_loss["topic"], "other_treatment");
    let hope = app.clinic_id("cellular-hope-institute").await;
    let body = app.get_json(&format!("/v1/clinics/{hope}"), 200).await;
    assert_eq!(
        body["claims_beyond_evidence"], true,
        "a 100% success rate naming no treatment"
    );

    // The topic decides, for any clinic: the same guarantee about another treatment does not count.
    let juventa = app.clinic_id("medical-center-juventa").await;
    let claim = |topic: &str| {
        format!(
            "UPDATE clinics SET claims = '[{{\"text\": \"Our doctors have a 100% success rate.\", \
             \"kind\": \"marketing_claim\", \"topic\": \"{topic}\"}}]' WHERE slug = 'medical-center-juventa'"
        )
    };
    refresh_listings(&app, &claim("other_treatment")).await;
    let body = app.get_json(&format!("/v1/clinics/{juventa}"), 200).await;
    assert!(
        !body["red_flags"].as_array().expect("flags").is_empty(),
        "the claim is still flagged: {body}"
    );
    assert_eq!(body["claims_beyond_evidence"], false);
    refresh_listings(&app, &claim("stem_cell_treatment")).await;
    let body = app.get_json(&format!("/v1/clinics/{juventa}"), 200).await;
    assert_eq!(body["claims_beyond_evidence"], true, "{body}");
}

fn volume_part(body: &serde_json::Value) -> serde_json::Value {
    body["rank_explanation"]["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["factor"] == "treatment_volume")
        .expect("treatment_volume")
        .clone()
}

#[tokio::test]
async fn treatment_volume_scores_only_verified_stem_cell_figures() {
    let app = TestApp::spawn().await;
    let clinics = app.walk("/v1/clinics?page_size=100&include_flagged=true").await;
    let with_volume: HashSet<String> = clinics
        .iter()
        .filter(|c| c["patients_per_year"].is_number())
        .map(|c| c["slug"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        with_volume,
        HashSet::from([
            "id-clinic-bangkok".to_owned(),
            "medical-center-juventa".to_owned()
        ])
    );
    for clinic in &clinics {
        assert_eq!(
            volume_part(clinic)["points"],
            0,
            "no seeded figure is a verified stem cell count: {clinic}"
        );
    }
    let id_clinic = app.clinic_id("id-clinic-bangkok").await;
    let body = app.get_json(&format!("/v1/clinics/{id_clinic}"), 200).await;
    assert_eq!(
        body["patients_per_year"], 4000,
        "the claimed figure is still shown"
    );
    let part = volume_part(&body);
    let reason = part["reason"].as_str().expect("reason");
    assert!(
        reason.contains("4000") && reason.contains("not stem cell") && reason.contains("claimed"),
        "{reason}"
    );

    // A verified stem cell figure earns points; once the figure changes it is unverified again.
    refresh_listings(
        &app,
        "UPDATE clinics SET patients_per_year_scope = 'stem_cell_treatment', patients_per_year_verified_value = 4000
         WHERE slug = 'id-clinic-bangkok'",
    )
    .await;
    let body = app.get_json(&format!("/v1/clinics/{id_clinic}"), 200).await;
    assert_eq!(volume_part(&body)["points"], 15, "{body}");
    refresh_listings(
        &app,
        "UPDATE clinics SET patients_per_year = 5000 WHERE slug = 'id-clinic-bangkok'",
    )
    .await;
    let body = app.get_json(&format!("/v1/clinics/{id_clinic}"), 200).await;
    let part = volume_part(&body);
    assert_eq!(part["points"], 0);
    assert!(
        part["reason"].as_str().unwrap_or("").contains("not verified"),
        "{part}"
    );
}

#[tokio::test]
async fn the_fda_flag_follows_spine_indication_in_claim_checks() {
    let app = TestApp::spawn().await;
    let check = |condition: &str| {
        let body =
            serde_json::json!({"text": "We treat patients with their own cells.", "conditions": [condition]});
        let request = app.client.post(app.url("/v1/claim-checks")).json(&body);
        async move {
            let response = request.send().await.expect("POST");
            assert_eq!(response.status().as_u16(), 200);
            let body: serde_json::Value = response.json().await.expect("json");
            body["red_flags"]
                .as_array()
                .expect("red_flags")
                .iter()
                .any(|f| f["code"] == "NOT_APPROVED_INDICATION")
        }
    };
    assert!(
        check("degenerative-disc-disease").await,
        "the FDA statement covers disc disease"
    );
    assert!(
        !check("spinal-cord-injury").await,
        "it does not cover spinal cord injury"
    );
}

#[tokio::test]
async fn a_study_without_a_funding_statement_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.staff_key("admin").await;
    let mut study = app
        .walk("/v1/studies?page_size=100")
        .await
        .into_iter()
        .find(|s| s["slug"] == "centeno-2017-bm-msc-registry")
        .expect("Centeno 2017");
    let object = study.as_object_mut().expect("object");
    for wire_only in ["id", "slug"] {
        object.remove(wire_only);
    }
    let put = |body: serde_json::Value| {
        let request = app
            .client
            .put(app.url("/v1/admin/studies/test-funding"))
            .bearer_auth(&admin)
            .json(&body);
        async move { request.send().await.expect("PUT").status().as_u16() }
    };
    study["funding_coi"] = serde_json::Value::Null;
    assert_eq!(put(study.clone()).await, 422, "null would read as 'no conflicts'");
    study["funding_coi"] =
        serde_json::json!({"status": "declared", "text": "Funded by a clinic.", "source": null});
    assert_eq!(
        put(study.clone()).await,
        422,
        "a declared statement names its source"
    );
    study["funding_coi"] =
        serde_json::json!({"status": "not_reported", "text": "Not reported: test.", "source": null});
    assert_eq!(put(study).await, 200);
}
