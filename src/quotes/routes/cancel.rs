//! The patient ends a request: cancel it, or erase its personal data.

use actix_web::http::header;
use actix_web::{delete, post, web, HttpResponse};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::http_cache::private_json;
use crate::quotes::domain::{conflict, QuoteStatus};
use crate::quotes::dto::QuoteResponse;
use crate::quotes::present::quote_response;
use crate::quotes::repo;
use crate::quotes::routes::patient_quote;
use crate::state::AppState;
use crate::webhooks::outbox::{self, EventType};

/// Cancel a quote
///
/// The patient withdraws the request: an open or offered quote becomes `cancelled` and pending
/// offers are declined. Any other state is a 409 naming it.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The cancelled quote", body = QuoteResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the patient may cancel", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The quote cannot be cancelled in its current state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/quotes/{id}/cancel")]
pub async fn cancel_quote(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    patient_quote(&mut conn, &principal, id).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let quote = repo::lock(conn, id).await?;
        if quote.erased_at.is_some() {
            return Err(conflict("quote", "erased", QuoteStatus::Cancelled.as_str()));
        }
        quote.status.check(QuoteStatus::Cancelled)?;
        cancel(conn, id).await
    })
    .await?;
    let quote = repo::find(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such quote"))?;
    let view = quote_response(&mut conn, &state.data_key, &principal, &quote).await?;
    private_json(actix_web::http::StatusCode::OK, &view)
}

/// Declines the pending offers, cancels the quote and tells the partners (the caller checked
/// the transition).
async fn cancel(conn: &mut diesel_async::AsyncPgConnection, id: Uuid) -> Result<(), ApiError> {
    repo::decline_pending_offers(conn, id).await?;
    repo::set_quote_status(conn, id, QuoteStatus::Cancelled).await?;
    let status = QuoteStatus::Cancelled.as_str();
    outbox::quote_changed(conn, id, EventType::QuoteCancelled, status).await?;
    Ok(())
}

/// Erase my data
///
/// The patient erases the personal data of this quote: contact details, notes and the email
/// fingerprint are deleted (and the stored idempotent responses with them), so are a treatment
/// record's clinical details and every doctor's handover link; an open or offered quote is
/// cancelled. Follow-up answers and the registry consent are deleted; answers already given to
/// the outcome registry with consent stay there only unlinked (no pseudonym). Anonymous facts
/// (condition, country, dates, offers) remain for statistics, and the quote then reads as
/// `erased`. Answers 204.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the patient may erase", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/quotes/{id}")]
pub async fn erase_quote(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
    steps: Option<web::Data<crate::quotes::erasure::ErasureSteps>>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    patient_quote(&mut conn, &principal, id).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let quote = repo::lock(conn, id).await?;
        if quote.status.may_become(QuoteStatus::Cancelled) {
            cancel(conn, id).await?;
        }
        repo::erase_personal_data(conn, id).await?;
        // The review is personal data linked to this quote: it goes with its revisions and reply.
        crate::reviews::repo::erase_for_quote(conn, crate::ids::QuoteId(id)).await?;
        // Other resources' data of this quote (follow-up answers, registry links).
        for step in steps.iter().flat_map(|s| s.0.iter()) {
            step(conn, &state.data_key, id).await?;
        }
        outbox::quote_changed(conn, id, EventType::QuoteErased, "erased").await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
