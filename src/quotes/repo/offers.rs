//! Statements on offers.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{clinics, inclusion_items, offers, treatment_packages};
use crate::ids::{OfferId, QuoteId};
use crate::quotes::domain::{NewOffer, OfferStatus};
use crate::quotes::model::Offer;
use crate::webhooks::outbox::{self, EventType};

/// Every offer of the quote, oldest first.
pub async fn offers_of(conn: &mut AsyncPgConnection, quote_id: Uuid) -> QueryResult<Vec<Offer>> {
    offers::table
        .filter(offers::quote_id.eq(quote_id))
        .order((offers::created_at.asc(), offers::id.asc()))
        .select(Offer::as_select())
        .load(conn)
        .await
}

/// The offer of this quote, locked for update (inside a transaction). Typed ids: the two are
/// both UUIDs, and a swap would silently find nothing.
pub async fn lock_offer(
    conn: &mut AsyncPgConnection,
    quote_id: QuoteId,
    offer_id: OfferId,
) -> QueryResult<Option<Offer>> {
    offers::table
        .find(offer_id)
        .filter(offers::quote_id.eq(quote_id))
        .select(Offer::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Stores a new pending offer with its red flags.
pub async fn insert_offer(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    author_key_id: Uuid,
    offer: &NewOffer,
    red_flags: serde_json::Value,
) -> QueryResult<Offer> {
    let request = offer.get();
    let json = |value: serde_json::Result<serde_json::Value>| {
        value.map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
    };
    diesel::insert_into(offers::table)
        .values((
            offers::quote_id.eq(quote_id),
            offers::clinic_id.eq(request.clinic_id),
            offers::author_key_id.eq(author_key_id),
            offers::package_id.eq(request.package_id),
            offers::line_items.eq(json(serde_json::to_value(&request.line_items))?),
            offers::total.eq(request.total),
            offers::currency.eq(&request.currency),
            offers::injections.eq(request.injections),
            offers::cell_type.eq(&request.cell_type),
            offers::cell_source.eq(&request.cell_source),
            offers::exclusions.eq(&request.exclusions),
            offers::price_change_conditions.eq(&request.price_change.conditions),
            offers::max_increase_percent.eq(request.price_change.max_increase_percent),
            offers::deposit.eq(json(serde_json::to_value(&request.deposit))?),
            offers::refund_policy.eq(json(serde_json::to_value(&request.refund_policy))?),
            offers::outcome_guarantee.eq(&request.outcome_guarantee),
            offers::valid_until.eq(request.valid_until),
            offers::notes.eq(&request.notes),
            offers::red_flags.eq(red_flags),
        ))
        .returning(Offer::as_returning())
        .get_result(conn)
        .await
}

/// Moves the offer to `status` (the caller checked the transition).
pub async fn set_offer_status(
    conn: &mut AsyncPgConnection,
    offer_id: Uuid,
    status: OfferStatus,
) -> QueryResult<Offer> {
    diesel::update(offers::table.find(offer_id))
        .set((offers::status.eq(status), offers::updated_at.eq(diesel::dsl::now)))
        .returning(Offer::as_returning())
        .get_result(conn)
        .await
}

/// Declines the quote's pending offers and tells their partners (`offer.declined`).
pub async fn decline_pending_offers(conn: &mut AsyncPgConnection, quote_id: Uuid) -> QueryResult<usize> {
    let declined: Vec<Uuid> = diesel::update(
        offers::table
            .filter(offers::quote_id.eq(quote_id))
            .filter(offers::status.eq(OfferStatus::Pending)),
    )
    .set((
        offers::status.eq(OfferStatus::Declined),
        offers::updated_at.eq(diesel::dsl::now),
    ))
    .returning(offers::id)
    .get_results(conn)
    .await?;
    for offer_id in &declined {
        let status = OfferStatus::Declined.as_str();
        outbox::offer_changed(conn, *offer_id, EventType::OfferDeclined, status).await?;
    }
    Ok(declined.len())
}

/// The inclusion vocabulary's codes (offers' lines and exclusions use them).
pub async fn inclusion_codes(conn: &mut AsyncPgConnection) -> QueryResult<Vec<String>> {
    inclusion_items::table
        .select(inclusion_items::code)
        .load(conn)
        .await
}

/// The clinic that owns the package, `None` when there is no such package.
pub async fn package_owner(conn: &mut AsyncPgConnection, package_id: Uuid) -> QueryResult<Option<Uuid>> {
    treatment_packages::table
        .find(package_id)
        .select(treatment_packages::clinic_id)
        .first(conn)
        .await
        .optional()
}

/// The name and country (ISO 3166 alpha-2) of each of these clinics: an offer shows its clinic's
/// name, and the trials it cites are checked against both.
pub async fn offering_clinics(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, String, String)>> {
    clinics::table
        .filter(clinics::id.eq_any(ids))
        .select((clinics::id, clinics::name, clinics::country_code))
        .load(conn)
        .await
}
