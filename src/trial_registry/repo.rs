//! Statements on the registry tables besides the queue (`queue`): the citations, the snapshots'
//! reads, the clinics waiting for re-evaluation, and the registry's detections in
//! `red_flag_detections`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::domain::{RegistryRecord, StudyRecord};
use super::flags::{ListingFacts, PackageFacts, Snapshot};
use crate::db::schema::{clinics, treatment_packages, trial_registry_citations, trial_registry_snapshots};
use crate::states::ListingStatus;

/// The `red_flag_detections.subject_type` of registry flags (migration 2026-12-07-000400): the
/// listing refresh replaces only the engine's own subject types, so it never removes these.
pub const SUBJECT_TYPE: &str = "trial_registry";

/// The clinic's name, country and texts, and its packages, or `None` for an unknown clinic.
pub async fn listing_facts(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
) -> QueryResult<Option<ListingFacts>> {
    let clinic: Option<(String, String, String, serde_json::Value)> = clinics::table
        .find(clinic_id)
        .select((
            clinics::name,
            clinics::country_code,
            clinics::description,
            clinics::claims,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((name, country_code, description, claims)) = clinic else {
        return Ok(None);
    };
    let mut clinic_texts = vec![description];
    if let Some(claims) = claims.as_array() {
        clinic_texts.extend(
            claims
                .iter()
                .filter_map(|c| c.get("text").and_then(|t| t.as_str()))
                .map(str::to_owned),
        );
    }
    let packages: Vec<(Uuid, String, rust_decimal::Decimal, String, bool)> = treatment_packages::table
        .filter(treatment_packages::clinic_id.eq(clinic_id))
        .select((
            treatment_packages::id,
            treatment_packages::title,
            treatment_packages::price_min,
            treatment_packages::status,
            treatment_packages::deleted_at.is_null(),
        ))
        .load(conn)
        .await?;
    Ok(Some(ListingFacts {
        clinic_id,
        clinic_name: name,
        country_code,
        clinic_texts,
        packages: packages
            .into_iter()
            .map(|(id, title, price_min, status, live)| PackageFacts {
                id,
                title,
                charges: live
                    && status == ListingStatus::Published.as_str()
                    && price_min > rust_decimal::Decimal::ZERO,
            })
            .collect(),
    }))
}

/// Replaces the clinic's citations with `citations` (`(subject id, NCT id)`).
pub async fn replace_citations(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
    citations: &[(Uuid, String)],
) -> QueryResult<()> {
    diesel::delete(trial_registry_citations::table.filter(trial_registry_citations::clinic_id.eq(clinic_id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = citations
        .iter()
        .map(|(subject, nct)| {
            (
                trial_registry_citations::subject_id.eq(*subject),
                trial_registry_citations::clinic_id.eq(clinic_id),
                trial_registry_citations::nct_id.eq(nct.as_str()),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(trial_registry_citations::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The clinic's citations, `(subject id, NCT id)`, in a stable order.
pub async fn citations_of(conn: &mut AsyncPgConnection, clinic_id: Uuid) -> QueryResult<Vec<(Uuid, String)>> {
    trial_registry_citations::table
        .filter(trial_registry_citations::clinic_id.eq(clinic_id))
        .select((
            trial_registry_citations::subject_id,
            trial_registry_citations::nct_id,
        ))
        .order((
            trial_registry_citations::subject_id,
            trial_registry_citations::nct_id,
        ))
        .load(conn)
        .await
}

/// What the registry said of one cited id when StemCare last fetched it.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedRecord {
    pub record: RegistryRecord,
    pub title: Option<String>,
    pub overall_status: Option<String>,
    pub lead_sponsor: Option<String>,
    pub last_update_date: Option<NaiveDate>,
    pub fetched_at: DateTime<Utc>,
}

/// One NCT id a public listing cites, with its snapshot once the lookup worker has fetched it.
#[derive(Debug, Clone, PartialEq)]
pub struct CitedStudy {
    pub nct_id: String,
    /// `None`: not yet checked against the registry.
    pub fetched: Option<FetchedRecord>,
}

#[derive(QueryableByName)]
struct CitedRow {
    #[diesel(sql_type = Text)]
    nct_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    record: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    overall_status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    lead_sponsor: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Date>)]
    last_update_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    fetched_at: Option<DateTime<Utc>>,
}

// The public listing is the clinic and its published packages: a draft or deleted package's
// citations are not shown (its words are not public either).
const CITED_BY_PUBLIC_LISTING: &str = "
SELECT DISTINCT c.nct_id, s.record, s.title, s.overall_status, s.lead_sponsor, s.last_update_date, s.fetched_at
FROM trial_registry_citations c
LEFT JOIN trial_registry_snapshots s ON s.nct_id = c.nct_id
WHERE c.clinic_id = $1
  AND (c.subject_id = $1 OR c.subject_id IN (
      SELECT p.id FROM treatment_packages p
      WHERE p.clinic_id = $1 AND p.status = $2 AND p.deleted_at IS NULL))
ORDER BY c.nct_id";

/// The NCT ids the clinic's public listing cites (its texts and its published packages), each
/// once and in order, with what the registry said of it if fetched: the citations of
/// [`citations_of`] joined with their snapshots in one statement. Takes a shared connection so
/// clinic detail can pipeline it with its other reads.
pub async fn cited_by_public_listing(
    conn: &mut &AsyncPgConnection,
    clinic_id: Uuid,
) -> QueryResult<Vec<CitedStudy>> {
    let rows: Vec<CitedRow> = crate::db::sql::prepared(
        diesel::sql_query(CITED_BY_PUBLIC_LISTING)
            .bind::<SqlUuid, _>(clinic_id)
            .bind::<Text, _>(ListingStatus::Published),
    )
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let fetched = row.fetched_at.map(|fetched_at| FetchedRecord {
                record: if row.record.as_deref() == Some(RegistryRecord::Found.as_str()) {
                    RegistryRecord::Found
                } else {
                    RegistryRecord::NotFound
                },
                title: row.title,
                overall_status: row.overall_status,
                lead_sponsor: row.lead_sponsor,
                last_update_date: row.last_update_date,
                fetched_at,
            });
            CitedStudy {
                nct_id: row.nct_id,
                fetched,
            }
        })
        .collect())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = trial_registry_snapshots)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct SnapshotRow {
    nct_id: String,
    record: String,
    title: Option<String>,
    overall_status: Option<String>,
    phases: Vec<String>,
    lead_sponsor: Option<String>,
    conditions: Vec<String>,
    interventions: Vec<String>,
    location_countries: Vec<String>,
    enrollment: Option<i32>,
    results_posted: Option<bool>,
    completion_date: Option<String>,
    last_update_date: Option<NaiveDate>,
    fetched_at: DateTime<Utc>,
}

/// The stored snapshots of `nct_ids`, by id.
pub async fn snapshots(
    conn: &mut AsyncPgConnection,
    nct_ids: &[String],
) -> QueryResult<HashMap<String, Snapshot>> {
    let rows: Vec<SnapshotRow> = trial_registry_snapshots::table
        .filter(trial_registry_snapshots::nct_id.eq_any(nct_ids))
        .select(SnapshotRow::as_select())
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let record = if row.record == RegistryRecord::Found.as_str() {
                RegistryRecord::Found
            } else {
                RegistryRecord::NotFound
            };
            let snapshot = Snapshot {
                record,
                fetched_on: row.fetched_at.date_naive(),
                study: StudyRecord {
                    nct_id: row.nct_id.clone(),
                    title: row.title,
                    overall_status: row.overall_status,
                    phases: row.phases,
                    lead_sponsor: row.lead_sponsor,
                    conditions: row.conditions,
                    interventions: row.interventions,
                    location_countries: row.location_countries,
                    enrollment: row.enrollment,
                    results_posted: row.results_posted,
                    completion_date: row.completion_date,
                    last_update_date: row.last_update_date,
                },
            };
            (row.nct_id, snapshot)
        })
        .collect())
}

/// Marks a clinic for re-evaluation by a worker.
pub async fn mark_stale(conn: &mut AsyncPgConnection, clinic_id: Uuid) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO trial_registry_stale_clinics (clinic_id) VALUES ($1) ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(clinic_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct StaleClinic {
    #[diesel(sql_type = SqlUuid)]
    clinic_id: Uuid,
}

/// Takes up to `limit` clinics waiting for re-evaluation (other instances skip them).
pub async fn take_stale(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Uuid>> {
    let rows: Vec<StaleClinic> = diesel::sql_query(
        "DELETE FROM trial_registry_stale_clinics WHERE clinic_id IN (
             SELECT clinic_id FROM trial_registry_stale_clinics LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING clinic_id",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.clinic_id).collect())
}

/// Every clinic id (the seed load notes them all).
pub async fn all_clinic_ids(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Uuid>> {
    clinics::table
        .select(clinics::id)
        .order(clinics::id)
        .load(conn)
        .await
}

/// A registry detection to store: one per subject and rule code.
pub struct NewDetection {
    pub subject_id: Uuid,
    pub code: String,
    pub rule_version: i32,
    pub severity: &'static str,
    pub evidence_text: String,
    pub source_url: String,
}

const UPSERT_DETECTION: &str = "
INSERT INTO red_flag_detections (subject_type, subject_id, code, rule_version, severity, evidence_text, source_url)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (subject_type, subject_id, code) DO UPDATE SET rule_version = EXCLUDED.rule_version,
    severity = EXCLUDED.severity, evidence_text = EXCLUDED.evidence_text, source_url = EXCLUDED.source_url,
    detected_at = now()
WHERE (red_flag_detections.rule_version, red_flag_detections.severity, red_flag_detections.evidence_text,
       red_flag_detections.source_url)
    IS DISTINCT FROM (EXCLUDED.rule_version, EXCLUDED.severity, EXCLUDED.evidence_text, EXCLUDED.source_url)";

/// Makes the registry detections of `subjects` exactly `detections`, except codes in `keep`,
/// which are left as stored. Returns whether anything changed.
pub async fn replace_detections(
    conn: &mut AsyncPgConnection,
    subjects: &[Uuid],
    detections: &[NewDetection],
    keep: &[&str],
) -> QueryResult<bool> {
    let mut changed = 0;
    for subject in subjects {
        let codes: Vec<&str> = detections
            .iter()
            .filter(|d| d.subject_id == *subject)
            .map(|d| d.code.as_str())
            .chain(keep.iter().copied())
            .collect();
        changed += diesel::sql_query(
            "DELETE FROM red_flag_detections WHERE subject_type = $1 AND subject_id = $2 AND NOT (code = ANY($3))",
        )
        .bind::<Text, _>(SUBJECT_TYPE)
        .bind::<SqlUuid, _>(*subject)
        .bind::<Array<Text>, _>(codes)
        .execute(conn)
        .await?;
    }
    for d in detections {
        changed += diesel::sql_query(UPSERT_DETECTION)
            .bind::<Text, _>(SUBJECT_TYPE)
            .bind::<SqlUuid, _>(d.subject_id)
            .bind::<Text, _>(&d.code)
            .bind::<Integer, _>(d.rule_version)
            .bind::<Text, _>(d.severity)
            .bind::<Text, _>(&d.evidence_text)
            .bind::<Nullable<Text>, _>(Some(d.source_url.as_str()))
            .execute(conn)
            .await?;
    }
    Ok(changed > 0)
}
