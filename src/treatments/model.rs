//! Database rows of treatment records.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::treatment_records;
use crate::treatments::domain::{CellSource, NotTreatedReason, TreatmentOutcome};

/// A treatment record. The clinical details are only present as ciphertext (`None` once the
/// patient erased their data).
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = treatment_records)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct TreatmentRow {
    pub id: Uuid,
    pub quote_id: Uuid,
    pub offer_id: Uuid,
    pub clinic_id: Uuid,
    pub outcome: TreatmentOutcome,
    pub treated_on: Option<NaiveDate>,
    pub cell_type_slug: Option<String>,
    pub cell_source: Option<CellSource>,
    pub details_ciphertext: Option<Vec<u8>>,
    pub not_treated_reason: Option<NotTreatedReason>,
    pub recorded_by: String,
    pub recorded_by_key_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new record as stored.
#[derive(Insertable)]
#[diesel(table_name = treatment_records)]
pub struct NewTreatmentRow<'a> {
    pub quote_id: Uuid,
    pub offer_id: Uuid,
    pub clinic_id: Uuid,
    pub outcome: TreatmentOutcome,
    pub treated_on: Option<NaiveDate>,
    pub cell_type_slug: Option<&'a str>,
    pub cell_source: Option<CellSource>,
    pub details_ciphertext: Option<&'a [u8]>,
    pub not_treated_reason: Option<NotTreatedReason>,
    pub recorded_by: &'a str,
    pub recorded_by_key_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
