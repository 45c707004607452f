//! Every statement on treatment records. Other resources' rows (quotes, offers, clinics) are read
//! through their own repos by the callers.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{clinics, treatment_records};
use crate::ids::QuoteId;
use crate::webhooks::outbox::{self, EventType, WebhookEventData};

pub use crate::treatments::model::{NewTreatmentRow, TreatmentRow};

/// The quote's treatment record, if one was made.
pub async fn find_by_quote(
    conn: &mut AsyncPgConnection,
    quote_id: QuoteId,
) -> QueryResult<Option<TreatmentRow>> {
    treatment_records::table
        .filter(treatment_records::quote_id.eq(quote_id))
        .select(TreatmentRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Stores a new record (a second one for the same quote is a unique violation on
/// `treatment_records_quote_key`).
pub async fn insert(conn: &mut AsyncPgConnection, row: &NewTreatmentRow<'_>) -> QueryResult<TreatmentRow> {
    diesel::insert_into(treatment_records::table)
        .values(row)
        .returning(TreatmentRow::as_returning())
        .get_result(conn)
        .await
}

/// `quote.treated` or `quote.not_treated` for the partner of the treating clinic, if it has one:
/// ids and the new state only, never the record's content.
pub async fn announce(
    conn: &mut AsyncPgConnection,
    row: &TreatmentRow,
    event_type: EventType,
) -> QueryResult<()> {
    let partner_id: Option<Uuid> = clinics::table
        .find(row.clinic_id)
        .select(clinics::partner_id)
        .first(conn)
        .await?;
    if let Some(partner_id) = partner_id {
        let data = WebhookEventData {
            quote_id: Some(row.quote_id),
            offer_id: Some(row.offer_id),
            clinic_id: Some(row.clinic_id),
            review_id: None,
            status: row.outcome.as_str().to_owned(),
            time_point: None,
        };
        outbox::enqueue(conn, partner_id, event_type, data).await?;
    }
    Ok(())
}
