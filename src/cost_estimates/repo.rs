//! The listed packages an estimate reads.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{clinics, treatment_packages};
use crate::states::ListingStatus;
use crate::treatment_packages::model::TreatmentPackage;

/// Published packages (anywhere) covering `condition`.
pub async fn count_published_packages_covering(
    conn: &mut AsyncPgConnection,
    condition: &str,
) -> QueryResult<i64> {
    treatment_packages::table
        .filter(treatment_packages::status.eq(ListingStatus::Published))
        .filter(treatment_packages::conditions.contains(vec![condition.to_owned()]))
        .count()
        .get_result(conn)
        .await
}

/// Published packages of published clinics in `country_code` covering `condition` (and of
/// `cell_type`, when given), critically flagged ones included.
pub async fn published_packages_in(
    conn: &mut AsyncPgConnection,
    country_code: &str,
    condition: &str,
    cell_type: Option<&str>,
) -> QueryResult<Vec<TreatmentPackage>> {
    let mut query = treatment_packages::table
        .inner_join(clinics::table)
        .filter(clinics::country_code.eq(country_code))
        .filter(clinics::status.eq(ListingStatus::Published))
        .filter(treatment_packages::status.eq(ListingStatus::Published))
        .filter(treatment_packages::conditions.contains(vec![condition.to_owned()]))
        .select(TreatmentPackage::as_select())
        .into_boxed();
    if let Some(slug) = cell_type {
        query = query.filter(treatment_packages::cell_type.eq(slug.to_owned()));
    }
    query.load(conn).await
}
