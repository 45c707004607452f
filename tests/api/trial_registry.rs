//! Trial claims checked against ClinicalTrials.gov in the background (issue 21 §1), with the
//! registry replaced by a loopback server answering in the API v2 shape.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;
use crate::partners::clinic;

/// What the fake registry answers to one request.
#[derive(Clone)]
pub(crate) enum Answer {
    Json(Value),
    NotFound,
    TooMany { retry_after_secs: u64 },
    Slow(Duration),
    Malformed,
}

/// Decides the answer from the request's path and query and how many times that path (without
/// the query) was asked before.
pub(crate) type Script = Arc<dyn Fn(&str, usize) -> Answer + Send + Sync>;

/// A loopback ClinicalTrials.gov: its base URL and every request target it saw, in order.
pub(crate) struct FakeRegistry {
    pub url: String,
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl FakeRegistry {
    pub(crate) async fn start(script: Script) -> FakeRegistry {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let seen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let log = log.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 2048];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(read) => request.extend_from_slice(&buffer[..read]),
                        }
                    }
                    let head = String::from_utf8_lossy(&request).to_string();
                    let target = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
                    let path = target.split('?').next().unwrap_or_default().to_owned();
                    let before = {
                        let mut log = log.lock().expect("log");
                        let before = log
                            .iter()
                            .filter(|t| t.split('?').next() == Some(path.as_str()))
                            .count();
                        log.push(target.clone());
                        before
                    };
                    let (status, content_type, extra, body) = match script(&target, before) {
                        Answer::Json(value) => {
                            ("200 OK", "application/json", String::new(), value.to_string())
                        }
                        Answer::NotFound => {
                            ("404 Not Found", "text/plain", String::new(), "Not Found".into())
                        }
                        Answer::TooMany { retry_after_secs } => (
                            "429 Too Many Requests",
                            "text/plain",
                            format!("retry-after: {retry_after_secs}\r\n"),
                            "slow down".into(),
                        ),
                        Answer::Slow(delay) => {
                            tokio::time::sleep(delay).await;
                            ("200 OK", "application/json", String::new(), "{}".into())
                        }
                        Answer::Malformed => (
                            "200 OK",
                            "application/json",
                            String::new(),
                            "{\"protocolSection\": [".into(),
                        ),
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        FakeRegistry {
            url: format!("http://{address}"),
            seen,
        }
    }

    /// How many requests asked for this study id.
    pub(crate) fn requests_for(&self, nct_id: &str) -> usize {
        let path = format!("/api/v2/studies/{nct_id}");
        self.seen
            .lock()
            .expect("log")
            .iter()
            .filter(|t| t.split('?').next() == Some(path.as_str()))
            .count()
    }
}

/// A study record in the registry's API v2 shape (registries.md §1.3-1.4).
pub(crate) fn study(nct_id: &str, status: &str, sponsor: &str, countries: &[&str]) -> Value {
    json!({
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": format!("Stem cell study {nct_id}")},
            "statusModule": {
                "overallStatus": status,
                "completionDateStruct": {"date": "2026-06", "type": "ACTUAL"},
                "lastUpdatePostDateStruct": {"date": "2026-07-01", "type": "ACTUAL"}
            },
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": sponsor, "class": "OTHER"}},
            "conditionsModule": {"conditions": ["Spinal Cord Injuries"]},
            "designModule": {"phases": ["PHASE1"], "enrollmentInfo": {"count": 10, "type": "ACTUAL"}},
            "armsInterventionsModule": {"interventions": [{"type": "BIOLOGICAL", "name": "Mesenchymal stem cells"}]},
            "contactsLocationsModule": {"locations": countries.iter().map(|c| json!({"facility": "Site", "country": c})).collect::<Vec<_>>()}
        },
        "hasResults": false
    })
}

/// The study id a request asks for, if it asks for one.
fn study_id(target: &str) -> Option<String> {
    let path = target.split('?').next()?;
    path.strip_prefix("/api/v2/studies/").map(str::to_owned)
}

/// The registry StemCare's tests talk to: one id per behaviour.
pub(crate) fn registry_script() -> Script {
    Arc::new(|target: &str, before: usize| {
        let Some(id) = study_id(target) else {
            return Answer::NotFound;
        };
        match id.as_str() {
            "NCT00000404" => Answer::NotFound,
            "NCT05288205" => Answer::Json(study(
                &id,
                "RECRUITING",
                "Allist Pharmaceuticals, Inc.",
                &["China"],
            )),
            "NCT00000429" if before == 0 => Answer::TooMany { retry_after_secs: 1 },
            "NCT00000555" => Answer::Slow(Duration::from_secs(5)),
            "NCT00000666" => Answer::Malformed,
            // Everything else: a completed study run by the test clinic in Mexico.
            _ => Answer::Json(study(&id, "COMPLETED", "Example Spine Clinic", &["Mexico"])),
        }
    })
}

/// A server whose lookup worker reads `registry`.
pub(crate) async fn spawn_checking(registry: &str) -> TestApp {
    let url = registry.to_owned();
    TestApp::spawn_with(move |s| {
        s.ctgov_url = url;
        s.ctgov_lookup_interval_ms = 50;
        s.ctgov_timeout_secs = 1;
    })
    .await
}

/// Creates a clinic for a new partner; returns its id.
async fn listing(app: &TestApp, partner: &str, description: &str) -> String {
    let key = app.partner_key(partner, "cellular-hope-institute").await;
    let mut body = clinic(&format!("{partner}-1"), "Example Spine Clinic");
    body["description"] = json!(description);
    let created = app.post_json("/v1/partner/clinics", Some(&key), &body).await;
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.expect("json");
    created["id"].as_str().expect("id").to_owned()
}

/// The codes of the red flags of `subject` (a clinic, package or offer as the API shows it).
pub(crate) fn codes(subject: &Value) -> Vec<String> {
    subject["red_flags"]
        .as_array()
        .expect("red_flags")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_owned())
        .collect()
}

/// The red flag `code` of `subject`; panics naming the flags it has when there is none.
pub(crate) fn flag<'a>(subject: &'a Value, code: &str) -> &'a Value {
    subject["red_flags"]
        .as_array()
        .expect("red_flags")
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {}", subject["red_flags"]))
}

/// Reads the clinic until `done` holds (at most ~15 s).
async fn clinic_until(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..150 {
        let clinic = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
        if done(&clinic) {
            return clinic;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the clinic never reached the expected state");
}

const ABOUT: &str = "Outpatient spine clinic offering bone marrow cell injections under fluoroscopy.";

#[tokio::test]
async fn a_cited_id_the_registry_does_not_know_becomes_critical_after_the_background_check() {
    let registry = FakeRegistry::start(registry_script()).await;
    let app = spawn_checking(&registry.url).await;
    let id = listing(
        &app,
        "p-404",
        &format!("{ABOUT} Our study number is NCT00000404."),
    )
    .await;
    let clinic = clinic_until(&app, &id, |c| {
        codes(c).contains(&"REGISTRY_STUDY_NOT_FOUND".to_owned())
    })
    .await;
    let found = flag(&clinic, "REGISTRY_STUDY_NOT_FOUND");
    assert_eq!(found["severity"], "critical");
    assert_eq!(
        found["source_url"],
        "https://clinicaltrials.gov/study/NCT00000404"
    );
    assert!(found["evidence_text"]
        .as_str()
        .expect("text")
        .contains("does not exist in ClinicalTrials.gov"));
    assert_eq!(clinic["has_critical_red_flags"], true);
    assert!(
        !codes(&clinic).contains(&"REGISTRY_CHECK_PENDING".to_owned()),
        "checked now"
    );
    assert_eq!(registry.requests_for("NCT00000404"), 1);
    // Critically flagged listings leave the default list (derived by the listing refresh).
    let listed = app.walk("/v1/clinics?page_size=100").await;
    assert!(listed.iter().all(|c| c["id"] != id.as_str()));

    // A claim check reads what the registry said, and says which ids are not yet checked.
    let checked = app
        .post_json(
            "/v1/claim-checks",
            None,
            &json!({"text": "Part of studies NCT00000404 and NCT22222222."}),
        )
        .await;
    assert_eq!(checked.status().as_u16(), 200);
    let checked: Value = checked.json().await.expect("json");
    assert_eq!(flag(&checked, "REGISTRY_STUDY_NOT_FOUND")["severity"], "critical");
    assert_eq!(
        flag(&checked, "REGISTRY_CHECK_PENDING")["evidence_text"],
        "NCT22222222: not yet checked against ClinicalTrials.gov."
    );
    assert_eq!(
        checked["red_flags"][0]["severity"], "critical",
        "most severe first"
    );
    let statuses: Vec<(&str, &str)> = checked["registry_checks"]
        .as_array()
        .expect("registry_checks")
        .iter()
        .map(|c| {
            (
                c["nct_id"].as_str().expect("id"),
                c["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [("NCT00000404", "not_found"), ("NCT22222222", "pending")]
    );
    assert_eq!(
        registry.requests_for("NCT22222222"),
        0,
        "a claim check queues nothing"
    );
}

#[tokio::test]
async fn a_recruiting_study_of_another_sponsor_elsewhere_is_not_at_this_clinic() {
    let registry = FakeRegistry::start(registry_script()).await;
    let app = spawn_checking(&registry.url).await;
    let id = listing(
        &app,
        "p-elsewhere",
        &format!("{ABOUT} Now recruiting for our study NCT05288205."),
    )
    .await;
    let clinic = clinic_until(&app, &id, |c| {
        codes(c).contains(&"REGISTRY_STUDY_NOT_AT_CLINIC".to_owned())
    })
    .await;
    let elsewhere = flag(&clinic, "REGISTRY_STUDY_NOT_AT_CLINIC");
    assert_eq!(elsewhere["severity"], "warn");
    assert_eq!(
        elsewhere["source_url"],
        "https://clinicaltrials.gov/study/NCT05288205"
    );
    let text = elsewhere["evidence_text"].as_str().expect("text");
    assert!(
        text.contains("Allist Pharmaceuticals") && text.contains("China"),
        "{text}"
    );
    // The registry says it recruits, as the listing does.
    assert!(!codes(&clinic).contains(&"REGISTRY_NOT_RECRUITING".to_owned()));
    assert_eq!(clinic["has_critical_red_flags"], false);
}

#[tokio::test]
async fn with_the_registry_down_patients_see_the_same_listing_plus_not_yet_checked() {
    // The default test URL: a loopback port nobody serves.
    let app = TestApp::spawn_with(|s| s.ctgov_lookup_interval_ms = 50).await;
    let plain = listing(&app, "p-plain", ABOUT).await;
    let citing = listing(&app, "p-citing", &format!("{ABOUT} Our study: NCT12345678.")).await;
    // Give the worker time to try (and fail) a few rounds.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let plain = app.get_json(&format!("/v1/clinics/{plain}"), 200).await;
    let citing = app.get_json(&format!("/v1/clinics/{citing}"), 200).await;
    let pending = flag(&citing, "REGISTRY_CHECK_PENDING");
    assert_eq!(pending["severity"], "info");
    assert_eq!(
        pending["evidence_text"],
        "NCT12345678: not yet checked against ClinicalTrials.gov."
    );
    let mut without_pending = codes(&citing);
    without_pending.retain(|c| c != "REGISTRY_CHECK_PENDING");
    assert_eq!(without_pending, codes(&plain));
    assert_eq!(citing["has_critical_red_flags"], plain["has_critical_red_flags"]);
    assert_eq!(citing["status"], plain["status"]);
    assert_eq!(
        lookup_error(&app, "NCT12345678").await.as_deref(),
        Some("the registry could not be reached: connection failed")
    );
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let registry = FakeRegistry::start(registry_script()).await;
    let app = spawn_checking(&registry.url).await;
    let id = listing(&app, "p-429", &format!("{ABOUT} See NCT00000429.")).await;
    let clinic = clinic_until(&app, &id, |c| {
        !codes(c).contains(&"REGISTRY_CHECK_PENDING".to_owned())
    })
    .await;
    assert_eq!(
        registry.requests_for("NCT00000429"),
        2,
        "one 429, then the answer"
    );
    // Run by this clinic in its country: nothing to flag.
    assert!(
        codes(&clinic).iter().all(|c| !c.starts_with("REGISTRY_")),
        "{:?}",
        codes(&clinic)
    );
}

#[tokio::test]
async fn slow_and_malformed_answers_are_retried_later_and_stay_not_yet_checked() {
    let registry = FakeRegistry::start(registry_script()).await;
    let app = spawn_checking(&registry.url).await;
    let id = listing(
        &app,
        "p-broken",
        &format!("{ABOUT} Studies NCT00000555 and NCT00000666."),
    )
    .await;
    for _ in 0..100 {
        if lookup_error(&app, "NCT00000555").await.is_some()
            && lookup_error(&app, "NCT00000666").await.is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        lookup_error(&app, "NCT00000555").await.as_deref(),
        Some("the registry could not be reached: timed out")
    );
    let malformed = lookup_error(&app, "NCT00000666").await.expect("an error");
    assert!(
        malformed.starts_with("the registry's answer was not a study record"),
        "{malformed}"
    );
    let clinic = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    let pending = flag(&clinic, "REGISTRY_CHECK_PENDING")["evidence_text"]
        .as_str()
        .expect("text")
        .to_owned();
    assert!(
        pending.contains("NCT00000555") && pending.contains("NCT00000666"),
        "{pending}"
    );
    // Backed off: not asked again at once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(registry.requests_for("NCT00000666"), 1);
}

#[tokio::test]
async fn two_instances_never_fetch_one_id_twice() {
    let registry = FakeRegistry::start(registry_script()).await;
    let first = spawn_checking(&registry.url).await;
    let url = registry.url.clone();
    let second = TestApp::spawn_on(first.database_url.clone(), move |s| {
        s.ctgov_url = url;
        s.ctgov_lookup_interval_ms = 50;
    })
    .await;
    let ids: Vec<String> = (1..=8).map(|n| format!("NCT0000070{n}")).collect();
    let mut conn = first.db().await;
    stemcare::trial_registry::queue::enqueue(&mut conn, &ids)
        .await
        .expect("enqueue");
    for _ in 0..150 {
        if snapshot_count(&first).await == ids.len() as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(snapshot_count(&second).await, ids.len() as i64);
    for id in &ids {
        assert_eq!(registry.requests_for(id), 1, "{id}");
    }
}

#[tokio::test]
async fn a_completed_study_without_results_is_flagged_once_it_is_a_year_old() {
    let registry = FakeRegistry::start(registry_script()).await;
    let app = spawn_checking(&registry.url).await;
    // Completed 2026-06 (the fake's record), results not posted.
    let id = listing(
        &app,
        "p-old",
        &format!("{ABOUT} Results of NCT00000777 are on their way."),
    )
    .await;
    let clinic = clinic_until(&app, &id, |c| {
        !codes(c).contains(&"REGISTRY_CHECK_PENDING".to_owned())
    })
    .await;
    let today = app.clock.today();
    let overdue_from = chrono::NaiveDate::from_ymd_opt(2027, 7, 1).expect("date");
    if today < overdue_from {
        assert!(!codes(&clinic).contains(&"REGISTRY_RESULTS_OVERDUE".to_owned()));
        app.clock
            .advance(overdue_from - today + chrono::Duration::days(1));
    }
    // The weekly recheck is due on the moved clock: fetched again and re-evaluated.
    let clinic = clinic_until(&app, &id, |c| {
        codes(c).contains(&"REGISTRY_RESULTS_OVERDUE".to_owned())
    })
    .await;
    let overdue = flag(&clinic, "REGISTRY_RESULTS_OVERDUE");
    assert_eq!(overdue["severity"], "warn");
    assert!(overdue["evidence_text"]
        .as_str()
        .expect("text")
        .contains("no results posted"));
}

#[tokio::test]
async fn a_package_charging_for_a_registered_study_is_pay_to_participate_at_once() {
    let app = TestApp::spawn().await;
    let key = app.partner_key("p-pay", "cellular-hope-institute").await;
    let created = app
        .post_json(
            "/v1/partner/clinics",
            Some(&key),
            &clinic("pay-1", "Example Spine Clinic"),
        )
        .await;
    let created: Value = created.json().await.expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    let mut package = crate::partners::package();
    package["title"] = json!("Enrolment in study NCT12345678");
    let response = app
        .post_json(
            &format!("/v1/partner/clinics/{id}/treatment-packages"),
            Some(&key),
            &package,
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let package: Value = response.json().await.expect("json");
    let package_id = package["id"].as_str().expect("id").to_owned();
    let mut conn = app.db().await;
    let stored = detection_codes(&mut conn, &package_id).await;
    assert!(stored.contains(&"PAY_TO_PARTICIPATE".to_owned()), "{stored:?}");
    assert!(
        stored.contains(&"REGISTRY_CHECK_PENDING".to_owned()),
        "{stored:?}"
    );
    // The rule list says both are evaluated now.
    let rules = app.walk("/v1/red-flag-rules").await;
    for code in [
        "PAY_TO_PARTICIPATE",
        "REGISTRY_STUDY_NOT_FOUND",
        "REGISTRY_CHECK_PENDING",
    ] {
        let rule = rules.iter().find(|r| r["code"] == code).expect("rule");
        assert_eq!(rule["evaluated"], true, "{code}");
    }
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    value: Option<String>,
}

async fn lookup_error(app: &TestApp, nct_id: &str) -> Option<String> {
    use diesel_async::RunQueryDsl;
    let mut conn = app.db().await;
    let rows: Vec<Text> =
        diesel::sql_query("SELECT last_error AS value FROM trial_registry_lookups WHERE nct_id = $1")
            .bind::<diesel::sql_types::Text, _>(nct_id)
            .load(&mut conn)
            .await
            .expect("lookup");
    rows.into_iter().next().and_then(|r| r.value)
}

async fn detection_codes(conn: &mut diesel_async::AsyncPgConnection, subject_id: &str) -> Vec<String> {
    use diesel_async::RunQueryDsl;
    let rows: Vec<Text> = diesel::sql_query(
        "SELECT code AS value FROM red_flag_detections WHERE subject_id = $1::uuid ORDER BY code",
    )
    .bind::<diesel::sql_types::Text, _>(subject_id)
    .load(conn)
    .await
    .expect("detections");
    rows.into_iter().filter_map(|r| r.value).collect()
}

async fn snapshot_count(app: &TestApp) -> i64 {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db().await;
    let count: Count = diesel::sql_query("SELECT count(*) AS n FROM trial_registry_snapshots")
        .get_result(&mut conn)
        .await
        .expect("count");
    count.n
}
