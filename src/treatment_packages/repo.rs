//! Queries for treatment packages.

use std::collections::HashMap;
use std::sync::OnceLock;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{clinics, treatment_packages};
use crate::db::sql::{select_list, SqlBuilder};
use crate::treatment_packages::model::{PackagePriceRow, TreatmentPackage};

/// The clinic facts shown with each package.
#[derive(Debug, Clone)]
pub struct ClinicSummary {
    pub name: String,
    pub country: String,
}

impl ClinicSummary {
    /// The summary of a clinic already loaded (no query), from its name and country code.
    pub fn of(name: &str, country_code: &str) -> Self {
        Self {
            name: name.to_owned(),
            country: country_code.to_owned(),
        }
    }
}

/// Names and countries of the given clinics.
pub async fn clinic_summaries(
    conn: &mut &AsyncPgConnection,
    clinic_ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, ClinicSummary>> {
    let rows: Vec<(Uuid, String, String)> = clinics::table
        .filter(clinics::id.eq_any(clinic_ids))
        .select((clinics::id, clinics::name, clinics::country_code))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, country)| (id, ClinicSummary { name, country }))
        .collect())
}

/// Published packages of the given clinics, cheapest first.
pub async fn published_for_clinics(
    conn: &mut &AsyncPgConnection,
    clinic_ids: &[Uuid],
) -> QueryResult<Vec<TreatmentPackage>> {
    treatment_packages::table
        .filter(treatment_packages::clinic_id.eq_any(clinic_ids))
        .filter(treatment_packages::status.eq("published"))
        .order((
            treatment_packages::price_min_usd.asc(),
            treatment_packages::id.asc(),
        ))
        .select(TreatmentPackage::as_select())
        .load(conn)
        .await
}

/// The price of the cheapest published package of each given clinic (ties: lowest id), one query.
pub async fn cheapest_prices_for_clinics(
    conn: &mut &AsyncPgConnection,
    clinic_ids: &[Uuid],
) -> QueryResult<Vec<PackagePriceRow>> {
    treatment_packages::table
        .filter(treatment_packages::clinic_id.eq_any(clinic_ids))
        .filter(treatment_packages::status.eq("published"))
        .distinct_on(treatment_packages::clinic_id)
        .order((
            treatment_packages::clinic_id,
            treatment_packages::price_min_usd.asc(),
            treatment_packages::id.asc(),
        ))
        .select(PackagePriceRow::as_select())
        .load(conn)
        .await
}

pub async fn find_published(
    conn: &mut &AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<TreatmentPackage>> {
    treatment_packages::table
        .find(id)
        .filter(treatment_packages::status.eq("published"))
        .inner_join(clinics::table)
        .filter(clinics::status.eq("published"))
        .select(TreatmentPackage::as_select())
        .first(conn)
        .await
        .optional()
}

/// Runs a list query built by the routes.
pub async fn run_list(
    conn: &mut &AsyncPgConnection,
    query: SqlBuilder,
) -> QueryResult<Vec<TreatmentPackage>> {
    query.into_query_of::<TreatmentPackage>().load(conn).await
}

/// The base of every package list: published packages of published clinics, with the columns
/// of [`TreatmentPackage`] in its order (rows decode by position).
pub fn list_base() -> QueryResult<String> {
    static COLUMNS: OnceLock<String> = OnceLock::new();
    Ok(format!(
        "SELECT {} FROM treatment_packages p JOIN clinics c ON c.id = p.clinic_id \
         WHERE p.status = 'published' AND c.status = 'published'",
        select_list::<TreatmentPackage>(&COLUMNS, "treatment_packages", "p")?
    ))
}

/// The base of the count of critically flagged packages a list left out (see [`list_base`]).
pub const COUNT_FLAGGED_BASE: &str = "SELECT count(*) AS n FROM treatment_packages p \
JOIN clinics c ON c.id = p.clinic_id \
WHERE p.status = 'published' AND c.status = 'published' AND p.has_critical_flag";

/// The inclusion vocabulary `(code, label)` in display order.
pub async fn vocabulary(conn: &mut &AsyncPgConnection) -> QueryResult<Vec<(String, String)>> {
    use crate::db::schema::inclusion_items;
    inclusion_items::table
        .order(inclusion_items::position.asc())
        .select((inclusion_items::code, inclusion_items::label))
        .load(conn)
        .await
}
