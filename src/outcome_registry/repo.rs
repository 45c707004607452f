//! Every statement on `outcome_registry_entries`: the de-identified rows, replaced per
//! pseudonym while a consenting patient's quote exists, unlinked on erasure.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::outcome_registry_entries as entries;
use crate::outcome_registry::domain::{RegistryEntry, TimePoint};

/// A registry row as read for the summaries.
#[derive(Queryable, Selectable)]
#[diesel(table_name = entries)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct EntryRow {
    pub clinic_id: Uuid,
    pub condition_slug: String,
    pub cell_type_slug: String,
    pub country_code: String,
    pub time_point: TimePoint,
    pub answered: bool,
    pub back_pain_baseline: Option<i16>,
    pub back_pain: Option<i16>,
    pub leg_pain_baseline: Option<i16>,
    pub leg_pain: Option<i16>,
    pub odi_baseline: Option<f64>,
    pub odi: Option<f64>,
    pub adverse_event: Option<bool>,
}

/// Replaces the rows of `pseudonym` with `rows` (call it in the transaction that changed them).
pub async fn replace(
    conn: &mut AsyncPgConnection,
    pseudonym: &[u8],
    rows: &[RegistryEntry],
) -> QueryResult<()> {
    remove(conn, pseudonym).await?;
    for row in rows {
        let scores = row.scores.as_ref();
        diesel::insert_into(entries::table)
            .values((
                entries::pseudonym.eq(Some(pseudonym)),
                entries::clinic_id.eq(row.clinic_id),
                entries::condition_slug.eq(&row.condition_slug),
                entries::cell_type_slug.eq(&row.cell_type_slug),
                entries::country_code.eq(&row.country_code),
                entries::time_point.eq(row.time_point),
                entries::answered.eq(scores.is_some()),
                entries::back_pain_baseline.eq(scores.and_then(|s| s.back_pain_baseline)),
                entries::back_pain.eq(scores.map(|s| s.back_pain)),
                entries::leg_pain_baseline.eq(scores.and_then(|s| s.leg_pain_baseline)),
                entries::leg_pain.eq(scores.map(|s| s.leg_pain)),
                entries::odi_baseline.eq(scores.and_then(|s| s.odi_baseline)),
                entries::odi.eq(scores.and_then(|s| s.odi)),
                entries::adverse_event.eq(scores.map(|s| s.adverse_event)),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Deletes the rows of `pseudonym` (consent withdrawn).
pub async fn remove(conn: &mut AsyncPgConnection, pseudonym: &[u8]) -> QueryResult<usize> {
    diesel::delete(entries::table.filter(entries::pseudonym.eq(pseudonym)))
        .execute(conn)
        .await
}

/// Drops the pseudonym of the rows (erasure): they stay, linked to no one, and never change again.
pub async fn unlink(conn: &mut AsyncPgConnection, pseudonym: &[u8]) -> QueryResult<usize> {
    diesel::update(entries::table.filter(entries::pseudonym.eq(pseudonym)))
        .set(entries::pseudonym.eq(None::<Vec<u8>>))
        .execute(conn)
        .await
}

/// Filters of the public registry; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct EntryFilter {
    pub clinic_id: Option<Uuid>,
    pub condition: Option<String>,
    pub cell_type: Option<String>,
    pub country: Option<String>,
}

/// The rows matching `filter`, grouped keys first (the summaries group them in memory).
pub async fn load(conn: &mut AsyncPgConnection, filter: &EntryFilter) -> QueryResult<Vec<EntryRow>> {
    let mut query = entries::table.select(EntryRow::as_select()).into_boxed();
    if let Some(clinic_id) = filter.clinic_id {
        query = query.filter(entries::clinic_id.eq(clinic_id));
    }
    if let Some(condition) = &filter.condition {
        query = query.filter(entries::condition_slug.eq(condition.clone()));
    }
    if let Some(cell_type) = &filter.cell_type {
        query = query.filter(entries::cell_type_slug.eq(cell_type.clone()));
    }
    if let Some(country) = &filter.country {
        query = query.filter(entries::country_code.eq(country.clone()));
    }
    query
        .order((
            entries::clinic_id,
            entries::condition_slug,
            entries::cell_type_slug,
            entries::country_code,
            entries::id,
        ))
        .load(conn)
        .await
}
