//! Rules never silently stale: `stemcare red-flags recheck` (the real binary) and the start-up
//! pass re-evaluate detections made with a rule version that is not the current one, and a rule
//! changed without a new version stops them, naming the rule.

use std::process::Command;

use diesel::sql_types::{Integer, Text};
use diesel_async::RunQueryDsl;

use stemcare::seeds::rule_sync::{self, Scope};

use crate::helpers::TestApp;

/// The code of the rule whose detection the tests make stale: it fires on every spine listing.
const RULE: &str = "NOT_APPROVED_INDICATION";

/// A `postgresql://` URL for the test database's conninfo (`host=… port=… user=… dbname=…`), as
/// the binary's `DATABASE_URL` must be.
fn database_url(conninfo: &str) -> String {
    let value = |key: &str| {
        conninfo
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
            .map(|v| v.trim_matches('\'').to_owned())
            .unwrap_or_else(|| panic!("{key} in {conninfo}"))
    };
    let host: String = value("host")
        .bytes()
        .map(|b| match b {
            b'/' => "%2F".to_owned(),
            b if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect();
    format!(
        "postgresql://{}@/{}?host={host}&port={}",
        value("user"),
        value("dbname"),
        value("port")
    )
}

fn recheck(app: &TestApp) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stemcare"))
        .env("DATABASE_URL", database_url(&app.database_url))
        .env("RUST_LOG", "warn")
        .args(["red-flags", "recheck"])
        .output()
        .expect("run stemcare red-flags recheck")
}

#[derive(diesel::QueryableByName)]
struct Detection {
    #[diesel(sql_type = Integer)]
    rule_version: i32,
    #[diesel(sql_type = Text)]
    evidence_text: String,
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = Integer)]
    version: i32,
}

/// Stores an older version of `RULE` and makes the clinic's detection of it look computed with that
/// version; returns the current version.
async fn make_stale(app: &TestApp, clinic_id: &str) -> i32 {
    let mut conn = app.db().await;
    let current: Version =
        diesel::sql_query("SELECT max(version) AS version FROM red_flag_rules WHERE code = $1")
            .bind::<Text, _>(RULE)
            .get_result(&mut conn)
            .await
            .expect("current version");
    diesel::sql_query(
        "INSERT INTO red_flag_rules (code, version, title, description, severity, detection, patterns, source_url, source_note)
         SELECT code, (SELECT min(version) - 1 FROM red_flag_rules WHERE code = $1), title, 'an older wording',
                severity, detection, patterns, source_url, source_note
         FROM red_flag_rules WHERE code = $1 AND version = $2",
    )
    .bind::<Text, _>(RULE)
    .bind::<Integer, _>(current.version)
    .execute(&mut conn)
    .await
    .expect("older rule version");
    let updated = diesel::sql_query(
        "UPDATE red_flag_detections SET rule_version = (SELECT min(version) FROM red_flag_rules WHERE code = $1),
                evidence_text = 'computed with an older rule'
         WHERE code = $1 AND subject_id = $2::uuid",
    )
    .bind::<Text, _>(RULE)
    .bind::<Text, _>(clinic_id)
    .execute(&mut conn)
    .await
    .expect("stale detection");
    assert_eq!(updated, 1, "the clinic has a {RULE} detection");
    current.version
}

async fn detection(app: &TestApp, clinic_id: &str) -> Detection {
    diesel::sql_query(
        "SELECT rule_version, evidence_text FROM red_flag_detections WHERE code = $1 AND subject_id = $2::uuid",
    )
    .bind::<Text, _>(RULE)
    .bind::<Text, _>(clinic_id)
    .get_result(&mut app.db().await)
    .await
    .expect("detection")
}

#[tokio::test]
async fn recheck_re_evaluates_detections_of_an_older_rule_version() {
    let app = TestApp::spawn().await;
    let id = app.clinic_id("medipol-university-hospital").await;
    let current = make_stale(&app, &id).await;
    // One detection gone too: the recheck adds it back.
    diesel::sql_query("DELETE FROM red_flag_detections WHERE code = 'NO_PROTOCOL' AND subject_id = $1::uuid")
        .bind::<Text, _>(&id)
        .execute(&mut app.db().await)
        .await
        .expect("delete a detection");

    let output = recheck(&app);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("re-evaluated every listing: 1 detection(s) added, 1 changed, 0 removed"),
        "{stdout}"
    );
    let stored = detection(&app, &id).await;
    assert_eq!(stored.rule_version, current);
    assert_ne!(stored.evidence_text, "computed with an older rule");

    // Patients see the current version too.
    let public = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    let flag = public["red_flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|f| f["code"] == RULE)
        .cloned()
        .expect("flag");
    assert_eq!(flag["rule_version"], current);

    let again = recheck(&app);
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 detection(s) added, 0 changed, 0 removed"),
        "a second run changes nothing"
    );
}

#[tokio::test]
async fn start_up_re_evaluates_only_stale_listings_once_across_instances() {
    let app = TestApp::spawn().await;
    let id = app.clinic_id("medipol-university-hospital").await;
    let current = make_stale(&app, &id).await;

    // Two instances starting together: one re-evaluates the stale clinic, the other waits for its
    // lock and then finds nothing left to do.
    let (mut a, mut b) = (app.db().await, app.db().await);
    let (first, second) = tokio::join!(
        rule_sync::sync_and_recheck(&mut a, Scope::Stale),
        rule_sync::sync_and_recheck(&mut b, Scope::Stale)
    );
    let mut reports = [first.expect("first"), second.expect("second")];
    reports.sort_by_key(|r| !r.reevaluated);
    assert!(reports[0].reevaluated && !reports[1].reevaluated, "{reports:?}");
    assert_eq!(reports[0].clinics, Some(1), "only the stale clinic");
    assert_eq!(
        (reports[0].added, reports[0].changed, reports[0].removed),
        (0, 1, 0)
    );
    assert!(reports[0].new_rule_versions.is_empty());
    assert_eq!(detection(&app, &id).await.rule_version, current);
}

#[tokio::test]
async fn a_rule_changed_without_a_new_version_stops_the_recheck_and_is_named() {
    let app = TestApp::spawn().await;
    diesel::sql_query(
        "UPDATE red_flag_rules SET patterns = array_append(patterns, 'miracle cure')
         WHERE code = 'GUARANTEED_OUTCOME' AND version = (SELECT max(version) FROM red_flag_rules WHERE code = 'GUARANTEED_OUTCOME')",
    )
    .execute(&mut app.db().await)
    .await
    .expect("change a stored rule in place");

    let output = recheck(&app);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("GUARANTEED_OUTCOME")
            && stderr.contains("patterns changed")
            && stderr.contains("version"),
        "{stderr}"
    );
    let mut conn = app.db().await;
    let error = rule_sync::sync_and_recheck(&mut conn, Scope::Stale)
        .await
        .expect_err("start-up refuses it too");
    assert!(error.contains("GUARANTEED_OUTCOME"), "{error}");
}
