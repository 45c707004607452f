//! Queries for treatment packages.

use std::collections::HashMap;
use std::sync::OnceLock;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{clinics, treatment_packages};
use crate::db::sql::{select_list, Bind, SqlBuilder};
use crate::error::ApiError;
use crate::filters::{ListQuery, PageQuery};
use crate::pagination::PageTokens;
use crate::sparse_fields::{self, FieldSet};
use crate::states::ListingStatus;
use crate::treatment_packages::domain::{PackageFilter, PackageOrder};
use crate::treatment_packages::model::TreatmentPackage;

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
        .filter(treatment_packages::status.eq(ListingStatus::Published))
        .order((
            treatment_packages::price_min_usd.asc(),
            treatment_packages::id.asc(),
        ))
        .select(TreatmentPackage::as_select())
        .load(conn)
        .await
}

pub async fn find_published(
    conn: &mut &AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<TreatmentPackage>> {
    treatment_packages::table
        .find(id)
        .filter(treatment_packages::status.eq(ListingStatus::Published))
        .inner_join(clinics::table)
        .filter(clinics::status.eq(ListingStatus::Published))
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

/// Published packages of published clinics, the state spelt out in the SQL text from
/// [`ListingStatus`] rather than bound: the list indexes are partial on that state (migrations
/// 000600 and 000920), and a cached statement's generic plan can use a partial index only when
/// the query's text implies its predicate.
fn published_packages_where() -> String {
    let published = ListingStatus::Published.as_str();
    format!("p.status = '{published}' AND c.status = '{published}'")
}

/// The base of every package list: published packages of published clinics, with the columns
/// of [`TreatmentPackage`] in its order (rows decode by position).
fn list_base() -> QueryResult<String> {
    static COLUMNS: OnceLock<String> = OnceLock::new();
    Ok(format!(
        "SELECT {} FROM treatment_packages p JOIN clinics c ON c.id = p.clinic_id WHERE {}",
        select_list::<TreatmentPackage>(&COLUMNS, "treatment_packages", "p")?,
        published_packages_where()
    ))
}

/// Verifies the page token against the filter's scope and builds the page's SQL (one row more
/// than the page). Public for the query-plan test.
pub fn list_query(
    filter: &PackageFilter,
    fields: Option<&FieldSet>,
    page_tokens: &PageTokens,
) -> Result<PageQuery<PackageOrder>, ApiError> {
    let mut base = list_base().map_err(ApiError::internal)?;
    if !filter.include_flagged {
        base.push_str(" AND NOT p.has_critical_flag");
    }
    // `include_flagged` is part of the token's scope like any filter.
    let resource = if filter.include_flagged {
        "treatment-packages+flagged"
    } else {
        "treatment-packages"
    };
    let order = filter.order;
    // The field set joins the order in the token scope (the order's name is only used there).
    let scope_order = format!("{}{}", order.name(), sparse_fields::scope_of(fields));
    let mut query = ListQuery::new(resource, &base, &scope_order);
    narrow(&mut query, filter);
    query.into_page(
        order,
        order.sort_key(),
        "p.id",
        page_tokens,
        filter.page_token.as_deref(),
        filter.size,
    )
}

/// The SQL counting the packages the same filters match but a critical flag leaves out (over the
/// whole result); `None` with `include_flagged`. Served by the partial index
/// `treatment_packages_critical_idx`. Public for the query-plan test.
pub fn excluded_query(filter: &PackageFilter) -> Option<SqlBuilder> {
    if filter.include_flagged {
        return None;
    }
    let base = format!(
        "SELECT count(*) AS n FROM treatment_packages p JOIN clinics c ON c.id = p.clinic_id \
         WHERE {} AND p.has_critical_flag",
        published_packages_where()
    );
    let mut query = ListQuery::new("treatment-packages", &base, "");
    narrow(&mut query, filter);
    Some(query.sql)
}

/// Adds every filter to `query` (and to its token scope).
fn narrow(query: &mut ListQuery, filter: &PackageFilter) {
    if let Some(slug) = &filter.condition {
        let scope = format!("condition={slug}");
        query.filter("p.conditions @> ARRAY[{}::text]", Bind::Text(slug.clone()), scope);
    }
    if let Some(slug) = &filter.cell_type {
        let scope = format!("cell_type={slug}");
        query.filter("p.cell_type = {}", Bind::Text(slug.clone()), scope);
    }
    if let Some(code) = &filter.country {
        let scope = format!("country={code}");
        query.filter("p.country_code = {}::bpchar", Bind::Text(code.clone()), scope);
    }
    if let Some(clinic_id) = filter.clinic_id {
        let scope = format!("clinic_id={clinic_id}");
        query.filter("p.clinic_id = {}", Bind::Uuid(clinic_id), scope);
    }
    for bound in &filter.price_bounds {
        query.filter(
            &format!("p.price_min_usd {} {{}}", bound.op),
            Bind::Numeric(bound.usd),
            bound.scope.clone(),
        );
    }
    if let Some(provenance) = filter.price_provenance {
        let scope = format!("price_provenance={}", provenance.as_str());
        query.filter(
            "p.price_provenance = {}",
            Bind::Text(provenance.as_str().to_owned()),
            scope,
        );
    }
}

/// The inclusion vocabulary `(code, label)` in display order.
pub async fn vocabulary(conn: &mut &AsyncPgConnection) -> QueryResult<Vec<(String, String)>> {
    use crate::db::schema::inclusion_items;
    inclusion_items::table
        .order(inclusion_items::position.asc())
        .select((inclusion_items::code, inclusion_items::label))
        .load(conn)
        .await
}
