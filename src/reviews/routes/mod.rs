//! The review endpoints: the patient's review (`own`), the clinic's reply (`reply`) and the
//! public list (`list`).

mod list;
mod own;
mod reply;

use diesel_async::AsyncPgConnection;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{forbidden, Principal};
use crate::error::ApiError;
use crate::reviews::model::Review;
use crate::reviews::repo;
use crate::states::ReviewEvent;
use crate::webhooks::outbox::{self, EventType, WebhookEventData};

/// Registers the review endpoints.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(own::create_review)
        .service(own::get_own_review)
        .service(own::edit_review)
        .service(reply::reply_to_review)
        .service(list::list_clinic_reviews);
}

/// `Ok` for the patient holding this quote's token; 404 for another patient (the quote is not
/// theirs to know of), 403 for any key (reviews are the treated patient's alone).
fn own_quote(principal: &Principal, quote_id: Uuid) -> Result<(), ApiError> {
    match principal {
        Principal::Patient { quote_id: own } if *own == quote_id => Ok(()),
        Principal::Patient { .. } => Err(ApiError::not_found(format!("no quote has id {quote_id}"))),
        Principal::Admin { .. } | Principal::Coordinator { .. } | Principal::Partner { .. } => Err(
            forbidden("only the patient who was treated may write or read their review here"),
        ),
    }
}

/// Tells the clinic's partner (if it has one) about the review: ids and the event only, no quote
/// id (the clinic is not told which patient wrote it) and no text.
async fn announce(
    conn: &mut AsyncPgConnection,
    review: &Review,
    event_type: EventType,
    status: ReviewEvent,
) -> Result<(), ApiError> {
    if let Some(partner_id) = repo::clinic_partner(conn, review.clinic_id).await? {
        let data = WebhookEventData {
            quote_id: None,
            offer_id: None,
            clinic_id: Some(review.clinic_id.uuid()),
            review_id: Some(review.id.uuid()),
            status: status.as_str().to_owned(),
            time_point: None,
        };
        outbox::enqueue(conn, partner_id.uuid(), event_type, data).await?;
    }
    Ok(())
}
