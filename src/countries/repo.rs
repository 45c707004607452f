//! Statements on the countries table.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::db::schema::countries;

/// A country as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = countries)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct CountryRow {
    pub code: String,
    pub name: String,
    pub regulatory_status: String,
    pub regulatory_note: Option<String>,
    pub insurance_note: Option<String>,
    pub injection_price_min: Option<Decimal>,
    pub injection_price_max: Option<Decimal>,
    pub package_price_min: Option<Decimal>,
    pub package_price_max: Option<Decimal>,
    pub price_currency: String,
    pub price_as_of: Option<NaiveDate>,
    pub price_date_note: Option<String>,
    pub price_source: Option<serde_json::Value>,
    pub source: serde_json::Value,
    pub regulatory_claim: Option<String>,
    pub regulatory_verified_at: Option<NaiveDate>,
    pub regulatory_verified_source: Option<serde_json::Value>,
}

/// Every country, by code.
pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<CountryRow>> {
    countries::table
        .select(CountryRow::as_select())
        .order(countries::code.asc())
        .load(conn)
        .await
}

/// One country by its (upper-case) code.
pub async fn find(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Option<CountryRow>> {
    countries::table
        .find(code)
        .select(CountryRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// One country that must exist (a code checked against the reference data); `NotFound` otherwise.
pub async fn get(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<CountryRow> {
    countries::table
        .find(code)
        .select(CountryRow::as_select())
        .first(conn)
        .await
}
