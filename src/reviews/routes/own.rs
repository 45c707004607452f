//! The patient's own review: write it, read it with its history, edit it.

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::SubsecRound;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::crypto::DataKey;
use crate::error::{ApiError, Problem};
use crate::http_cache::private_json;
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::ids::{QuoteId, ReviewId};
use crate::reviews::domain::{self, ReviewFacts, ReviewInput};
use crate::reviews::dto::{OwnReviewResponse, ReviewRequest, ReviewResponse, RevisionResponse};
use crate::reviews::model::{Review, Revision};
use crate::reviews::repo;
use crate::reviews::routes::{announce, own_quote};
use crate::state::AppState;
use crate::states::ReviewEvent;
use crate::webhooks::outbox::EventType;

fn location(quote_id: Uuid) -> String {
    format!("/v1/quotes/{quote_id}/review")
}

/// Review the clinic that treated me
///
/// The patient of a quote whose treatment was recorded (`treated`) reviews the clinic: 1–5 stars
/// and a text, from 14 days after the treatment date (before that: 409 `review-not-open`, whose
/// detail names the opening date). One review per quote (a second: 409). The text is screened
/// first: contact details, another person's health or abusive words are refused with a 422
/// `text-screened-out` that quotes each thing to remove; otherwise it is published as written,
/// good or bad, with the red flags its claims raise. The clinic's partner is told
/// (`review.published`, ids only). Takes an `Idempotency-Key`.
#[utoipa::path(
    tag = "reviews",
    params(("id" = Uuid, Path, description = "Quote id")),
    request_body = ReviewRequest,
    responses(
        (status = 201, description = "Published", body = OwnReviewResponse,
         headers(("Location" = String, description = "URL of the patient's review"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the patient's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not treated, before day 14 (`review-not-open`), erased, or already reviewed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or text refused by screening (`text-screened-out`, each error says what to remove)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/quotes/{id}/review")]
pub async fn create_review(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let quote_id = *id;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    own_quote(&principal, quote_id)?;
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).map_err(ApiError::internal)?;
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST /v1/quotes/{quote_id}/review"),
        idempotency_key,
        &fingerprint,
    );
    // Microseconds: what Postgres keeps, so the answer and later reads agree.
    let now = state.clock.now().trunc_subsecs(6);
    idempotent
        .create(&mut conn, Some(quote_id), async |conn| {
            let facts = repo::quote_facts(conn, QuoteId(quote_id))
                .await?
                .ok_or_else(|| ApiError::not_found(format!("no quote has id {quote_id}")))?;
            let clinic_id = facts.clinic_id;
            let treated_on = domain::may_review(
                &ReviewFacts {
                    treated: facts.treated,
                    erased: facts.erased,
                    treated_on: facts.treated_on,
                },
                now.date_naive(),
            )?;
            let clinic_id = clinic_id.ok_or_else(|| ApiError::internal("a treated quote has no clinic"))?;
            let input = ReviewInput::parse(body.rating, body.text)?;
            let review = Review {
                id: ReviewId(Uuid::now_v7()),
                quote_id: QuoteId(quote_id),
                clinic_id,
                rating: input.rating,
                red_flags: domain::red_flags_of(&state.rules, &input.text),
                body: input.text,
                treated_month: domain::treated_month(treated_on),
                created_at: now,
                edited_at: None,
            };
            repo::insert_review(conn, &review)
                .await
                .map_err(repo::conflict_on(
                    "reviews_quote_key",
                    "this quote already has a review; edit it with PUT within 30 days of writing it",
                ))?;
            announce(conn, &review, EventType::ReviewPublished, ReviewEvent::Published).await?;
            let view = own_view(&state.data_key, conn, review).await?;
            StoredResponse::created(location(quote_id), &view)
        })
        .await
}

/// My review
///
/// The patient's review as published, until when it may be edited, and its earlier versions
/// (private: only the patient sees them). 404 before a review exists.
#[utoipa::path(
    tag = "reviews",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The patient's review", body = OwnReviewResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the patient's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote, or no review yet", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/quotes/{id}/review")]
pub async fn get_own_review(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let quote_id = *id;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    own_quote(&principal, quote_id)?;
    let review = repo::find_by_quote(&mut conn, QuoteId(quote_id), false)
        .await?
        .ok_or_else(|| ApiError::not_found("this quote has no review yet"))?;
    let view = own_view(&state.data_key, &mut conn, review).await?;
    private_json(StatusCode::OK, &view)
}

/// Edit my review
///
/// Replaces the rating and text of the patient's review, for 30 days after it was written
/// (later: 409 `review-edit-window-closed`). The replaced version is kept (encrypted, visible
/// only to the patient) and the public review is marked edited. Screened and flagged like a new
/// review.
#[utoipa::path(
    tag = "reviews",
    params(("id" = Uuid, Path, description = "Quote id")),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "The edited review", body = OwnReviewResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the patient's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote, or no review yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The edit window closed (`review-edit-window-closed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or text refused by screening (`text-screened-out`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/v1/quotes/{id}/review")]
pub async fn edit_review(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
    body: web::Json<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let quote_id = *id;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    own_quote(&principal, quote_id)?;
    let body = body.into_inner();
    // Microseconds: what Postgres keeps, so the answer and later reads agree.
    let now = state.clock.now().trunc_subsecs(6);
    let edited = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = repo::find_by_quote(conn, QuoteId(quote_id), true)
                .await?
                .ok_or_else(|| ApiError::not_found("this quote has no review yet"))?;
            domain::may_edit(current.created_at, now)?;
            let input = ReviewInput::parse(body.rating, body.text)?;
            let revision = Revision {
                id: Uuid::now_v7(),
                review_id: current.id,
                rating: current.rating,
                body_ciphertext: state.data_key.encrypt(current.body.as_bytes()),
                written_at: current.edited_at.unwrap_or(current.created_at),
                replaced_at: now,
            };
            let revised = Review {
                rating: input.rating,
                red_flags: domain::red_flags_of(&state.rules, &input.text),
                body: input.text,
                edited_at: Some(now),
                ..current
            };
            repo::edit_review(conn, &revised, revision).await?;
            Ok(revised)
        })
        .await?;
    let view = own_view(&state.data_key, &mut conn, edited).await?;
    private_json(StatusCode::OK, &view)
}

/// The patient's view of their review: the public view plus the edit deadline and history.
async fn own_view(
    data_key: &DataKey,
    conn: &mut AsyncPgConnection,
    review: Review,
) -> Result<OwnReviewResponse, ApiError> {
    let reply = repo::reply_to(conn, review.id).await?;
    let revisions = repo::revisions_of(conn, review.id)
        .await?
        .into_iter()
        .map(|r| {
            let text = data_key
                .decrypt(&r.body_ciphertext)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| ApiError::internal("a review revision does not decrypt"))?;
            Ok(RevisionResponse {
                rating: r.rating,
                text,
                written_at: r.written_at,
                replaced_at: r.replaced_at,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let editable_until = domain::edit_window_closes_at(review.created_at);
    Ok(OwnReviewResponse {
        review: ReviewResponse::from_rows(&(review, reply)),
        editable_until,
        revisions,
    })
}
