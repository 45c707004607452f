//! Every statement on the `trials` mirror.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::trials;
use crate::db::sql::SqlBuilder;
use crate::trial_registry::domain::{country_code, registry_url, StudyRecord};
use crate::trials::domain::TrialOrigin;

/// A mirrored trial.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = trials)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Trial {
    pub id: Uuid,
    pub nct_id: String,
    pub title: Option<String>,
    pub overall_status: Option<String>,
    pub phases: Vec<String>,
    pub lead_sponsor: Option<String>,
    pub conditions: Vec<String>,
    pub interventions: Vec<String>,
    pub location_countries: Vec<String>,
    pub country_codes: Vec<String>,
    pub condition_slugs: Vec<String>,
    pub enrollment: Option<i32>,
    pub results_posted: Option<bool>,
    pub completion_date: Option<String>,
    pub last_update_date: Option<NaiveDate>,
    pub origin: String,
    pub source: serde_json::Value,
    pub fetched_at: DateTime<Utc>,
}

/// The list's base query; the routes add filters, order and limit.
pub const LIST_BASE: &str = "SELECT t.* FROM trials t WHERE true";

/// Runs a list query built by the routes.
pub async fn run_list(conn: &mut AsyncPgConnection, query: SqlBuilder) -> QueryResult<Vec<Trial>> {
    query.into_query().load(conn).await
}

/// One trial by NCT id.
pub async fn find(conn: &mut AsyncPgConnection, nct_id: &str) -> QueryResult<Option<Trial>> {
    trials::table
        .find(nct_id)
        .select(Trial::as_select())
        .first(conn)
        .await
        .optional()
}

// A registry record replaces a seeded one; the catalogue conditions it was found for accumulate.
const UPSERT_FROM_REGISTRY: &str = "
INSERT INTO trials (nct_id, title, overall_status, phases, lead_sponsor, conditions, interventions,
    location_countries, country_codes, condition_slugs, enrollment, results_posted, completion_date,
    last_update_date, origin, source, fetched_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
ON CONFLICT (nct_id) DO UPDATE SET title = EXCLUDED.title, overall_status = EXCLUDED.overall_status,
    phases = EXCLUDED.phases, lead_sponsor = EXCLUDED.lead_sponsor, conditions = EXCLUDED.conditions,
    interventions = EXCLUDED.interventions, location_countries = EXCLUDED.location_countries,
    country_codes = EXCLUDED.country_codes,
    condition_slugs = ARRAY(SELECT DISTINCT s FROM unnest(trials.condition_slugs || EXCLUDED.condition_slugs) s ORDER BY 1),
    enrollment = EXCLUDED.enrollment, results_posted = EXCLUDED.results_posted,
    completion_date = EXCLUDED.completion_date, last_update_date = EXCLUDED.last_update_date,
    origin = EXCLUDED.origin, source = EXCLUDED.source, fetched_at = EXCLUDED.fetched_at";

/// Stores a study the registry returned for the catalogue condition `condition_slug`.
pub async fn upsert_from_registry(
    conn: &mut AsyncPgConnection,
    study: &StudyRecord,
    condition_slug: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let mut codes: Vec<String> = study
        .location_countries
        .iter()
        .filter_map(|c| country_code(c))
        .collect();
    codes.sort();
    codes.dedup();
    let source = serde_json::json!({
        "title": format!("ClinicalTrials.gov record {}", study.nct_id),
        "url": registry_url(&study.nct_id),
        "section": null,
        "retrieved_at": now.date_naive().to_string(),
    });
    diesel::sql_query(UPSERT_FROM_REGISTRY)
        .bind::<Text, _>(&study.nct_id)
        .bind::<Nullable<Text>, _>(study.title.as_deref())
        .bind::<Nullable<Text>, _>(study.overall_status.as_deref())
        .bind::<Array<Text>, _>(&study.phases)
        .bind::<Nullable<Text>, _>(study.lead_sponsor.as_deref())
        .bind::<Array<Text>, _>(&study.conditions)
        .bind::<Array<Text>, _>(&study.interventions)
        .bind::<Array<Text>, _>(&study.location_countries)
        .bind::<Array<Text>, _>(&codes)
        .bind::<Array<Text>, _>(vec![condition_slug.to_owned()])
        .bind::<Nullable<Integer>, _>(study.enrollment)
        .bind::<Nullable<diesel::sql_types::Bool>, _>(study.results_posted)
        .bind::<Nullable<Text>, _>(study.completion_date.as_deref())
        .bind::<Nullable<diesel::sql_types::Date>, _>(study.last_update_date)
        .bind::<Text, _>(TrialOrigin::Registry.as_str())
        .bind::<Jsonb, _>(source)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await?;
    Ok(())
}

// Seeds never overwrite what the registry refresh stored.
static UPSERT_SEEDED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "
INSERT INTO trials (nct_id, title, overall_status, phases, lead_sponsor, conditions, interventions,
    location_countries, country_codes, condition_slugs, enrollment, results_posted, completion_date,
    last_update_date, origin, source, fetched_at)
SELECT r.nct_id, r.title, r.overall_status, r.phases, r.lead_sponsor, r.conditions, r.interventions,
    r.location_countries, r.country_codes, r.condition_slugs, r.enrollment, r.results_posted, r.completion_date,
    r.last_update_date, '{seed}', r.source, (r.source->>'retrieved_at')::date::timestamptz
FROM jsonb_to_recordset($1) AS r(nct_id text, title text, overall_status text, phases text[], lead_sponsor text,
    conditions text[], interventions text[], location_countries text[], country_codes text[],
    condition_slugs text[], enrollment integer, results_posted boolean, completion_date text,
    last_update_date date, source jsonb)
ON CONFLICT (nct_id) DO UPDATE SET title = EXCLUDED.title, overall_status = EXCLUDED.overall_status,
    phases = EXCLUDED.phases, lead_sponsor = EXCLUDED.lead_sponsor, conditions = EXCLUDED.conditions,
    interventions = EXCLUDED.interventions, location_countries = EXCLUDED.location_countries,
    country_codes = EXCLUDED.country_codes, condition_slugs = EXCLUDED.condition_slugs,
    enrollment = EXCLUDED.enrollment, results_posted = EXCLUDED.results_posted,
    completion_date = EXCLUDED.completion_date, last_update_date = EXCLUDED.last_update_date,
    source = EXCLUDED.source, fetched_at = EXCLUDED.fetched_at
WHERE trials.origin = '{seed}'",
        seed = TrialOrigin::Seed
    )
});

/// Upserts the seeded trials (a JSON array in the shape of `seeds/trials/trials.json`).
pub async fn upsert_seeded(conn: &mut AsyncPgConnection, records: &serde_json::Value) -> QueryResult<()> {
    diesel::sql_query(UPSERT_SEEDED.as_str())
        .bind::<Jsonb, _>(records)
        .execute(conn)
        .await?;
    Ok(())
}
