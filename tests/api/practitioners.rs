//! Named practitioners: partner management (ETags, merge patch, idempotent create, moderation),
//! who may see them, and the public list.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, location, TestApp};

pub(crate) fn physician() -> Value {
    json!({
        "name": "Dr Jane Example",
        "role": "physician",
        "specialty": "Orthopaedic surgery",
        "licence": {"number": "7012345", "issuing_body": "General Medical Council", "country": "GB"},
        "languages": ["en", "tr"]
    })
}

/// Adds `body` to the clinic as `key`; returns the created practitioner.
pub(crate) async fn add(app: &TestApp, key: &str, clinic_id: &str, body: &Value) -> Value {
    let response = app
        .post_json(
            &format!("/v1/partner/clinics/{clinic_id}/practitioners"),
            Some(key),
            body,
        )
        .await;
    assert_eq!(response.status().as_u16(), 201, "create");
    response.json().await.expect("json")
}

async fn patch(
    app: &TestApp,
    path: &str,
    key: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = app
        .client
        .patch(app.url(path))
        .bearer_auth(key)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string());
    if let Some(etag) = if_match {
        request = request.header("if-match", etag);
    }
    request.send().await.expect("PATCH")
}

async fn delete(app: &TestApp, path: &str, key: Option<&str>, if_match: Option<&str>) -> reqwest::Response {
    let mut request = app.client.delete(app.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(etag) = if_match {
        request = request.header("if-match", etag);
    }
    request.send().await.expect("DELETE")
}

#[tokio::test]
async fn partners_manage_practitioners_with_etags() {
    let app = TestApp::spawn().await;
    let key = app.partner_key("Partner P", "liv-hospital-ulus").await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let base = format!("/v1/partner/clinics/{clinic}/practitioners");

    let response = app.post_json(&base, Some(&key), &physician()).await;
    assert_eq!(response.status().as_u16(), 201);
    let location = location(&response);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let created: Value = response.json().await.expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(location, format!("{base}/{id}"));
    assert_eq!(created["status"], "published");
    assert_eq!(created["version"], 1);
    assert_eq!(created["practitioner"], physician());
    assert_eq!(created["licence_standing"]["status"], "claimed_by_clinic");
    assert!(created["licence_standing"]["verification"].is_null());

    let read = app.get_as(&location, &key).await;
    assert_eq!(read.status().as_u16(), 200);
    assert_eq!(read.headers()["etag"], "\"1\"");
    let list: Value = app.get_json_as(&base, &key, 200).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    let change = json!({"specialty": "Spine surgery", "languages": ["en"]});
    assert_problem(
        patch(&app, &location, &key, None, &change).await,
        428,
        "precondition-required",
    )
    .await;
    let patched = patch(&app, &location, &key, Some("\"1\""), &change).await;
    assert_eq!(patched.status().as_u16(), 200);
    assert_eq!(patched.headers()["etag"], "\"2\"");
    let patched: Value = patched.json().await.expect("json");
    assert_eq!(patched["practitioner"]["specialty"], "Spine surgery");
    assert_eq!(patched["practitioner"]["languages"], json!(["en"]));
    assert_eq!(
        patched["practitioner"]["licence"]["number"], "7012345",
        "untouched fields stay"
    );
    assert_problem(
        patch(&app, &location, &key, Some("\"1\""), &change).await,
        412,
        "precondition-failed",
    )
    .await;
    let removed = json!({"specialty": null});
    let cleared: Value = patch(&app, &location, &key, Some("\"2\""), &removed)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        cleared["practitioner"].get("specialty").is_none(),
        "null removes: {cleared}"
    );
    assert_problem(
        patch(&app, &location, &key, Some("\"3\""), &json!({"version": 9})).await,
        422,
        "validation-failed",
    )
    .await;
    assert_problem(
        patch(&app, &location, &key, Some("\"3\""), &json!({"role": "healer"})).await,
        422,
        "validation-failed",
    )
    .await;

    assert_problem(
        delete(&app, &location, Some(&key), Some("\"1\"")).await,
        412,
        "precondition-failed",
    )
    .await;
    assert_eq!(
        delete(&app, &location, Some(&key), Some("\"3\""))
            .await
            .status()
            .as_u16(),
        204
    );
    assert_problem(app.get_as(&location, &key).await, 404, "not-found").await;
    let list: Value = app.get_json_as(&base, &key, 200).await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn creating_is_idempotent() {
    let app = TestApp::spawn().await;
    let key = app.partner_key("Partner P", "liv-hospital-ulus").await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let path = format!("/v1/partner/clinics/{clinic}/practitioners");
    let first = app.post_idempotent(&path, &key, "add-jane", &physician()).await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.expect("json");
    let again = app.post_idempotent(&path, &key, "add-jane", &physician()).await;
    assert_eq!(again.status().as_u16(), 201, "replayed");
    let again: Value = again.json().await.expect("json");
    assert_eq!(first["id"], again["id"], "one practitioner, not two");
    let mut other = physician();
    other["name"] = json!("Dr John Other");
    assert_problem(
        app.post_idempotent(&path, &key, "add-jane", &other).await,
        422,
        "idempotency-key-reused",
    )
    .await;
    let list: Value = app.get_json_as(&path, &key, 200).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let raced = app.race_idempotent(&path, &key, "race", &other).await;
    assert_eq!(raced.len(), 1, "{raced:?}");
}

#[tokio::test]
async fn only_the_owning_partner_sees_or_edits_practitioners() {
    let app = TestApp::spawn().await;
    let owner = app.partner_key("Partner P", "liv-hospital-ulus").await;
    let other = app.partner_key("Partner Q", "medipol-university-hospital").await;
    let coordinator = app.staff_key("coordinator").await;
    let (_, patient, _) = crate::quotes::create_quote(&app, "patient@example.com").await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let base = format!("/v1/partner/clinics/{clinic}/practitioners");
    let created = add(&app, &owner, &clinic, &physician()).await;
    let one = format!("{base}/{}", created["id"].as_str().expect("id"));

    // Another partner: 404 on every endpoint, reads and writes alike.
    assert_problem(app.get_as(&base, &other).await, 404, "not-found").await;
    assert_problem(app.get_as(&one, &other).await, 404, "not-found").await;
    assert_problem(
        app.post_json(&base, Some(&other), &physician()).await,
        404,
        "not-found",
    )
    .await;
    assert_problem(
        patch(&app, &one, &other, Some("\"1\""), &json!({"name": "X"})).await,
        404,
        "not-found",
    )
    .await;
    assert_problem(delete(&app, &one, Some(&other), None).await, 404, "not-found").await;
    // Its own clinic id with the owner's practitioner id is no way round it.
    let medipol = app.clinic_id("medipol-university-hospital").await;
    let crossed = format!(
        "/v1/partner/clinics/{medipol}/practitioners/{}",
        created["id"].as_str().expect("id")
    );
    assert_problem(app.get_as(&crossed, &other).await, 404, "not-found").await;

    // Anonymous: 401; a patient's token or a staff key: 403.
    assert_problem(app.get(&base).await, 401, "unauthorized").await;
    assert_problem(app.get(&one).await, 401, "unauthorized").await;
    assert_problem(
        app.post_json(&base, None, &physician()).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(delete(&app, &one, None, None).await, 401, "unauthorized").await;
    for denied in [&patient, &coordinator] {
        assert_problem(app.get_as(&base, denied).await, 403, "forbidden").await;
        assert_problem(app.get_as(&one, denied).await, 403, "forbidden").await;
        assert_problem(
            app.post_json(&base, Some(denied), &physician()).await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            patch(&app, &one, denied, Some("\"1\""), &json!({"name": "X"})).await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(delete(&app, &one, Some(denied), None).await, 403, "forbidden").await;
    }
    // Nothing changed.
    let read: Value = app.get_json_as(&one, &owner, 200).await;
    assert_eq!(read["version"], 1);
}

#[tokio::test]
async fn red_flag_phrases_hold_a_practitioner_in_moderation() {
    let app = TestApp::spawn().await;
    let key = app.partner_key("Partner P", "liv-hospital-ulus").await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let mut hype = physician();
    hype["specialty"] = json!("Stem cell therapy with a 100% success rate, guaranteed results");
    let flagged = add(&app, &key, &clinic, &hype).await;
    assert_eq!(flagged["status"], "pending_review", "{flagged}");
    let codes: Vec<&str> = flagged["red_flags"]
        .as_array()
        .expect("flags")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"GUARANTEED_OUTCOME"), "{codes:?}");

    let public = app
        .get_json(&format!("/v1/clinics/{clinic}/practitioners"), 200)
        .await;
    assert_eq!(public["items"], json!([]), "not shown while flagged");

    let location = format!(
        "/v1/partner/clinics/{clinic}/practitioners/{}",
        flagged["id"].as_str().expect("id")
    );
    let fixed: Value = patch(
        &app,
        &location,
        &key,
        Some("\"1\""),
        &json!({"specialty": "Orthopaedic surgery"}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(fixed["status"], "published");
    assert_eq!(fixed["red_flags"], json!([]));
    let public = app
        .get_json(&format!("/v1/clinics/{clinic}/practitioners"), 200)
        .await;
    let shown = &public["items"][0];
    assert_eq!(shown["name"], "Dr Jane Example");
    assert_eq!(shown["details"], "claimed_by_clinic");
    assert_eq!(shown["licence"]["status"], "claimed_by_clinic");
    assert_eq!(shown["licence"]["issuing_body"], "General Medical Council");
    assert!(public["disclaimer"].is_object());
}

#[tokio::test]
async fn the_public_list_needs_a_public_clinic() {
    let app = TestApp::spawn().await;
    let unknown = uuid::Uuid::new_v4();
    assert_problem(
        app.get(&format!("/v1/clinics/{unknown}/practitioners")).await,
        404,
        "not-found",
    )
    .await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let empty = app
        .get_json(&format!("/v1/clinics/{clinic}/practitioners"), 200)
        .await;
    assert_eq!(empty["items"], json!([]));
}

/// GETs a FHIR endpoint, asserting the status and the FHIR JSON media type.
async fn fhir(app: &TestApp, path: &str, status: u16) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), status, "{path}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/fhir+json"),
        "{content_type}"
    );
    response.json().await.expect("json")
}

#[tokio::test]
async fn practitioners_are_fhir_practitioners_with_their_licence_checks() {
    let app = TestApp::spawn().await;
    let key = app.partner_key("Partner P", "liv-hospital-ulus").await;
    let coordinator = app.staff_key("coordinator").await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let doctor = add(&app, &key, &clinic, &physician()).await;
    let doctor_id = doctor["id"].as_str().expect("id").to_owned();
    let nurse = add(
        &app,
        &key,
        &clinic,
        &json!({"name": "Ayse Nurse", "role": "nurse", "languages": ["tr"]}),
    )
    .await;
    let mut hype = physician();
    hype["specialty"] = json!("Guaranteed cure with a 100% success rate");
    let flagged = add(&app, &key, &clinic, &hype).await;

    let bundle = fhir(&app, "/fhir/r4/Practitioner", 200).await;
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(
        bundle["total"], 2,
        "the flagged practitioner is not in the directory"
    );
    let roles = fhir(&app, "/fhir/r4/PractitionerRole?_count=1", 200).await;
    assert_eq!(roles["total"], 2);
    assert_eq!(roles["entry"].as_array().map(Vec::len), Some(1));
    assert!(roles["link"]
        .as_array()
        .expect("link")
        .iter()
        .any(|l| l["relation"] == "next"));
    fhir(
        &app,
        &format!("/fhir/r4/Practitioner/{}", flagged["id"].as_str().expect("id")),
        404,
    )
    .await;
    fhir(&app, "/fhir/r4/Practitioner?name=Jane", 400).await;

    let claimed = fhir(&app, &format!("/fhir/r4/Practitioner/{doctor_id}"), 200).await;
    assert_eq!(claimed["resourceType"], "Practitioner");
    assert_eq!(claimed["name"][0]["text"], "Dr Jane Example");
    assert_eq!(claimed["communication"][1]["coding"][0]["code"], "tr");
    let qualification = &claimed["qualification"][0];
    assert_eq!(qualification["identifier"][0]["value"], "7012345");
    assert_eq!(qualification["issuer"]["display"], "General Medical Council");
    assert!(qualification["code"]["text"].is_string(), "code is 1..1");
    assert!(
        qualification.get("period").is_none(),
        "no dates StemCare does not know"
    );
    let status = |q: &Value| {
        q["extension"][0]["extension"][0]["valueCode"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(
        status(qualification).as_deref(),
        Some("unknown"),
        "a claim is never active"
    );
    let check = &claimed["contained"][0];
    assert_eq!(check["resourceType"], "VerificationResult");
    assert_eq!(check["status"], "attested");
    assert_eq!(
        check["attestation"]["who"]["reference"],
        format!("Organization/{clinic}")
    );
    assert_eq!(check["target"][0]["reference"], "#");

    let until = chrono::Utc::now().date_naive() + chrono::Duration::days(90);
    let recorded = app
        .post_json(
            "/v1/admin/verifications",
            Some(&coordinator),
            &json!({
                "subject": {"kind": "practitioner_licence", "id": doctor_id},
                "source_url": "https://www.gmc-uk.org/registration-and-licensing/the-medical-register",
                "checked_at": chrono::Utc::now().to_rfc3339(),
                "result": "verified",
                "valid_until": until
            }),
        )
        .await;
    assert_eq!(recorded.status().as_u16(), 201);
    let verified = fhir(&app, &format!("/fhir/r4/Practitioner/{doctor_id}"), 200).await;
    assert_eq!(status(&verified["qualification"][0]).as_deref(), Some("active"));
    let check = &verified["contained"][0];
    assert_eq!(check["status"], "validated");
    assert_eq!(
        check["primarySource"][0]["type"][0]["coding"][0]["code"],
        "lic-board"
    );
    assert_eq!(
        check["primarySource"][0]["validationStatus"]["coding"][0]["code"],
        "successful"
    );
    assert_eq!(
        check["nextScheduled"],
        (until + chrono::Duration::days(1)).to_string()
    );
    assert!(check.get("attestation").is_none());

    app.clock.advance(chrono::Duration::days(91));
    let lapsed = fhir(&app, &format!("/fhir/r4/Practitioner/{doctor_id}"), 200).await;
    assert_eq!(status(&lapsed["qualification"][0]).as_deref(), Some("unknown"));
    assert_eq!(lapsed["contained"][0]["status"], "req-revalid");

    let nurse_fhir = fhir(
        &app,
        &format!("/fhir/r4/Practitioner/{}", nurse["id"].as_str().expect("id")),
        200,
    )
    .await;
    assert!(nurse_fhir.get("qualification").is_none() && nurse_fhir.get("contained").is_none());
    let role = fhir(&app, &format!("/fhir/r4/PractitionerRole/{doctor_id}"), 200).await;
    assert_eq!(
        role["practitioner"]["reference"],
        format!("Practitioner/{doctor_id}")
    );
    assert_eq!(
        role["organization"]["reference"],
        format!("Organization/{clinic}")
    );
    assert_eq!(role["location"][0]["reference"], format!("Location/{clinic}"));
    assert_eq!(role["code"][0]["text"], "physician");
    assert_eq!(role["specialty"][0]["text"], "Orthopaedic surgery");
    assert_eq!(role["active"], true);
}
