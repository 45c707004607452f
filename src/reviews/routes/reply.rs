//! The clinic's one reply to a review of it.

use actix_web::{post, web, HttpResponse};
use chrono::SubsecRound;
use uuid::Uuid;

use crate::auth::{require_partner, BearerToken};
use crate::error::{ApiError, Problem};
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::ids::{ClinicId, PartnerId, ReviewId};
use crate::reviews::domain::{self, ReplyInput};
use crate::reviews::dto::{ReplyRequest, ReviewResponse};
use crate::reviews::model::Reply;
use crate::reviews::repo;
use crate::reviews::routes::announce;
use crate::state::AppState;
use crate::states::ReviewEvent;
use crate::webhooks::outbox::EventType;

/// Reply to a review of my clinic
///
/// The partner of the reviewed clinic replies, once per review (a second reply: 409). The reply
/// is screened like reviews (422 `text-screened-out` names what to remove), published under the
/// review with the red flags its claims raise, and announced as `review.replied`. Another
/// partner's clinic, or a review of another clinic, is a 404. Takes an `Idempotency-Key`.
#[utoipa::path(
    tag = "reviews",
    params(
        ("clinic_id" = Uuid, Path, description = "The partner's clinic"),
        ("review_id" = Uuid, Path, description = "A review of that clinic"),
    ),
    request_body = ReplyRequest,
    responses(
        (status = 201, description = "The review with its reply", body = ReviewResponse,
         headers(("Location" = String, description = "The clinic's public review list"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not your clinic, or no such review of it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The review already has a reply", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid text, or refused by screening (`text-screened-out`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/partner/clinics/{clinic_id}/reviews/{review_id}/reply")]
pub async fn reply_to_review(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<ReplyRequest>,
) -> Result<HttpResponse, ApiError> {
    let (clinic_id, review_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let partner_id =
        PartnerId(require_partner(&mut conn, &bearer, "only the clinic's partner may reply").await?);
    let not_found = || ApiError::not_found(format!("your clinic {clinic_id} has no review {review_id}"));
    if !repo::partner_owns_clinic(&mut conn, partner_id, ClinicId(clinic_id)).await? {
        return Err(not_found());
    }
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).map_err(ApiError::internal)?;
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST /v1/partner/reviews/{review_id}/reply {partner_id}"),
        idempotency_key,
        &fingerprint,
    );
    // Microseconds: what Postgres keeps, so the answer and later reads agree.
    let now = state.clock.now().trunc_subsecs(6);
    idempotent
        .create(&mut conn, None, async |conn| {
            let review = repo::find(conn, ReviewId(review_id))
                .await?
                .filter(|r| r.clinic_id == ClinicId(clinic_id))
                .ok_or_else(not_found)?;
            let input = ReplyInput::parse(body.text)?;
            let reply = Reply {
                review_id: review.id,
                partner_id,
                red_flags: domain::red_flags_of(&state.rules, &input.text),
                body: input.text,
                created_at: now,
            };
            repo::insert_reply(conn, &reply).await.map_err(repo::conflict_on(
                "review_replies_pkey",
                "this review already has your reply; a clinic replies once",
            ))?;
            announce(conn, &review, EventType::ReviewReplied, ReviewEvent::Replied).await?;
            let view = ReviewResponse::from_rows(&(review, Some(reply)));
            StoredResponse::created(format!("/v1/clinics/{clinic_id}/reviews"), &view)
        })
        .await
}
