//! Every statement on quotes, their routes and offers (offers in `offers.rs`).

mod offers;

pub use offers::*;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Numeric, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::auth::Principal;
use crate::db::schema::{audit_log, clinics, countries, idempotency_keys, quote_routes, quotes};
use crate::error::ApiError;
use crate::ids::{OfferId, QuoteId};
use crate::quotes::domain::QuoteStatus;
use crate::quotes::matching::{self, ScoreBinds};
use crate::quotes::model::Quote;
use crate::states::ListingStatus;
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
        .filter(clinics::status.eq(ListingStatus::Published))
        .select(clinics::id)
        .load(conn)
        .await
}

pub async fn known_countries(conn: &mut AsyncPgConnection) -> QueryResult<Vec<String>> {
    countries::table.select(countries::code).load(conn).await
}

/// Quote requests made with this email fingerprint since `since`.
pub async fn count_quotes_by_email_since(
    conn: &mut AsyncPgConnection,
    email_hash: &[u8],
    since: DateTime<Utc>,
) -> QueryResult<i64> {
    quotes::table
        .filter(quotes::email_hash.eq(email_hash))
        .filter(quotes::created_at.gt(since))
        .count()
        .get_result(conn)
        .await
}

/// A new quote as stored: the parsed request's facts, sealed personal data and the estimates.
pub struct QuoteInsert<'a> {
    pub access_token_hash: &'a [u8],
    pub quote: &'a crate::quotes::domain::NewQuote,
    pub contact_ciphertext: &'a [u8],
    pub notes_ciphertext: Option<&'a [u8]>,
    pub email_hash: &'a [u8],
    pub consent_at: DateTime<Utc>,
    pub share_mode: &'a str,
    pub estimates: &'a serde_json::Value,
    pub expires_at: DateTime<Utc>,
}

/// Stores a new quote and its routes to `clinic_ids`; returns its id.
pub async fn insert_quote(
    conn: &mut AsyncPgConnection,
    new: &QuoteInsert<'_>,
    clinic_ids: &[Uuid],
) -> QueryResult<Uuid> {
    let quote = new.quote;
    let quote_id: Uuid = diesel::insert_into(quotes::table)
        .values((
            quotes::access_token_hash.eq(new.access_token_hash),
            quotes::condition_slug.eq(&quote.condition),
            quotes::has_mri.eq(quote.has_mri),
            quotes::preferred_countries.eq(&quote.preferred_countries),
            quotes::preferred_cell_types.eq(&quote.preferred_cell_types),
            quotes::budget_amount.eq(quote.budget.as_ref().map(|b| b.amount)),
            quotes::budget_currency.eq(quote.budget.as_ref().map(|b| b.currency.clone())),
            quotes::travel_from.eq(quote.travel_window.as_ref().map(|w| w.from)),
            quotes::travel_to.eq(quote.travel_window.as_ref().map(|w| w.to)),
            quotes::patient_country.eq(&quote.patient.country_of_residence),
            quotes::preferred_language.eq(&quote.patient.preferred_language),
            quotes::contact_ciphertext.eq(new.contact_ciphertext),
            quotes::notes_ciphertext.eq(new.notes_ciphertext),
            quotes::email_hash.eq(new.email_hash),
            quotes::consent_at.eq(new.consent_at),
            quotes::share_mode.eq(new.share_mode),
            quotes::estimates.eq(new.estimates),
            quotes::expires_at.eq(new.expires_at),
        ))
        .returning(quotes::id)
        .get_result(conn)
        .await?;
    for clinic_id in clinic_ids {
        diesel::insert_into(quote_routes::table)
            .values((
                quote_routes::quote_id.eq(quote_id),
                quote_routes::clinic_id.eq(clinic_id),
            ))
            .execute(conn)
            .await?;
    }
    Ok(quote_id)
}

/// The filters of the staff and partner quote list, already checked.
#[derive(Default)]
pub struct QuoteFilter {
    /// Only quotes routed to a clinic of this partner.
    pub partner_id: Option<Uuid>,
    pub status: Option<QuoteStatus>,
    pub condition: Option<String>,
    pub country: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// Quotes matching `filter`, newest first, strictly after the keyset position `after`
/// (`created_at`, `id`) when given; at most `limit`.
pub async fn quote_page(
    conn: &mut AsyncPgConnection,
    filter: &QuoteFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Quote>> {
    let mut query = quotes::table.select(Quote::as_select()).into_boxed();
    if let Some(partner_id) = filter.partner_id {
        let routed = quote_routes::table
            .inner_join(clinics::table)
            .filter(clinics::partner_id.eq(partner_id))
            .select(quote_routes::quote_id);
        query = query.filter(quotes::id.eq_any(routed));
    }
    if let Some(status) = filter.status {
        query = query.filter(quotes::status.eq(status));
    }
    if let Some(condition) = &filter.condition {
        query = query.filter(quotes::condition_slug.eq(condition.clone()));
    }
    if let Some(country) = &filter.country {
        query = query.filter(quotes::patient_country.eq(country.clone()));
    }
    if let Some(after) = filter.created_after {
        query = query.filter(quotes::created_at.ge(after));
    }
    if let Some(before) = filter.created_before {
        query = query.filter(quotes::created_at.lt(before));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            quotes::created_at
                .lt(at)
                .or(quotes::created_at.eq(at).and(quotes::id.lt(id))),
        );
    }
    query
        .order((quotes::created_at.desc(), quotes::id.desc()))
        .limit(limit)
        .load(conn)
        .await
}

/// Moves the quote to `status` (the caller checked the transition).
pub async fn set_quote_status(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: QuoteStatus,
) -> QueryResult<()> {
    diesel::update(quotes::table.find(id))
        .set((quotes::status.eq(status), quotes::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks the quote accepted with its accepted offer (typed ids: both are UUIDs).
pub async fn accept_quote(conn: &mut AsyncPgConnection, id: QuoteId, offer_id: OfferId) -> QueryResult<()> {
    diesel::update(quotes::table.find(id))
        .set((
            quotes::status.eq(QuoteStatus::Accepted),
            quotes::accepted_offer_id.eq(offer_id),
            quotes::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes the quote's personal data: contact, notes, the email fingerprint and the stored
/// idempotent response (which holds them too); the quote then reads as erased.
pub async fn erase_personal_data(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(quotes::table.find(id))
        .set((
            quotes::contact_ciphertext.eq(None::<Vec<u8>>),
            quotes::notes_ciphertext.eq(None::<Vec<u8>>),
            quotes::email_hash.eq(None::<Vec<u8>>),
            quotes::erased_at.eq(diesel::dsl::now),
            quotes::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::quote_id.eq(id)))
        .execute(conn)
        .await?;
    Ok(())
}

/// When the patient consented to processing health data.
pub async fn consent_at(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<DateTime<Utc>> {
    quotes::table
        .find(id)
        .select(quotes::consent_at)
        .first(conn)
        .await
}

/// One read of the quote's personal data: at, actor role, action, request id.
pub type AccessRow = (DateTime<Utc>, String, String, Option<String>);

/// Who read the quote's personal data, oldest first.
pub async fn access_log(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Vec<AccessRow>> {
    audit_log::table
        .filter(audit_log::quote_id.eq(id))
        .order(audit_log::id.asc())
        .select((
            audit_log::at,
            audit_log::actor_role,
            audit_log::action,
            audit_log::request_id,
        ))
        .load(conn)
        .await
}
