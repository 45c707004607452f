//! Statements on the conditions vocabulary (and the count of published clinics treating one).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{clinics, conditions, trials};
use crate::states::ListingStatus;

/// A condition as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = conditions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ConditionRow {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub body_region: String,
    pub spine_indication: bool,
    pub cell_types: Vec<String>,
    pub administration_methods: Vec<String>,
    pub usage_note: Option<String>,
    pub usage_source: Option<serde_json::Value>,
    pub source: serde_json::Value,
    pub usage_study_slugs: Vec<String>,
}

/// Every condition, by slug.
pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<ConditionRow>> {
    conditions::table
        .select(ConditionRow::as_select())
        .order(conditions::slug.asc())
        .load(conn)
        .await
}

/// One condition by slug.
pub async fn find(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<ConditionRow>> {
    conditions::table
        .find(slug)
        .select(ConditionRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Published clinics with a package covering the condition (critically flagged ones included).
pub async fn count_published_clinics_treating(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<i64> {
    clinics::table
        .filter(clinics::status.eq(ListingStatus::Published))
        .filter(clinics::condition_slugs.contains(vec![slug.to_owned()]))
        .count()
        .get_result(conn)
        .await
}

/// Mirrored registry trials for the condition whose status is `RECRUITING` (the `trials` table
/// of the trial finder, read here so the vocabulary imports nothing above it).
pub async fn count_recruiting_trials(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<i64> {
    trials::table
        .filter(trials::condition_slugs.contains(vec![slug.to_owned()]))
        .filter(trials::overall_status.eq("RECRUITING"))
        .count()
        .get_result(conn)
        .await
}
