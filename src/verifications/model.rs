//! Rows of `verifications` (never serialised to clients directly).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::verifications;
use crate::red_flags::verified::{SubjectKind, VerificationResult};

/// One verification record.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = verifications)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Verification {
    pub id: Uuid,
    pub sequence: i64,
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub subject_key: String,
    pub clinic_id: Uuid,
    pub source_url: String,
    pub checked_at: DateTime<Utc>,
    pub checked_by_key: Uuid,
    pub checked_by_role: String,
    pub result: VerificationResult,
    pub valid_until: Option<NaiveDate>,
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// A record to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = verifications)]
pub struct NewVerificationRow<'a> {
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub subject_key: &'a str,
    pub clinic_id: Uuid,
    pub source_url: &'a str,
    pub checked_at: DateTime<Utc>,
    pub checked_by_key: Uuid,
    pub checked_by_role: &'a str,
    pub result: VerificationResult,
    pub valid_until: Option<NaiveDate>,
    pub note: Option<&'a str>,
    pub recorded_at: DateTime<Utc>,
}
