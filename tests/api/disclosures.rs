//! Listing disclosures (protocol, ethics approval, deposit, review hosting) for the rules
//! `NO_PROTOCOL`, `NO_IRB_OR_REGULATOR`, `DEPOSIT_BEFORE_CONSULT` and `REVIEWS_ONLY_SELF_HOSTED`:
//! partners state them, patients see them with their flags, claim checks take them; and stored
//! detections never stay computed with an older rule version.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};
use crate::partners::{clinic, package};

const DISCLOSURE_RULES: [&str; 4] = [
    "NO_PROTOCOL",
    "NO_IRB_OR_REGULATOR",
    "DEPOSIT_BEFORE_CONSULT",
    "REVIEWS_ONLY_SELF_HOSTED",
];

/// `(severity, evidence_text)` of the flag `code` in `flags`, if raised.
fn flag(flags: &Value, code: &str) -> Option<(String, String)> {
    flags
        .as_array()
        .expect("red_flags")
        .iter()
        .find(|f| f["code"] == code)
        .map(|f| {
            assert!(
                f["source_url"].as_str().is_some_and(|u| u.starts_with("http")),
                "{code} carries its source: {f}"
            );
            (
                f["severity"].as_str().unwrap_or_default().to_owned(),
                f["evidence_text"].as_str().unwrap_or_default().to_owned(),
            )
        })
}

fn pointers(problem: &Value) -> HashSet<String> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["pointer"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("array")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

async fn patch(app: &TestApp, path: &str, key: &str, etag: &str, body: &Value) -> reqwest::Response {
    app.client
        .patch(app.url(path))
        .bearer_auth(key)
        .header("content-type", "application/merge-patch+json")
        .header("if-match", etag)
        .body(body.to_string())
        .send()
        .await
        .expect("PATCH")
}

#[tokio::test]
async fn partners_state_disclosures_and_patients_see_them_with_their_flags() {
    let app = TestApp::spawn().await;
    let p = app.partner_key("Partner P", "cellular-hope-institute").await;
    let mut listing = clinic("d-1", "Disclosing Spine Clinic");
    let disclosures = json!({
        "protocol": {"status": "given", "reference": "https://clinic.example/protocols/bm-msc-v2.pdf"},
        "ethics_approval": {"status": "given", "reference": "Ethics committee approval EC-2025-117"},
        "deposit": {"due": "after_medical_review", "refund_pct": 100},
        "review_hosting": "independent"
    });
    listing["disclosures"] = disclosures.clone();
    let created = app.post_json("/v1/partner/clinics", Some(&p), &listing).await;
    assert_eq!(created.status().as_u16(), 201);
    let etag = created.headers()["etag"].to_str().expect("etag").to_owned();
    let body: Value = created.json().await.expect("json");
    assert_eq!(
        body["status"], "published",
        "everything disclosed, nothing to flag"
    );
    assert_eq!(
        body["listing"]["disclosures"], disclosures,
        "the partner reads back what it sent"
    );
    let id = body["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/partner/clinics/{id}");

    let public = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    assert_eq!(public["disclosures"], disclosures);
    for code in DISCLOSURE_RULES {
        assert_eq!(flag(&public["red_flags"], code), None, "{code}");
    }
    assert!(
        !strings(&public["unknown_fields"])
            .iter()
            .any(|f| f.starts_with("disclosures")),
        "{}",
        public["unknown_fields"]
    );

    // A deposit due before any medical review, not refundable: a warning, so the listing waits for
    // moderation. Removing the protocol makes it "not stated": information, not a warning.
    let change = json!({
        "disclosures": {"deposit": {"due": "before_medical_review", "refund_pct": 0}, "protocol": null}
    });
    let patched = patch(&app, &path, &p, &etag, &change).await;
    assert_eq!(patched.status().as_u16(), 200);
    let etag = patched.headers()["etag"].to_str().expect("etag").to_owned();
    let body: Value = patched.json().await.expect("json");
    assert_eq!(body["status"], "pending_review");
    assert_eq!(
        body["listing"]["disclosures"]["deposit"],
        json!({"due": "before_medical_review", "refund_pct": 0})
    );
    assert_eq!(body["listing"]["disclosures"]["protocol"], Value::Null);
    assert_eq!(
        body["listing"]["disclosures"]["review_hosting"], "independent",
        "untouched disclosures stay"
    );
    let (severity, evidence) = flag(&body["red_flags"], "DEPOSIT_BEFORE_CONSULT").expect("deposit flag");
    assert_eq!(severity, "warn");
    assert!(evidence.contains("0%"), "{evidence}");
    assert_problem(app.get(&format!("/v1/clinics/{id}")).await, 404, "not-found").await;

    // A package with its own protocol does not inherit the clinic's missing one; it does inherit
    // the deposit terms.
    let mut own_protocol = package();
    own_protocol["protocol_url"] = json!("https://clinic.example/protocols/package.pdf");
    let created = app
        .post_json(&format!("{path}/treatment-packages"), Some(&p), &own_protocol)
        .await;
    assert_eq!(created.status().as_u16(), 201);

    let admin = app.staff_key("admin").await;
    let decision = json!({"decision": "approve", "reason": "Deposit terms checked with the clinic."});
    let approved = app
        .post_json(&format!("/v1/admin/moderation/{id}"), Some(&admin), &decision)
        .await;
    assert_eq!(approved.status().as_u16(), 200);

    let public = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    assert_eq!(
        flag(&public["red_flags"], "DEPOSIT_BEFORE_CONSULT").map(|f| f.0),
        Some("warn".to_owned())
    );
    let (severity, evidence) = flag(&public["red_flags"], "NO_PROTOCOL").expect("protocol flag");
    assert_eq!(severity, "info", "not stated is informational");
    assert!(evidence.contains("not stated"), "{evidence}");
    assert_eq!(public["disclosures"]["protocol"], Value::Null);
    assert!(strings(&public["unknown_fields"]).contains(&"disclosures.protocol"));
    // Exports carry them too.
    let export = app.get("/v1/exports").await.text().await.expect("export");
    let line: Value = export
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["type"] == "clinic" && line["id"] == id.as_str())
        .expect("the clinic's export line");
    assert_eq!(line["resource"]["disclosures"], public["disclosures"]);
    let packages = public["treatment_packages"].as_array().expect("packages");
    assert_eq!(packages.len(), 1);
    assert_eq!(
        flag(&packages[0]["red_flags"], "NO_PROTOCOL"),
        None,
        "its own protocol"
    );
    assert_eq!(
        flag(&packages[0]["red_flags"], "DEPOSIT_BEFORE_CONSULT").map(|f| f.0),
        Some("warn".to_owned()),
        "the clinic's deposit terms apply to its packages"
    );

    // The stated-as-none states (a merge patch keeps the reference unless it is nulled), then
    // everything removed again.
    let keeps_reference = json!({"disclosures": {"ethics_approval": {"status": "none"}}});
    let problem = assert_problem(
        patch(&app, &path, &p, &etag, &keeps_reference).await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(
        pointers(&problem),
        HashSet::from(["/disclosures/ethics_approval/reference".to_owned()])
    );
    let change = json!({"disclosures": {
        "protocol": {"status": "none"},
        "ethics_approval": {"status": "none", "reference": null},
        "deposit": {"due": "none", "refund_pct": null},
        "review_hosting": "self_hosted_only"
    }});
    let patched = patch(&app, &path, &p, &etag, &change).await;
    assert_eq!(patched.status().as_u16(), 200);
    let etag = patched.headers()["etag"].to_str().expect("etag").to_owned();
    let body: Value = patched.json().await.expect("json");
    assert_eq!(
        body["listing"]["disclosures"]["deposit"],
        json!({"due": "none", "refund_pct": null})
    );
    let flags = &body["red_flags"];
    assert_eq!(flag(flags, "NO_PROTOCOL").map(|f| f.0), Some("warn".to_owned()));
    assert_eq!(
        flag(flags, "NO_IRB_OR_REGULATOR").map(|f| f.0),
        Some("warn".to_owned())
    );
    assert_eq!(
        flag(flags, "DEPOSIT_BEFORE_CONSULT"),
        None,
        "no deposit asked for"
    );
    assert_eq!(
        flag(flags, "REVIEWS_ONLY_SELF_HOSTED").map(|f| f.0),
        Some("info".to_owned())
    );

    let patched = patch(&app, &path, &p, &etag, &json!({"disclosures": null})).await;
    assert_eq!(patched.status().as_u16(), 200);
    let body: Value = patched.json().await.expect("json");
    assert!(
        body["listing"].get("disclosures").is_none(),
        "{}",
        body["listing"]
    );
    for code in DISCLOSURE_RULES {
        let (severity, evidence) = flag(&body["red_flags"], code).unwrap_or_else(|| panic!("{code}"));
        assert_eq!(severity, "info", "{code}");
        assert!(evidence.contains("not stated"), "{code}: {evidence}");
    }
}

#[tokio::test]
async fn seeded_clinics_state_no_disclosures_so_each_is_not_stated() {
    let app = TestApp::spawn().await;
    let id = app.clinic_id("medipol-university-hospital").await;
    let public = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    assert_eq!(
        public["disclosures"],
        json!({"protocol": null, "ethics_approval": null, "deposit": null, "review_hosting": null}),
        "the article states none of them"
    );
    let unknown = strings(&public["unknown_fields"]);
    for field in [
        "disclosures.protocol",
        "disclosures.ethics_approval",
        "disclosures.deposit",
        "disclosures.review_hosting",
    ] {
        assert!(unknown.contains(&field), "{field} in {unknown:?}");
    }
    for code in DISCLOSURE_RULES {
        assert_eq!(
            flag(&public["red_flags"], code).map(|f| f.0),
            Some("info".to_owned()),
            "{code}"
        );
    }
}

async fn claim_check(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_json("/v1/claim-checks", None, body).await
}

#[tokio::test]
async fn claim_checks_take_disclosures_and_leave_only_two_rules_unevaluated() {
    let app = TestApp::spawn().await;
    let text = "We treat degenerative disc disease with your own bone marrow cells.";

    let response = claim_check(&app, &json!({"text": text})).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("json");
    for code in DISCLOSURE_RULES {
        assert_eq!(
            flag(&body["red_flags"], code).map(|f| f.0),
            Some("info".to_owned()),
            "{code} is not stated"
        );
    }
    let not_evaluated: HashSet<&str> = strings(&body["not_evaluated_rules"]).into_iter().collect();
    assert!(
        // The registry rules that need a listing (its clinic, packages or the clock) apply to
        // listings only (docs/TRIALS.md).
        not_evaluated.is_subset(&HashSet::from([
            "NO_NAMED_DOCTOR",
            "PAY_TO_PARTICIPATE",
            "REGISTRY_NOT_RECRUITING",
            "REGISTRY_RESULTS_OVERDUE",
            "REGISTRY_STUDY_NOT_AT_CLINIC",
        ])),
        "{not_evaluated:?}"
    );
    let evaluated = strings(&body["evaluated_rules"]);
    for code in DISCLOSURE_RULES {
        assert!(evaluated.contains(&code), "{code} is evaluated");
    }

    let response = claim_check(
        &app,
        &json!({"text": text, "disclosures": {
            "protocol": {"status": "none"},
            "deposit": {"due": "before_medical_review", "refund_pct": 20},
            "review_hosting": "self_hosted_only"
        }}),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let flags = response.json::<Value>().await.expect("json")["red_flags"].clone();
    assert_eq!(flag(&flags, "NO_PROTOCOL").map(|f| f.0), Some("warn".to_owned()));
    let (severity, evidence) = flag(&flags, "DEPOSIT_BEFORE_CONSULT").expect("deposit");
    assert_eq!(severity, "warn");
    assert!(evidence.contains("20%"), "{evidence}");
    assert_eq!(
        flag(&flags, "REVIEWS_ONLY_SELF_HOSTED").map(|f| f.0),
        Some("info".to_owned())
    );
    assert_eq!(
        flag(&flags, "NO_IRB_OR_REGULATOR").map(|f| f.0),
        Some("info".to_owned())
    );

    let response = claim_check(
        &app,
        &json!({"text": text, "disclosures": {
            "protocol": {"status": "given", "reference": "Protocol BM-2025-03, version 2"},
            "ethics_approval": {"status": "given", "reference": "https://ethics.example/approvals/117"},
            "deposit": {"due": "before_medical_review", "refund_pct": 100},
            "review_hosting": "independent"
        }}),
    )
    .await;
    let flags = response.json::<Value>().await.expect("json")["red_flags"].clone();
    for code in DISCLOSURE_RULES {
        assert_eq!(
            flag(&flags, code),
            None,
            "{code}: fully refundable, all disclosed"
        );
    }
}

#[tokio::test]
async fn bad_disclosures_are_refused_with_field_pointers() {
    let app = TestApp::spawn().await;
    let bad = json!({
        "protocol": {"status": "given"},
        "ethics_approval": {"status": "pending", "reference": "EC-1"},
        "deposit": {"due": "none", "refund_pct": 50},
        "review_hosting": "trustpilot"
    });
    let expected = HashSet::from(
        [
            "/disclosures/protocol/reference",
            "/disclosures/ethics_approval/status",
            "/disclosures/deposit/refund_pct",
            "/disclosures/review_hosting",
        ]
        .map(str::to_owned),
    );

    let response = claim_check(&app, &json!({"text": "Bone marrow cells.", "disclosures": bad})).await;
    let problem = assert_problem(response, 422, "validation-failed").await;
    assert_eq!(pointers(&problem), expected);

    let p = app.partner_key("Partner P", "cellular-hope-institute").await;
    let mut listing = clinic("d-bad", "Badly Disclosing Clinic");
    listing["disclosures"] = bad;
    let response = app.post_json("/v1/partner/clinics", Some(&p), &listing).await;
    let problem = assert_problem(response, 422, "validation-failed").await;
    assert_eq!(pointers(&problem), expected);

    let mut listing = clinic("d-bad-2", "Another Clinic");
    listing["disclosures"] = json!({
        "protocol": {"status": "given", "reference": "http://clinic.example/protocol.pdf"},
        "deposit": {"due": "before_medical_review", "refund_pct": 101}
    });
    let response = app.post_json("/v1/partner/clinics", Some(&p), &listing).await;
    let problem = assert_problem(response, 422, "validation-failed").await;
    assert_eq!(
        pointers(&problem),
        HashSet::from(
            [
                "/disclosures/protocol/reference",
                "/disclosures/deposit/refund_pct"
            ]
            .map(str::to_owned)
        )
    );
    listing["disclosures"] = json!({"deposit_terms": "none"});
    let response = app.post_json("/v1/partner/clinics", Some(&p), &listing).await;
    assert_problem(response, 422, "validation-failed").await;
}
