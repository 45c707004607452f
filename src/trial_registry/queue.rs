//! The lookup queue (`trial_registry_lookups`): ids queued by writers, leased by the worker with
//! `FOR UPDATE SKIP LOCKED`, and the registry's answers stored as snapshots.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::domain::{RegistryRecord, StudyRecord};
use crate::db::schema::trial_registry_lookups;

/// Queues lookups of `nct_ids` not queued yet; new ones are due at once.
pub async fn enqueue(conn: &mut AsyncPgConnection, nct_ids: &[String]) -> QueryResult<()> {
    if nct_ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = nct_ids
        .iter()
        .map(|id| trial_registry_lookups::nct_id.eq(id.as_str()))
        .collect();
    diesel::insert_into(trial_registry_lookups::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

// Leases one due lookup by moving `next_attempt_at` past the longest a fetch can take (waiting
// for this instance's turn at the registry included), so no other instance fetches it meanwhile.
const CLAIM: &str = "
WITH due AS (
    SELECT nct_id FROM trial_registry_lookups
    WHERE next_attempt_at IS NULL OR next_attempt_at <= $1
    ORDER BY next_attempt_at NULLS FIRST LIMIT 1 FOR UPDATE SKIP LOCKED
)
UPDATE trial_registry_lookups l
SET next_attempt_at = $2, attempts = l.attempts + 1, last_attempt_at = $1
FROM due WHERE l.nct_id = due.nct_id
RETURNING l.nct_id, l.attempts";

#[derive(QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = Text)]
    pub nct_id: String,
    /// Attempts including this one.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Claims one lookup due at `now`, leased for `lease`.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    lease: Duration,
) -> QueryResult<Option<Claimed>> {
    diesel::sql_query(CLAIM)
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(now + lease)
        .get_result(conn)
        .await
        .optional()
}

const UPSERT_SNAPSHOT: &str = "
INSERT INTO trial_registry_snapshots (nct_id, record, title, overall_status, phases, lead_sponsor, conditions,
    interventions, location_countries, enrollment, results_posted, completion_date, last_update_date, fetched_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (nct_id) DO UPDATE SET record = EXCLUDED.record, title = EXCLUDED.title,
    overall_status = EXCLUDED.overall_status, phases = EXCLUDED.phases, lead_sponsor = EXCLUDED.lead_sponsor,
    conditions = EXCLUDED.conditions, interventions = EXCLUDED.interventions,
    location_countries = EXCLUDED.location_countries, enrollment = EXCLUDED.enrollment,
    results_posted = EXCLUDED.results_posted, completion_date = EXCLUDED.completion_date,
    last_update_date = EXCLUDED.last_update_date, fetched_at = EXCLUDED.fetched_at";

/// Stores what the registry answered for `nct_id` (`None`: not found), schedules the recheck at
/// `recheck_at`, and marks the clinics citing it for re-evaluation.
pub async fn record_answer(
    conn: &mut AsyncPgConnection,
    nct_id: &str,
    study: Option<&StudyRecord>,
    now: DateTime<Utc>,
    recheck_at: DateTime<Utc>,
) -> QueryResult<()> {
    let empty = StudyRecord::default();
    let (record, s) = match study {
        Some(s) => (RegistryRecord::Found, s),
        None => (RegistryRecord::NotFound, &empty),
    };
    diesel::sql_query(UPSERT_SNAPSHOT)
        .bind::<Text, _>(nct_id)
        .bind::<Text, _>(record.as_str())
        .bind::<Nullable<Text>, _>(s.title.as_deref())
        .bind::<Nullable<Text>, _>(s.overall_status.as_deref())
        .bind::<Array<Text>, _>(&s.phases)
        .bind::<Nullable<Text>, _>(s.lead_sponsor.as_deref())
        .bind::<Array<Text>, _>(&s.conditions)
        .bind::<Array<Text>, _>(&s.interventions)
        .bind::<Array<Text>, _>(&s.location_countries)
        .bind::<Nullable<Integer>, _>(s.enrollment)
        .bind::<Nullable<diesel::sql_types::Bool>, _>(s.results_posted)
        .bind::<Nullable<Text>, _>(s.completion_date.as_deref())
        .bind::<Nullable<diesel::sql_types::Date>, _>(s.last_update_date)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await?;
    diesel::update(trial_registry_lookups::table.find(nct_id))
        .set((
            trial_registry_lookups::next_attempt_at.eq(Some(recheck_at)),
            trial_registry_lookups::attempts.eq(0),
            trial_registry_lookups::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await?;
    diesel::sql_query(
        "INSERT INTO trial_registry_stale_clinics (clinic_id)
         SELECT DISTINCT clinic_id FROM trial_registry_citations WHERE nct_id = $1
         ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(nct_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed attempt and when to try again.
pub async fn record_failure(
    conn: &mut AsyncPgConnection,
    nct_id: &str,
    error: &str,
    retry_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(trial_registry_lookups::table.find(nct_id))
        .set((
            trial_registry_lookups::next_attempt_at.eq(Some(retry_at)),
            trial_registry_lookups::last_error.eq(Some(error)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
