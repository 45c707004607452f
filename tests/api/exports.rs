//! Incremental export: every public listing once, then only what changed, with tombstones.

use std::collections::HashSet;

use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};

const LISTINGS: usize = 10_000;

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

async fn export(app: &TestApp, query: &[(&str, &str)]) -> Vec<Value> {
    let response = app
        .client
        .get(app.url("/v1/exports"))
        .query(query)
        .send()
        .await
        .expect("GET /v1/exports");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = response.text().await.expect("body");
    assert!(body.ends_with('\n'), "every line ends with a newline");
    body.lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect()
}

/// Splits an export into its resource lines and checks the closing line.
fn lines_and_watermark(lines: &[Value]) -> (&[Value], String) {
    let (last, rest) = lines.split_last().expect("at least the closing line");
    assert_eq!(last["type"], "export_complete");
    assert_eq!(last["count"], rest.len(), "count matches the lines sent");
    let transaction_time = last["transaction_time"]
        .as_str()
        .expect("transaction_time")
        .to_owned();
    (rest, transaction_time)
}

#[tokio::test]
async fn ten_thousand_listings_export_once_then_only_their_changes() {
    let app = TestApp::spawn().await;
    let key = app.partner_key("Bulk Partner", "cellular-hope-institute").await;
    let mut conn = app.db().await;
    diesel::sql_query(format!(
        "INSERT INTO clinics (slug, name, country_code, city, description, source, status, partner_id) \
         SELECT 'bulk-' || n, 'Bulk Clinic ' || n, 'MX', 'Cancun', 'Synthetic outpatient clinic for the export test.', \
                '{{}}'::jsonb, 'published', (SELECT partner_id FROM clinics WHERE slug = 'cellular-hope-institute') \
         FROM generate_series(1, {LISTINGS}) n"
    ))
    .execute(&mut conn)
    .await
    .expect("insert synthetic clinics");
    let public: HashSet<String> = diesel::sql_query(
        "SELECT id::text AS id FROM clinics WHERE status = 'published' AND deleted_at IS NULL",
    )
    .load::<Id>(&mut conn)
    .await
    .expect("public ids")
    .into_iter()
    .map(|row| row.id)
    .collect();
    assert!(public.len() > LISTINGS, "the seeded clinics are public too");

    // A full export: every public clinic exactly once, in (updated_at, id) order.
    let first = export(&app, &[("types", "clinics")]).await;
    let (clinics, since) = lines_and_watermark(&first);
    assert_eq!(clinics.len(), public.len());
    let ids: HashSet<String> = clinics
        .iter()
        .map(|line| {
            assert_eq!(line["type"], "clinic");
            assert!(line.get("deleted").is_none(), "a full export has no tombstones");
            assert_eq!(line["resource"]["id"], line["id"]);
            line["id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(ids, public, "every public clinic, each once");
    let order: Vec<(chrono::DateTime<chrono::Utc>, String)> = clinics
        .iter()
        .map(|line| {
            let at = line["updated_at"]
                .as_str()
                .expect("updated_at")
                .parse()
                .expect("RFC 3339");
            (at, line["id"].as_str().expect("id").to_owned())
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "ordered by updated_at, id"
    );

    // Nothing changed: an export since the watermark is empty.
    let unchanged = export(&app, &[("since", since.as_str())]).await;
    assert_eq!(lines_and_watermark(&unchanged).0.len(), 0);

    // One PATCH and one DELETE through the partner API.
    let edited = clinics[17]["id"].as_str().expect("id").to_owned();
    let deleted = clinics[42]["id"].as_str().expect("id").to_owned();
    let current = app.get_as(&format!("/v1/partner/clinics/{edited}"), &key).await;
    assert_eq!(current.status().as_u16(), 200);
    let etag = current.headers()["etag"].to_str().expect("etag").to_owned();
    let patched = app
        .client
        .patch(app.url(&format!("/v1/partner/clinics/{edited}")))
        .bearer_auth(&key)
        .header("content-type", "application/merge-patch+json")
        .header("if-match", etag)
        .body(json!({"city": "Tulum"}).to_string())
        .send()
        .await
        .expect("PATCH");
    assert_eq!(patched.status().as_u16(), 200);
    let removed = app
        .client
        .delete(app.url(&format!("/v1/partner/clinics/{deleted}")))
        .bearer_auth(&key)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(removed.status().as_u16(), 204);

    let second = export(
        &app,
        &[("types", "clinics,treatment-packages"), ("since", since.as_str())],
    )
    .await;
    let (changes, next_since) = lines_and_watermark(&second);
    assert_eq!(
        changes.len(),
        2,
        "exactly the change and the tombstone: {changes:?}"
    );
    assert_eq!(changes[0]["type"], "clinic");
    assert_eq!(changes[0]["id"], edited.as_str());
    assert_eq!(changes[0]["resource"]["city"], "Tulum");
    assert!(changes[0].get("deleted").is_none());
    assert_eq!(
        changes[1],
        json!({"type": "clinic", "id": deleted, "deleted": true, "updated_at": changes[1]["updated_at"]})
    );
    assert!(next_since > since, "the watermark moves on");
    let third = export(&app, &[("since", next_since.as_str())]).await;
    assert_eq!(
        lines_and_watermark(&third).0.len(),
        0,
        "the next export starts after them"
    );
}

#[tokio::test]
async fn packages_export_and_leave_with_their_clinic() {
    let app = TestApp::spawn().await;
    let full = export(&app, &[("types", "treatment-packages")]).await;
    let (packages, since) = lines_and_watermark(&full);
    // The export mirrors every published package, flagged or not (as `include_flagged=true` lists them).
    let public = app
        .walk("/v1/treatment-packages?page_size=100&include_flagged=true")
        .await;
    assert_eq!(packages.len(), public.len());
    assert!(packages.iter().all(|p| p["type"] == "treatment_package"));
    assert!(packages
        .iter()
        .all(|p| p["resource"]["price"]["currency"].is_string() && p["resource"]["price_as_of"].is_string()));

    // The whole catalogue: clinics first, then packages.
    let both = export(&app, &[]).await;
    let (lines, _) = lines_and_watermark(&both);
    let first_package = lines
        .iter()
        .position(|l| l["type"] == "treatment_package")
        .expect("packages");
    assert!(lines[..first_package].iter().all(|l| l["type"] == "clinic"));
    assert!(lines[first_package..]
        .iter()
        .all(|l| l["type"] == "treatment_package"));

    // Unlisting a clinic (moderation, not a package write) turns its packages into tombstones.
    let clinic_id = packages[0]["resource"]["clinic_id"]
        .as_str()
        .expect("clinic")
        .to_owned();
    let mut conn = app.db().await;
    diesel::sql_query(format!(
        "UPDATE clinics SET status = 'unlisted' WHERE id = '{clinic_id}'"
    ))
    .execute(&mut conn)
    .await
    .expect("unlist");
    let after = export(
        &app,
        &[("types", "treatment-packages"), ("since", since.as_str())],
    )
    .await;
    let (changes, _) = lines_and_watermark(&after);
    let expected = packages
        .iter()
        .filter(|p| p["resource"]["clinic_id"] == clinic_id.as_str())
        .count();
    assert_eq!(changes.len(), expected);
    assert!(changes
        .iter()
        .all(|c| c["deleted"] == true && c.get("resource").is_none()));
}

#[tokio::test]
async fn bad_exports_are_problems() {
    let app = TestApp::spawn().await;
    for query in [
        "since=yesterday",
        "since=2026-13-01T00:00:00Z",
        "types=clinics,patients",
        "types=",
        "format=csv",
    ] {
        let body = assert_problem(
            app.get(&format!("/v1/exports?{query}")).await,
            400,
            "invalid-query",
        )
        .await;
        assert!(body["detail"].is_string(), "{query}");
    }
}
