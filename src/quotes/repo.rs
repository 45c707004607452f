//! Queries for quotes, routes and offers.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::auth::Principal;
use crate::db::schema::{clinics, countries, offers, quote_routes, quotes, treatment_packages};
use crate::error::ApiError;
use crate::quotes::model::{Offer, Quote};
use crate::treatment_packages::model::TreatmentPackage;

/// A published package with the clinic facts matching needs.
pub struct CandidateRow {
    pub package: TreatmentPackage,
    pub clinic_name: String,
    pub country: String,
    pub clinic_score: Decimal,
}

/// Published packages of published clinics that cover `condition`.
pub async fn candidates(conn: &mut AsyncPgConnection, condition: &str) -> QueryResult<Vec<CandidateRow>> {
    let rows: Vec<(TreatmentPackage, String, String, Decimal)> = treatment_packages::table
        .inner_join(clinics::table)
        .filter(clinics::status.eq("published"))
        .filter(treatment_packages::status.eq("published"))
        .filter(treatment_packages::conditions.contains(vec![condition.to_owned()]))
        .select((
            TreatmentPackage::as_select(),
            clinics::name,
            clinics::country_code,
            clinics::score,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(package, clinic_name, country, clinic_score)| CandidateRow {
            package,
            clinic_name,
            country,
            clinic_score,
        })
        .collect())
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Quote>> {
    quotes::table
        .find(id)
        .select(Quote::as_select())
        .first(conn)
        .await
        .optional()
}

/// The quote locked for update (inside a transaction).
pub async fn lock(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Quote> {
    quotes::table
        .find(id)
        .select(Quote::as_select())
        .for_update()
        .first(conn)
        .await
}

pub async fn routed_clinic_ids(conn: &mut AsyncPgConnection, quote_id: Uuid) -> QueryResult<Vec<Uuid>> {
    quote_routes::table
        .filter(quote_routes::quote_id.eq(quote_id))
        .order(quote_routes::routed_at.asc())
        .select(quote_routes::clinic_id)
        .load(conn)
        .await
}

/// Clinics of `partner_id` this quote was routed to.
pub async fn partner_routed_clinics(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    partner_id: Uuid,
) -> QueryResult<Vec<Uuid>> {
    quote_routes::table
        .inner_join(clinics::table)
        .filter(quote_routes::quote_id.eq(quote_id))
        .filter(clinics::partner_id.eq(partner_id))
        .select(clinics::id)
        .load(conn)
        .await
}

/// The quote if `principal` may see it; 404 otherwise (existence is not revealed).
pub async fn visible_quote(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<Quote, ApiError> {
    let not_found = || ApiError::not_found(format!("no quote has id {id}"));
    let quote = find(conn, id).await?.ok_or_else(not_found)?;
    let visible = match principal {
        Principal::Admin { .. } | Principal::Coordinator { .. } => true,
        Principal::Patient { quote_id } => *quote_id == id,
        Principal::Partner { partner_id, .. } => {
            !partner_routed_clinics(conn, id, *partner_id).await?.is_empty()
        }
    };
    if visible {
        Ok(quote)
    } else {
        Err(not_found())
    }
}

pub async fn offers_of(conn: &mut AsyncPgConnection, quote_id: Uuid) -> QueryResult<Vec<Offer>> {
    offers::table
        .filter(offers::quote_id.eq(quote_id))
        .order((offers::created_at.asc(), offers::id.asc()))
        .select(Offer::as_select())
        .load(conn)
        .await
}

pub async fn clinic_owner(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
) -> QueryResult<Option<Option<Uuid>>> {
    clinics::table
        .find(clinic_id)
        .select(clinics::partner_id)
        .first(conn)
        .await
        .optional()
}

pub async fn clinic_names(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, String)>> {
    clinics::table
        .filter(clinics::id.eq_any(ids))
        .select((clinics::id, clinics::name))
        .load(conn)
        .await
}

/// Published clinics among `ids`.
pub async fn published_clinics(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    clinics::table
        .filter(clinics::id.eq_any(ids))
        .filter(clinics::status.eq("published"))
        .select(clinics::id)
        .load(conn)
        .await
}

pub async fn known_countries(conn: &mut AsyncPgConnection) -> QueryResult<Vec<String>> {
    countries::table.select(countries::code).load(conn).await
}
