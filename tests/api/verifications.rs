//! Verification records: coordinators verify a licence, the public view and the score follow, and
//! the verification expires on its date.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};
use crate::practitioners::{add, physician};

const REGISTER: &str = "https://www.gmc-uk.org/registration-and-licensing/the-medical-register";

fn licence_check(practitioner_id: &str, result: &str, valid_until: Option<chrono::NaiveDate>) -> Value {
    json!({
        "subject": {"kind": "practitioner_licence", "id": practitioner_id},
        "source_url": REGISTER,
        "checked_at": chrono::Utc::now().to_rfc3339(),
        "result": result,
        "valid_until": valid_until,
        "note": "Register entry matches number, name and country."
    })
}

fn flag_codes(clinic: &Value) -> Vec<String> {
    clinic["red_flags"]
        .as_array()
        .expect("red_flags")
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_owned))
        .collect()
}

fn score(clinic: &Value) -> i64 {
    clinic["rank_explanation"]["score"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("score")
}

/// Polls the clinic until `done` holds (the expiry worker runs every few seconds).
async fn clinic_until(app: &TestApp, clinic: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..50 {
        let body = app.get_json(&format!("/v1/clinics/{clinic}"), 200).await;
        if done(&body) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the clinic did not reach the expected state");
}

#[tokio::test]
async fn a_verified_licence_counts_until_its_date() {
    let app = TestApp::spawn().await;
    let partner = app.partner_key("Partner P", "liv-hospital-ulus").await;
    let coordinator = app.staff_key("coordinator").await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;

    let before = app.get_json(&format!("/v1/clinics/{clinic}"), 200).await;
    let no_doctor = before["red_flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|f| f["code"] == "NO_NAMED_DOCTOR")
        .expect("NO_NAMED_DOCTOR without any practitioner")
        .clone();
    assert_eq!(no_doctor["severity"], "warn");
    assert!(no_doctor["evidence_text"]
        .as_str()
        .unwrap_or_default()
        .contains("names no practitioner"));

    let doctor = add(&app, &partner, &clinic, &physician()).await;
    let doctor_id = doctor["id"].as_str().expect("id").to_owned();
    let named = app.get_json(&format!("/v1/clinics/{clinic}"), 200).await;
    assert!(
        flag_codes(&named).contains(&"NO_NAMED_DOCTOR".to_owned()),
        "a named doctor whose licence is only claimed still carries the flag"
    );
    let unverified_score = score(&named);

    let today = chrono::Utc::now().date_naive();
    let until = today + chrono::Duration::days(30);
    let response = app
        .post_json(
            "/v1/admin/verifications",
            Some(&coordinator),
            &licence_check(&doctor_id, "verified", Some(until)),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let record: Value = response.json().await.expect("json");
    assert_eq!(record["checked_by"]["role"], "coordinator");
    assert_eq!(record["clinic_id"], clinic);
    assert_eq!(record["current"], true);
    assert_eq!(record["in_force"], true);

    let public = app
        .get_json(&format!("/v1/clinics/{clinic}/practitioners"), 200)
        .await;
    let licence = &public["items"][0]["licence"];
    assert_eq!(licence["status"], "verified");
    assert_eq!(licence["verification"]["source_url"], REGISTER);
    assert_eq!(licence["verification"]["checked_by"], "coordinator");
    assert_eq!(licence["verification"]["valid_until"], until.to_string());
    let verified = app.get_json(&format!("/v1/clinics/{clinic}"), 200).await;
    assert!(
        !flag_codes(&verified).contains(&"NO_NAMED_DOCTOR".to_owned()),
        "{:?}",
        flag_codes(&verified)
    );
    assert_eq!(score(&verified), unverified_score + 5, "one warning fewer");

    // On its date it still holds; the day after it is the clinic's claim again.
    app.clock.advance(chrono::Duration::days(30));
    let public = app
        .get_json(&format!("/v1/clinics/{clinic}/practitioners"), 200)
        .await;
    assert_eq!(public["items"][0]["licence"]["status"], "verified");
    app.clock.advance(chrono::Duration::days(1));
    let public = app
        .get_json(&format!("/v1/clinics/{clinic}/practitioners"), 200)
        .await;
    let licence = &public["items"][0]["licence"];
    assert_eq!(licence["status"], "claimed_by_clinic");
    assert_eq!(
        licence["verification"]["result"], "verified",
        "the expired record is still shown"
    );
    let expired = clinic_until(&app, &clinic, |c| {
        flag_codes(c).contains(&"NO_NAMED_DOCTOR".to_owned())
    })
    .await;
    assert_eq!(score(&expired), unverified_score);
    let listed: Value = app
        .get_json_as(
            &format!("/v1/admin/verifications?subject_id={doctor_id}"),
            &coordinator,
            200,
        )
        .await;
    assert_eq!(listed["items"][0]["in_force"], false);
    assert_eq!(listed["items"][0]["current"], true);
}

#[tokio::test]
async fn records_are_appended_and_the_newest_decides() {
    let app = TestApp::spawn().await;
    let partner = app.partner_key("Partner P", "liv-hospital-ulus").await;
    let coordinator = app.staff_key("coordinator").await;
    let admin = app.staff_key("admin").await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let doctor = add(&app, &partner, &clinic, &physician()).await;
    let doctor_id = doctor["id"].as_str().expect("id").to_owned();
    let until = chrono::Utc::now().date_naive() + chrono::Duration::days(365);

    let first = app
        .post_json(
            "/v1/admin/verifications",
            Some(&coordinator),
            &licence_check(&doctor_id, "verified", Some(until)),
        )
        .await;
    assert_eq!(first.status().as_u16(), 201);
    let contradicted = app
        .post_json(
            "/v1/admin/verifications",
            Some(&admin),
            &licence_check(&doctor_id, "contradicted", None),
        )
        .await;
    assert_eq!(contradicted.status().as_u16(), 201);
    let public = app
        .get_json(&format!("/v1/clinics/{clinic}/practitioners"), 200)
        .await;
    assert_eq!(public["items"][0]["licence"]["status"], "contradicted");
    let page: Value = app
        .get_json_as(
            &format!("/v1/admin/verifications?subject_id={doctor_id}"),
            &coordinator,
            200,
        )
        .await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "both kept");
    assert_eq!(
        (items[0]["result"].as_str(), items[0]["current"].as_bool()),
        (Some("contradicted"), Some(true))
    );
    assert_eq!(
        (items[1]["result"].as_str(), items[1]["current"].as_bool()),
        (Some("verified"), Some(false))
    );
    assert_eq!(items[0]["checked_by"]["role"], "admin");
    let current: Value = app
        .get_json_as(
            &format!("/v1/admin/verifications?clinic_id={clinic}&current=true"),
            &coordinator,
            200,
        )
        .await;
    assert_eq!(current["items"].as_array().map(Vec::len), Some(1));
    let paged: Value = app
        .get_json_as(
            &format!("/v1/admin/verifications?clinic_id={clinic}&page_size=1"),
            &coordinator,
            200,
        )
        .await;
    let token = paged["next_page_token"].as_str().expect("a second page");
    let second: Value = app
        .get_json_as(
            &format!("/v1/admin/verifications?clinic_id={clinic}&page_size=1&page_token={token}"),
            &coordinator,
            200,
        )
        .await;
    assert_eq!(second["items"][0]["result"], "verified");
    assert!(second["next_page_token"].is_null());
    assert_problem(
        app.get_as(
            &format!("/v1/admin/verifications?page_size=1&page_token={token}"),
            &coordinator,
        )
        .await,
        400,
        "invalid-page-token",
    )
    .await;

    // Verified again, then the clinic edits the licence: the check was of other details.
    let again = app
        .post_json(
            "/v1/admin/verifications",
            Some(&coordinator),
            &licence_check(&doctor_id, "verified", Some(until)),
        )
        .await;
    assert_eq!(again.status().as_u16(), 201);
    let public = app
        .get_json(&format!("/v1/clinics/{clinic}/practitioners"), 200)
        .await;
    assert_eq!(public["items"][0]["licence"]["status"], "verified");
    let edited = app
        .client
        .patch(app.url(&format!("/v1/partner/clinics/{clinic}/practitioners/{doctor_id}")))
        .bearer_auth(&partner)
        .header("content-type", "application/merge-patch+json")
        .header("if-match", "\"1\"")
        .body(json!({"licence": {"number": "9999999"}}).to_string())
        .send()
        .await
        .expect("PATCH");
    assert_eq!(edited.status().as_u16(), 200);
    let public = app
        .get_json(&format!("/v1/clinics/{clinic}/practitioners"), 200)
        .await;
    assert_eq!(public["items"][0]["licence"]["status"], "claimed_by_clinic");
    let detail = app.get_json(&format!("/v1/clinics/{clinic}"), 200).await;
    assert!(flag_codes(&detail).contains(&"NO_NAMED_DOCTOR".to_owned()));
}

#[tokio::test]
async fn only_staff_record_valid_verifications() {
    let app = TestApp::spawn().await;
    let partner = app.partner_key("Partner P", "liv-hospital-ulus").await;
    let coordinator = app.staff_key("coordinator").await;
    let (_, patient, _) = crate::quotes::create_quote(&app, "patient@example.com").await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let doctor = add(&app, &partner, &clinic, &physician()).await;
    let doctor_id = doctor["id"].as_str().expect("id").to_owned();
    let until = chrono::Utc::now().date_naive() + chrono::Duration::days(30);
    let check = licence_check(&doctor_id, "verified", Some(until));

    assert_problem(
        app.post_json("/v1/admin/verifications", None, &check).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(app.get("/v1/admin/verifications").await, 401, "unauthorized").await;
    for denied in [&partner, &patient] {
        assert_problem(
            app.post_json("/v1/admin/verifications", Some(denied), &check)
                .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            app.get_as("/v1/admin/verifications", denied).await,
            403,
            "forbidden",
        )
        .await;
    }

    let unknown = licence_check(&uuid::Uuid::new_v4().to_string(), "verified", Some(until));
    let problem = assert_problem(
        app.post_json("/v1/admin/verifications", Some(&coordinator), &unknown)
            .await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/subject/id");
    let open_ended = licence_check(&doctor_id, "verified", None);
    let problem = assert_problem(
        app.post_json("/v1/admin/verifications", Some(&coordinator), &open_ended)
            .await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/valid_until");
    let mut insecure = check.clone();
    insecure["source_url"] = json!("http://register.example/123");
    assert_problem(
        app.post_json("/v1/admin/verifications", Some(&coordinator), &insecure)
            .await,
        422,
        "validation-failed",
    )
    .await;
    let mut future = check.clone();
    future["checked_at"] = json!((chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339());
    assert_problem(
        app.post_json("/v1/admin/verifications", Some(&coordinator), &future)
            .await,
        422,
        "validation-failed",
    )
    .await;
    let not_claimed = json!({
        "subject": {"kind": "clinic_accreditation", "id": clinic, "accreditation": "JCI"},
        "source_url": "https://www.jointcommission.org/",
        "checked_at": chrono::Utc::now().to_rfc3339(),
        "result": "verified",
        "valid_until": until
    });
    let problem = assert_problem(
        app.post_json("/v1/admin/verifications", Some(&coordinator), &not_claimed)
            .await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/subject/accreditation");

    // Idempotent: a retry records once.
    let first = app
        .post_idempotent("/v1/admin/verifications", &coordinator, "check-1", &check)
        .await;
    let again = app
        .post_idempotent("/v1/admin/verifications", &coordinator, "check-1", &check)
        .await;
    assert_eq!((first.status().as_u16(), again.status().as_u16()), (201, 201));
    let (first, again): (Value, Value) = (
        first.json().await.expect("json"),
        again.json().await.expect("json"),
    );
    assert_eq!(first["id"], again["id"]);
    let page: Value = app
        .get_json_as(
            &format!("/v1/admin/verifications?subject_id={doctor_id}"),
            &coordinator,
            200,
        )
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
}

/// The stored score parts of a clinic.
async fn score_parts(app: &TestApp, clinic: &str) -> Value {
    use diesel::sql_types::{Jsonb, Uuid as SqlUuid};
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Jsonb)]
        score_parts: Value,
    }
    let mut conn = app.db().await;
    let row: Row = diesel::sql_query("SELECT score_parts FROM clinics WHERE id = $1")
        .bind::<SqlUuid, _>(uuid::Uuid::parse_str(clinic).expect("uuid"))
        .get_result(&mut conn)
        .await
        .expect("score parts");
    row.score_parts
}

#[tokio::test]
async fn only_a_verified_accreditation_scores() {
    let app = TestApp::spawn().await;
    let partner = app.partner_key("Partner P", "liv-hospital-ulus").await;
    let coordinator = app.staff_key("coordinator").await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let path = format!("/v1/partner/clinics/{clinic}");
    let etag = app.get_as(&path, &partner).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let claimed = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&partner)
        .header("content-type", "application/merge-patch+json")
        .header("if-match", etag)
        .body(json!({"accreditations": [{"body": "JCI", "id": "JCI-123"}]}).to_string())
        .send()
        .await
        .expect("PATCH");
    assert_eq!(claimed.status().as_u16(), 200);
    let claimed: Value = claimed.json().await.expect("json");
    assert!(flag_codes(&claimed).contains(&"ACCREDITATION_UNVERIFIED".to_owned()));
    let accreditation = |parts: &Value| {
        parts
            .as_array()
            .expect("parts")
            .iter()
            .find(|p| p["factor"] == "accreditation")
            .expect("accreditation part")["points"]
            .as_u64()
    };
    assert_eq!(
        accreditation(&score_parts(&app, &clinic).await),
        Some(0),
        "a claim alone scores nothing"
    );

    let until = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
    let check = json!({
        "subject": {"kind": "clinic_accreditation", "id": clinic, "accreditation": "jci"},
        "source_url": "https://www.jointcommission.org/",
        "checked_at": chrono::Utc::now().to_rfc3339(),
        "result": "verified",
        "valid_until": until
    });
    let recorded = app
        .post_json("/v1/admin/verifications", Some(&coordinator), &check)
        .await;
    assert_eq!(recorded.status().as_u16(), 201);
    let recorded: Value = recorded.json().await.expect("json");
    assert_eq!(recorded["subject"]["accreditation"], "jci");
    assert_eq!(accreditation(&score_parts(&app, &clinic).await), Some(20));
    let view: Value = app.get_json_as(&path, &partner, 200).await;
    assert!(
        !flag_codes(&view).contains(&"ACCREDITATION_UNVERIFIED".to_owned()),
        "{:?}",
        flag_codes(&view)
    );

    app.clock.advance(chrono::Duration::days(11));
    for _ in 0..50 {
        if accreditation(&score_parts(&app, &clinic).await) == Some(0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the expired accreditation still scores");
}
