//! Every documented catalogue filter and order is served by an index at scale: the plans of the
//! exact SQL the list handlers build (`clinics::repo::list_query`,
//! `treatment_packages::repo::list_query`) never scan `clinics` or `treatment_packages`
//! sequentially. Runs on the benchmark's SYNTHETIC generator (`bench/sql/synthetic_data.sql`) at a
//! fifth of the benchmark's clinics, in this test's own database.

use actix_web::web::Query;
use diesel_async::SimpleAsyncConnection;
use serde_json::Value;
use stemcare::clinics::domain::ClinicFilter;
use stemcare::clinics::fields::CLINIC_FIELDS;
use stemcare::clinics::repo::{excluded_query as clinic_excluded_query, list_query as clinic_list_query};
use stemcare::clinics::routes::ClinicListParams;
use stemcare::clinics::ColumnSets;
use stemcare::pagination::{Cursor, PageTokens};
use stemcare::reference::ReferenceCache;
use stemcare::sparse_fields::FieldSet;
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
        "fields=id,name,country,city,price_from,red_flags",
        "order_by=price&fields=id,name,rank_explanation",
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
        let fields = FieldSet::parse(&CLINIC_FIELDS, params.fields.as_deref()).expect("valid fields");
        let mut first = clinic_list_query(&filter, fields.as_ref(), &tokens, &ColumnSets::default())
            .expect("valid filters");
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
        let deep = clinic_list_query(&deep_filter, fields.as_ref(), &tokens, &ColumnSets::default())
            .expect("valid token");
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
        let query = package_list_query(&filter, None, &tokens).expect("valid filters");
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

/// One row of `EXPLAIN (VERBOSE, FORMAT JSON)`.
#[derive(diesel::QueryableByName)]
struct VerbosePlan {
    #[diesel(sql_type = diesel::sql_types::Json, column_name = "QUERY PLAN")]
    plan: Value,
}

/// The columns the plan reads from `clinics` (the scan node's `Output`).
fn clinic_columns_read(plan: &Value, found: &mut Vec<String>) {
    if plan["Relation Name"] == "clinics" {
        for column in plan["Output"].as_array().into_iter().flatten() {
            found.push(column.as_str().unwrap_or_default().to_owned());
        }
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        clinic_columns_read(child, found);
    }
}

/// `fields=` reads only what the asked fields need: Postgres's own plan of the handler's SQL
/// (EXPLAIN VERBOSE) shows the columns the scan outputs; the list screen's leave out the long
/// texts and JSON documents the full list reads.
#[tokio::test]
async fn a_sparse_clinic_list_reads_only_the_columns_it_needs() {
    use diesel_async::RunQueryDsl;
    use stemcare::db::sql::{Bind, SqlBuilder};

    let app = TestApp::spawn().await;
    let mut conn = app.db().await;
    let reference = ReferenceCache::new(std::time::Duration::ZERO)
        .get(&mut &conn)
        .await
        .expect("reference data");
    let tokens = PageTokens::load_or_create(&mut conn).await.expect("page tokens");
    let mut read = Vec::new();
    for case in ["", "fields=id,name,country,city,price_from,red_flags"] {
        let params = Query::<ClinicListParams>::from_query(case)
            .expect("params")
            .into_inner();
        let filter = ClinicFilter::parse(&reference, &params, None).expect("valid filters");
        let fields = FieldSet::parse(&CLINIC_FIELDS, params.fields.as_deref()).expect("valid fields");
        let query =
            clinic_list_query(&filter, fields.as_ref(), &tokens, &ColumnSets::default()).expect("a query");
        // A first page without filters binds only its LIMIT, as `$1`.
        let mut explain = SqlBuilder::new(&format!("EXPLAIN (VERBOSE, FORMAT JSON) {}", query.sql.sql()));
        assert_eq!(explain.bind(Bind::BigInt(21)), "$1");
        let row: VerbosePlan = explain
            .into_query()
            .get_result(&mut conn)
            .await
            .expect("explain verbose");
        let mut columns = Vec::new();
        clinic_columns_read(&row.plan[0]["Plan"], &mut columns);
        read.push(columns);
    }
    // Postgres names a column bare or qualified by the alias, depending on the plan's shape.
    let reads =
        |columns: &[String], name: &str| columns.iter().any(|c| c == name || *c == format!("c.{name}"));
    let (full, screen) = (&read[0], &read[1]);
    for column in [
        "description",
        "claims",
        "source",
        "notes",
        "score_parts",
        "accreditations",
        "specialties",
    ] {
        assert!(reads(full, column), "the full list reads {column}: {full:?}");
        assert!(
            !reads(screen, column),
            "the list screen does not read {column}: {screen:?}"
        );
    }
    for column in ["id", "name", "country_code", "city", "score"] {
        assert!(
            reads(screen, column),
            "the list screen reads {column}: {screen:?}"
        );
    }
}
