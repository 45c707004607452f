//! Queries for quotes, routes and offers.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Numeric, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::auth::Principal;
use crate::db::schema::{clinics, countries, offers, quote_routes, quotes};
use crate::error::ApiError;
use crate::quotes::matching::{self, ScoreBinds};
use crate::quotes::model::{Offer, Quote};
use crate::treatment_packages::model::TreatmentPackage;

/// A published package with the clinic facts matching needs.
#[derive(QueryableByName)]
pub struct CandidateRow {
    #[diesel(embed)]
    pub package: TreatmentPackage,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub clinic_name: String,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    pub clinic_score: Decimal,
}

/// Published packages of published clinics that cover `condition`, best match first by
/// [`matching::SQL_SCORE`] (ties: lower USD price, then id); at most `limit` when given.
pub async fn candidates(
    conn: &mut AsyncPgConnection,
    condition: &str,
    binds: &ScoreBinds,
    limit: Option<i64>,
) -> QueryResult<Vec<CandidateRow>> {
    // Ranked on `package_matching` (migration 000700): an index-only scan of the narrow rows of the
    // condition's published packages; only the best `limit` are then read in full.
    let sql = format!(
        "WITH ranked AS (
             SELECT m.package_id, m.price_min_usd, ({}) AS match_score
             FROM package_matching m
             WHERE m.condition = $1
             ORDER BY match_score DESC, m.price_min_usd ASC, m.package_id ASC
             LIMIT $9)
         SELECT p.*, c.name AS clinic_name, c.score AS clinic_score
         FROM ranked r
         JOIN treatment_packages p ON p.id = r.package_id
         JOIN clinics c ON c.id = p.clinic_id
         ORDER BY r.match_score DESC, r.price_min_usd ASC, r.package_id ASC",
        matching::SQL_SCORE
    );
    // The text is constant (the score is a compile-time string), so it can stay prepared.
    crate::db::sql::prepared(
        diesel::sql_query(sql)
            .bind::<Text, _>(condition)
            .bind::<Array<Text>, _>(&binds.preferred_countries)
            .bind::<Array<Text>, _>(&binds.preferred_cell_types)
            .bind::<Nullable<Numeric>, _>(binds.budget_usd)
            .bind::<Bool, _>(binds.no_budget)
            .bind::<Array<Text>, _>(&binds.evidence_cells)
            .bind::<Array<Integer>, _>(&binds.evidence_points)
            .bind::<Integer, _>(binds.general_evidence_points)
            .bind::<Nullable<BigInt>, _>(limit),
    )
    .load(conn)
    .await
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
