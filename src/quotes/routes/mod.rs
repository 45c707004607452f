//! The quote and offer endpoints, one file per action or small group.

pub mod accept;
pub mod cancel;
pub mod create;
pub mod export;
pub mod get;
pub mod list;
pub mod offers;

use diesel_async::AsyncPgConnection;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::ids::{OfferId, QuoteId};
use crate::quotes::dto::OfferResponse;
use crate::quotes::model::Offer;
use crate::quotes::present::offer_responses;
use crate::quotes::repo;
use crate::state::AppState;

pub use list::QuoteListParams;

/// Registers the quote and offer endpoints.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create::create_quote)
        .service(list::list_quotes)
        .service(get::get_quote)
        .service(cancel::erase_quote)
        .service(export::export_quote)
        .service(cancel::cancel_quote)
        .service(offers::create_offer)
        .service(offers::list_offers)
        .service(offers::withdraw_offer)
        .service(accept::accept_offer);
}

/// `Ok` for the patient's own quote; 404 for another patient's, 403 for anyone else who may
/// see it (404 when they may not).
async fn patient_quote(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<(), ApiError> {
    match principal {
        Principal::Patient { quote_id } if *quote_id == id => Ok(()),
        Principal::Patient { .. } => Err(ApiError::not_found(format!("no quote has id {id}"))),
        _ => {
            repo::visible_quote(conn, principal, id).await?;
            Err(crate::auth::forbidden(
                "only the patient who made this request may do this",
            ))
        }
    }
}

/// Every offer of a quote, presented with its flags as of the state's clock.
async fn offer_views(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    quote_id: Uuid,
) -> Result<Vec<OfferResponse>, ApiError> {
    let rows = repo::offers_of(conn, quote_id).await?;
    offer_responses(conn, &state.rules, state.clock.today(), &rows).await
}

/// One offer, presented with its flags as of the state's clock.
async fn offer_view(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    offer: Offer,
) -> Result<OfferResponse, ApiError> {
    offer_responses(
        conn,
        &state.rules,
        state.clock.today(),
        std::slice::from_ref(&offer),
    )
    .await?
    .pop()
    .ok_or_else(|| ApiError::internal("an offer presented as nothing"))
}

/// The offer of this quote, locked, or 404.
async fn load_offer(conn: &mut AsyncPgConnection, quote_id: Uuid, offer_id: Uuid) -> Result<Offer, ApiError> {
    repo::lock_offer(conn, QuoteId(quote_id), OfferId(offer_id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no offer {offer_id} on quote {quote_id}")))
}
