//! `POST /v1/quotes/{id}/offers/{offer_id}/accept`: the patient's choice.

use actix_web::{post, web, HttpResponse};
use chrono::Utc;
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::{BearerToken, Principal};
use crate::error::{ApiError, Problem};
use crate::http_cache::private_json;
use crate::ids::{OfferId, QuoteId};
use crate::quotes::domain::{conflict, OfferStatus, QuoteStatus};
use crate::quotes::dto::OfferResponse;
use crate::quotes::repo;
use crate::quotes::routes::{load_offer, offer_view};
use crate::state::AppState;
use crate::webhooks::outbox::{self, EventType};

/// Accept an offer
///
/// The patient accepts one pending, unexpired offer: in one transaction the offer becomes
/// `accepted`, every other pending offer `declined`, and the quote `accepted`. The accepted
/// clinic's partner can then see the contact details. Of two concurrent accepts exactly one wins;
/// the other is a 409 naming the state.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id"), ("offer_id" = Uuid, Path, description = "Offer id")),
    responses(
        (status = 200, description = "The accepted offer", body = OfferResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the patient may accept", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The quote or offer is not in a state that allows it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/quotes/{id}/offers/{offer_id}/accept")]
pub async fn accept_offer(
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (quote_id, offer_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    match &principal {
        Principal::Patient { quote_id: own } if *own == quote_id => {}
        Principal::Patient { .. } => return Err(ApiError::not_found(format!("no quote has id {quote_id}"))),
        other => {
            repo::visible_quote(&mut conn, other, quote_id).await?;
            return Err(crate::auth::forbidden("only the patient may accept an offer"));
        }
    }
    let offer = conn
        .transaction::<_, ApiError, _>(async |conn| {
            // Locking the quote first serialises concurrent accepts of different offers.
            let quote = repo::lock(conn, quote_id).await?;
            if quote.erased_at.is_some() {
                return Err(conflict("quote", "erased", QuoteStatus::Accepted.as_str()));
            }
            let offer = load_offer(conn, quote_id, offer_id).await?;
            quote.status.check(QuoteStatus::Accepted)?;
            offer.status.check(OfferStatus::Accepted)?;
            if offer.valid_until <= Utc::now() {
                return Err(conflict(
                    "offer",
                    "past its valid_until",
                    OfferStatus::Accepted.as_str(),
                ));
            }
            let accepted = repo::set_offer_status(conn, offer_id, OfferStatus::Accepted).await?;
            repo::decline_pending_offers(conn, quote_id).await?;
            let status = OfferStatus::Accepted.as_str();
            outbox::offer_changed(conn, offer_id, EventType::OfferAccepted, status).await?;
            repo::accept_quote(conn, QuoteId(quote_id), OfferId(offer_id)).await?;
            Ok(accepted)
        })
        .await?;
    let view = offer_view(&mut conn, &state, offer).await?;
    private_json(actix_web::http::StatusCode::OK, &view)
}
