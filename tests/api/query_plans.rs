//! Every documented catalogue filter and order is served by an index at scale: the plans of the
//! exact SQL the list handlers build (`clinics::repo::list_query`,
//! `treatment_packages::repo::list_query`) never scan `clinics` or `treatment_packages`
//! sequentially. Runs on the benchmark's SYNTHETIC generator (`bench/sql/synthetic_data.sql`) at a
//! fifth of the benchmark's clinics, in this test's own database.

use actix_web::web::Query;
use diesel_async::SimpleAsyncConnection;
use serde_json::Value;
use stemcare::clinics::domain::ClinicFilter;
use stemcare::clinics::repo::{excluded_query as clinic_excluded_query, list_query as clinic_list_query};
use stemcare::clinics::routes::ClinicListParams;
use stemcare::pagination::{Cursor, PageTokens};
use stemcare::reference::ReferenceCache;
use stemcare::treatment_packages::domain::PackageFilter;
use stemcare::treatment_packages::repo::{
    excluded_query as package_excluded_query, list_query as package_list_query,
};
use stemcare::treatment_packages::routes::PackageListParams;

use crate::helpers::TestApp;

const SYNTHETIC_DATA: &str = include_str!("../../bench/sql/synthetic_data.sql");

/// Sequential scans on the catalogue tables anywhere in a plan.
fn seq_scans(plan: &Value, found: &mut Vec<String>) {
    if plan["Node Type"] == "Seq Scan" {
        let relation = plan["Relation Name"].as_str().unwrap_or_default();
        if relation == "clinics" || relation == "treatment_packages" {
            found.push(relation.to_owned());
        }
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        seq_scans(child, found);
    }
}

/// The index a filter must use whatever the order (filters that match few clinics).
fn own_index(case: &str) -> Option<&'static str> {
    match case {
        "accreditation=JCI" => Some("clinics_accreditations_idx"),
        "language=es" => Some("clinics_language_ranges_idx"),
        _ => None,
    }
}

#[tokio::test]
async fn catalogue_lists_use_indexes_at_scale() {
    let app = TestApp::spawn().await;
    let mut conn = app.db().await;
    conn.batch_execute(&format!(
        "SET synthetic.clinics = '20000'; SET synthetic.packages_per_clinic = '5'; {SYNTHETIC_DATA}; \
         ANALYZE clinics; ANALYZE treatment_packages;"
    ))
    .await
    .expect("load the synthetic data");
    let reference = ReferenceCache::new(std::time::Duration::ZERO)
        .get(&mut &conn)
        .await
        .expect("reference data");
    let tokens = PageTokens::load_or_create(&mut conn).await.expect("page tokens");
    // The handlers check `currency` before building the list query; so does this test.
    let currency = |raw: &Option<String>| -> Option<String> {
        reference
            .rates
            .parse_currency_param(raw.as_deref())
            .expect("a known currency")
    };

    let synthetic_clinic: uuid::Uuid = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use stemcare::db::schema::clinics;
        clinics::table
            .filter(clinics::slug.eq("synthetic-clinic-4242"))
            .select(clinics::id)
            .first(&mut conn)
            .await
            .expect("a synthetic clinic")
    };
    let clinic_cases = [
        "",
        "country=MX",
        "city=Cancun",
        "condition=sciatica",
        "condition=spinal-cord-injury",
        "cell_type=bm-msc",
        "accreditation=JCI",
        "language=es",
        "serves_children=true",
        "min_patients_per_year=4000",
        "max_price=3000",
        "q=kestrel",
        "order_by=name",
        "order_by=-name",
        "order_by=price",
        "order_by=-price",
        "order_by=patients_per_year",
        "order_by=-patients_per_year",
        "order_by=score",
        "country=TR&order_by=-score",
        "country=MX&condition=sciatica&order_by=price",
        "include_flagged=true",
        "q=kestrel&include_flagged=true",
    ];
    let package_cases = [
        "".to_owned(),
        "condition=sciatica".to_owned(),
        "condition=spinal-cord-injury".to_owned(),
        "cell_type=bm-msc".to_owned(),
        "country=TR&currency=EUR".to_owned(),
        format!("clinic_id={synthetic_clinic}"),
        "min_price=5000".to_owned(),
        "max_price=3000&currency=EUR".to_owned(),
        "price_provenance=clinic_listed".to_owned(),
        "order_by=-price".to_owned(),
        "order_by=updated_at".to_owned(),
        "order_by=-updated_at".to_owned(),
        "include_flagged=true".to_owned(),
    ];

    let mut failures = Vec::new();
    for case in clinic_cases {
        let params = Query::<ClinicListParams>::from_query(case)
            .expect("params")
            .into_inner();
        let filter = ClinicFilter::parse(&reference, &params, currency(&params.currency).as_deref())
            .expect("valid filters");
        let mut first = clinic_list_query(&filter, &tokens).expect("valid filters");
        // Public lists never load a listing's internal columns.
        for internal in ["moderation_note", "input_hash", "partner_id", "external_id"] {
            assert!(
                !first.sql.sql().contains(internal),
                "GET /v1/clinics?{case} reads {internal}"
            );
        }
        // The same filters deep in the walk: a token whose cursor sits past many rows.
        let deep_cursor = Cursor {
            key: match params.order_by.map(|_| case) {
                Some(c) if c.contains("price") => Value::String("3000.00".into()),
                Some(c) if c.contains("name") => Value::String("Synthetic clinic 010000".into()),
                Some(c) if c.contains("patients") => Value::from(2500),
                _ => Value::String("50.0".into()),
            },
            id: uuid::Uuid::nil(),
        };
        let token = tokens.issue(&first.scope, &deep_cursor);
        let separator = if case.is_empty() { "" } else { "&" };
        let deep_case = format!("{case}{separator}page_token={token}");
        let deep_params = Query::<ClinicListParams>::from_query(&deep_case)
            .expect("params")
            .into_inner();
        let deep_filter = ClinicFilter::parse(
            &reference,
            &deep_params,
            currency(&deep_params.currency).as_deref(),
        )
        .expect("valid filters");
        let deep = clinic_list_query(&deep_filter, &tokens).expect("valid token");
        for (label, sql) in [
            (case.to_owned(), std::mem::take(&mut first.sql)),
            (format!("{case} (deep page)"), deep.sql),
        ] {
            let plan = sql.explain(&mut conn).await.expect("explain");
            let mut found = Vec::new();
            seq_scans(&plan[0]["Plan"], &mut found);
            if !found.is_empty() {
                failures.push(format!(
                    "GET /v1/clinics?{label}: sequential scan on {found:?}\n{plan:#}"
                ));
            }
            // A rare match is found through its own index, not by walking the order's index
            // and filtering every row (which is no sequential scan, but as slow).
            if let Some(index) = own_index(case) {
                if !plan.to_string().contains(index) {
                    failures.push(format!("GET /v1/clinics?{label}: {index} unused\n{plan:#}"));
                }
            }
        }
        // The count of what a critical flag left out reads the flagged rows' own index.
        if let Some(sql) = clinic_excluded_query(&filter) {
            let plan = sql.explain(&mut conn).await.expect("explain");
            let mut found = Vec::new();
            seq_scans(&plan[0]["Plan"], &mut found);
            if !found.is_empty() {
                failures.push(format!(
                    "GET /v1/clinics?{case} (excluded count): sequential scan on {found:?}\n{plan:#}"
                ));
            }
        }
        let response = app.get(&format!("/v1/clinics?{case}")).await;
        assert_eq!(response.status().as_u16(), 200, "GET /v1/clinics?{case}");
    }
    for case in &package_cases {
        let params = Query::<PackageListParams>::from_query(case)
            .expect("params")
            .into_inner();
        let filter = PackageFilter::parse(&reference, &params, currency(&params.currency).as_deref())
            .expect("valid filters");
        let query = package_list_query(&filter, &tokens).expect("valid filters");
        let plan = query.sql.explain(&mut conn).await.expect("explain");
        let mut found = Vec::new();
        seq_scans(&plan[0]["Plan"], &mut found);
        if !found.is_empty() {
            failures.push(format!(
                "GET /v1/treatment-packages?{case}: sequential scan on {found:?}\n{plan:#}"
            ));
        }
        if let Some(sql) = package_excluded_query(&filter) {
            let plan = sql.explain(&mut conn).await.expect("explain");
            let mut found = Vec::new();
            seq_scans(&plan[0]["Plan"], &mut found);
            if !found.is_empty() {
                failures.push(format!(
                    "GET /v1/treatment-packages?{case} (excluded count): sequential scan on {found:?}\n{plan:#}"
                ));
            }
        }
        let response = app.get(&format!("/v1/treatment-packages?{case}")).await;
        assert_eq!(
            response.status().as_u16(),
            200,
            "GET /v1/treatment-packages?{case}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
