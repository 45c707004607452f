//! The transactional outbox: an event is written in the same transaction as the change it
//! reports, together with one pending delivery per active endpoint of the partner. If the change
//! rolls back, so does the event; if it commits, the delivery worker will send it.
//!
//! Payloads carry ids and states only, never patient contact or health data: the partner fetches
//! the quote through the API with its key, where the usual visibility rules apply.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::schema::{clinics, offers, quote_routes, webhook_events};

/// The kinds of event a partner can receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// A new quote was shared with one of the partner's clinics.
    QuoteRouted,
    /// The patient accepted the partner's offer.
    OfferAccepted,
    /// The partner's pending offer was declined (another offer was accepted, or the quote ended).
    OfferDeclined,
    /// The patient cancelled a quote shared with the partner.
    QuoteCancelled,
    /// The patient erased their personal data from a quote shared with the partner.
    QuoteErased,
    /// A moderator decided on one of the partner's listings.
    ListingModerated,
    /// The treatment of a quote accepted with the partner's offer was recorded as delivered.
    QuoteTreated,
    /// A quote accepted with the partner's offer was recorded as not treated.
    QuoteNotTreated,
    /// A verified patient's review of one of the partner's clinics was published.
    ReviewPublished,
    /// The partner replied to a review of one of its clinics.
    ReviewReplied,
    /// A patient's follow-up window opened (for staff endpoints: the coordinators).
    FollowUpDue,
}

impl EventType {
    /// Every event type, in documentation order.
    pub const ALL: [EventType; 11] = [
        Self::QuoteRouted,
        Self::OfferAccepted,
        Self::OfferDeclined,
        Self::QuoteCancelled,
        Self::QuoteErased,
        Self::ListingModerated,
        Self::QuoteTreated,
        Self::QuoteNotTreated,
        Self::ReviewPublished,
        Self::ReviewReplied,
        Self::FollowUpDue,
    ];

    /// The `type` on the wire, e.g. `offer.accepted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QuoteRouted => "quote.routed",
            Self::OfferAccepted => "offer.accepted",
            Self::OfferDeclined => "offer.declined",
            Self::QuoteCancelled => "quote.cancelled",
            Self::QuoteErased => "quote.erased",
            Self::ListingModerated => "listing.moderated",
            Self::QuoteTreated => "quote.treated",
            Self::QuoteNotTreated => "quote.not_treated",
            Self::ReviewPublished => "review.published",
            Self::ReviewReplied => "review.replied",
            Self::FollowUpDue => "follow_up.due",
        }
    }
}

/// What an event is about: ids and states only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookEventData {
    /// The quote concerned (absent for `listing.moderated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_id: Option<Uuid>,
    /// The offer concerned (`offer.*` events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<Uuid>,
    /// The partner's clinic concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinic_id: Option<Uuid>,
    /// The review concerned (`review.*` events; these carry no quote id, so the clinic is not
    /// told which patient wrote it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_id: Option<Uuid>,
    /// The new state: the quote's (`open`, `cancelled`, `erased`), the offer's (`accepted`,
    /// `declined`), the listing's moderation status (`published`, `rejected`, …), or the review's
    /// (`published`, `replied`).
    #[schema(example = json!(crate::states::OfferStatus::Accepted))]
    pub status: String,
    /// The follow-up time point (`follow_up.due`): `baseline`, `month_3`, `month_6`, `month_12`
    /// or `month_24`. Never a score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_point: Option<String>,
}

/// The JSON body of every webhook delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookEvent {
    /// The event id; also sent as `webhook-id`, the same on every retry (deduplicate on it).
    pub id: Uuid,
    /// `quote.routed`, `offer.accepted`, `offer.declined`, `quote.cancelled`, `quote.erased`,
    /// `listing.moderated`, `quote.treated`, `quote.not_treated`, `review.published`,
    /// `review.replied` or `follow_up.due`.
    #[serde(rename = "type")]
    #[schema(example = "offer.accepted")]
    pub event_type: String,
    /// When the change happened.
    pub created_at: DateTime<Utc>,
    /// What the event is about.
    pub data: WebhookEventData,
}

// `IS NOT DISTINCT FROM`: a NULL owner is staff, whose endpoints have no partner.
const FAN_OUT: &str = "
INSERT INTO webhook_deliveries (event_id, endpoint_id, partner_id, next_attempt_at)
SELECT $1, e.id, e.partner_id, $3 FROM webhook_endpoints e
WHERE e.partner_id IS NOT DISTINCT FROM $2 AND e.deleted_at IS NULL";

/// Writes one event for `partner_id` and a pending delivery to each of its active endpoints.
/// Call it inside the transaction that makes the change. Returns the event id.
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    partner_id: Uuid,
    event_type: EventType,
    data: WebhookEventData,
) -> QueryResult<Uuid> {
    enqueue_for(conn, Some(partner_id), event_type, data).await
}

/// Writes one event for staff (the coordinators) and a pending delivery to each active staff
/// endpoint. Call it inside the transaction that makes the change. Returns the event id.
pub async fn enqueue_for_staff(
    conn: &mut AsyncPgConnection,
    event_type: EventType,
    data: WebhookEventData,
) -> QueryResult<Uuid> {
    enqueue_for(conn, None, event_type, data).await
}

async fn enqueue_for(
    conn: &mut AsyncPgConnection,
    partner_id: Option<Uuid>,
    event_type: EventType,
    data: WebhookEventData,
) -> QueryResult<Uuid> {
    // Microseconds: what Postgres stores, so the payload and the row agree.
    let created_at = Utc::now().trunc_subsecs(6);
    let event = WebhookEvent {
        id: Uuid::now_v7(),
        event_type: event_type.as_str().to_owned(),
        created_at,
        data,
    };
    let payload =
        serde_json::to_value(&event).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(webhook_events::table)
        .values((
            webhook_events::id.eq(event.id),
            webhook_events::partner_id.eq(partner_id),
            webhook_events::type_.eq(event_type.as_str()),
            webhook_events::payload.eq(payload),
            webhook_events::created_at.eq(created_at),
        ))
        .execute(conn)
        .await?;
    crate::db::sql::prepared(
        diesel::sql_query(FAN_OUT)
            .bind::<SqlUuid, _>(event.id)
            .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(partner_id)
            .bind::<Timestamptz, _>(created_at),
    )
    .execute(conn)
    .await?;
    Ok(event.id)
}

/// `quote.routed` for each routed clinic that belongs to a partner; `status` is the new quote's.
pub async fn quote_routed(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    clinic_ids: &[Uuid],
    status: &str,
) -> QueryResult<()> {
    let owners: Vec<(Uuid, Option<Uuid>)> = clinics::table
        .filter(clinics::id.eq_any(clinic_ids))
        .select((clinics::id, clinics::partner_id))
        .load(conn)
        .await?;
    for (clinic_id, partner_id) in owners {
        if let Some(partner_id) = partner_id {
            let data = WebhookEventData {
                quote_id: Some(quote_id),
                offer_id: None,
                clinic_id: Some(clinic_id),
                review_id: None,
                status: status.to_owned(),
                time_point: None,
            };
            enqueue(conn, partner_id, EventType::QuoteRouted, data).await?;
        }
    }
    Ok(())
}

/// `offer.accepted` or `offer.declined` for the partner of the offer's clinic.
pub async fn offer_changed(
    conn: &mut AsyncPgConnection,
    offer_id: Uuid,
    event_type: EventType,
    status: &str,
) -> QueryResult<()> {
    let row: Option<(Uuid, Uuid, Option<Uuid>)> = offers::table
        .inner_join(clinics::table.on(clinics::id.eq(offers::clinic_id)))
        .filter(offers::id.eq(offer_id))
        .select((offers::quote_id, offers::clinic_id, clinics::partner_id))
        .first(conn)
        .await
        .optional()?;
    if let Some((quote_id, clinic_id, Some(partner_id))) = row {
        let data = WebhookEventData {
            quote_id: Some(quote_id),
            offer_id: Some(offer_id),
            clinic_id: Some(clinic_id),
            review_id: None,
            status: status.to_owned(),
            time_point: None,
        };
        enqueue(conn, partner_id, event_type, data).await?;
    }
    Ok(())
}

/// `quote.cancelled` or `quote.erased` for every partner the quote was routed to (once each).
pub async fn quote_changed(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    event_type: EventType,
    status: &str,
) -> QueryResult<()> {
    let partners: Vec<Option<Uuid>> = quote_routes::table
        .inner_join(clinics::table)
        .filter(quote_routes::quote_id.eq(quote_id))
        .select(clinics::partner_id)
        .distinct()
        .load(conn)
        .await?;
    for partner_id in partners.into_iter().flatten() {
        let data = WebhookEventData {
            quote_id: Some(quote_id),
            offer_id: None,
            clinic_id: None,
            review_id: None,
            status: status.to_owned(),
            time_point: None,
        };
        enqueue(conn, partner_id, event_type, data).await?;
    }
    Ok(())
}

/// `follow_up.due` for staff: ids and the time point only, never a score.
pub async fn follow_up_due(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    time_point: &str,
) -> QueryResult<Uuid> {
    let data = WebhookEventData {
        quote_id: Some(quote_id),
        offer_id: None,
        clinic_id: None,
        review_id: None,
        status: "due".to_owned(),
        time_point: Some(time_point.to_owned()),
    };
    enqueue_for_staff(conn, EventType::FollowUpDue, data).await
}

/// `listing.moderated` for the partner owning `clinic_id`; `status` is the moderation outcome.
/// For the moderation code to call inside its transaction.
pub async fn listing_moderated(
    conn: &mut AsyncPgConnection,
    partner_id: Uuid,
    clinic_id: Uuid,
    status: &str,
) -> QueryResult<Uuid> {
    let data = WebhookEventData {
        quote_id: None,
        offer_id: None,
        clinic_id: Some(clinic_id),
        review_id: None,
        status: status.to_owned(),
        time_point: None,
    };
    enqueue(conn, partner_id, EventType::ListingModerated, data).await
}
