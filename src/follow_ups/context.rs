//! What a quote's follow-up depends on, read once: the accepted quote and its treatment record
//! (`treatments`), turned into the schedule.

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::error::ApiError;
use crate::follow_ups::domain::{schedule, Treatment, Window};
use crate::follow_ups::repo::{self, AcceptedQuote};
use crate::ids::QuoteId;
use crate::treatments::domain::TreatmentOutcome;

/// An accepted quote with where its treatment stands.
pub struct FollowUpContext {
    pub quote: AcceptedQuote,
    pub treatment: Treatment,
    /// The cell type the clinic recorded, when treated and known.
    pub cell_type_slug: Option<String>,
}

impl FollowUpContext {
    /// The quote's follow-up windows, in order.
    pub fn schedule(&self) -> Vec<Window> {
        schedule(self.quote.accepted_on, self.treatment)
    }
}

/// The context of `quote_id`; `None` when no offer was accepted.
pub async fn load(conn: &mut AsyncPgConnection, quote_id: Uuid) -> Result<Option<FollowUpContext>, ApiError> {
    let Some(quote) = repo::accepted_quote(conn, quote_id).await? else {
        return Ok(None);
    };
    Ok(Some(with_treatment(conn, quote).await?))
}

/// Adds the treatment record to an accepted quote.
pub async fn with_treatment(
    conn: &mut AsyncPgConnection,
    quote: AcceptedQuote,
) -> Result<FollowUpContext, ApiError> {
    let record = crate::treatments::repo::find_by_quote(conn, QuoteId(quote.quote_id)).await?;
    let (treatment, cell_type_slug) = match record {
        None => (Treatment::Pending, None),
        Some(row) => match (row.outcome, row.treated_on) {
            (TreatmentOutcome::Treated, Some(on)) => (Treatment::Treated(on), row.cell_type_slug),
            // A treated record always has a date (treatment_records_treated_shape).
            (TreatmentOutcome::Treated, None) | (TreatmentOutcome::NotTreated, _) => {
                (Treatment::NotTreated, None)
            }
        },
    };
    Ok(FollowUpContext {
        quote,
        treatment,
        cell_type_slug,
    })
}
