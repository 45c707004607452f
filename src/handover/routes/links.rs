//! The patient's doctor links: `POST /v1/quotes/{id}/handover-links` and
//! `DELETE /v1/quotes/{id}/handover-links/{link_id}`.

use actix_web::http::header;
use actix_web::{delete, post, web, HttpResponse};
use chrono::Duration;
use uuid::Uuid;

use crate::auth::{BearerToken, Principal};
use crate::crypto::{random_token, secret_hash};
use crate::error::{ApiError, Problem};
use crate::handover::domain::{link_days, LINK_TOKEN_PREFIX};
use crate::handover::dto::{CreateHandoverLinkRequest, HandoverLinkResponse};
use crate::handover::repo;
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::ids::QuoteId;
use crate::quotes::domain::{conflict, QuoteStatus};
use crate::quotes::repo as quotes_repo;
use crate::state::AppState;
use crate::treatments::repo as treatments_repo;

/// `Ok` for the patient of this quote; 404 for another patient and for keys that may not see the
/// quote, 403 for keys that may.
async fn own_quote(
    conn: &mut diesel_async::AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<(), ApiError> {
    match principal {
        Principal::Patient { quote_id } if *quote_id == id => Ok(()),
        Principal::Patient { .. } => Err(ApiError::not_found(format!("no quote has id {id}"))),
        other => {
            quotes_repo::visible_quote(conn, other, id).await?;
            Err(crate::auth::forbidden(
                "only the patient gives or revokes a doctor's link",
            ))
        }
    }
}

/// Create a doctor's link
///
/// The patient makes a read-only link to their handover pack for a doctor: it opens
/// `GET /v1/handover/{token}` without any other credential, for `expires_in_days` (1–90, default
/// 30), until revoked. The token is shown once (only its hash is stored) and reaches nothing but
/// this pack. The quote must be `treated`.
#[utoipa::path(
    tag = "treatments",
    params(
        ("id" = Uuid, Path, description = "Quote id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response instead of making a second link"),
    ),
    request_body(content = CreateHandoverLinkRequest, example = json!({"expires_in_days": 30})),
    responses(
        (status = 201, description = "The link", body = HandoverLinkResponse,
         headers(("Location" = String, description = "URL of the link (for revoking it)"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the patient makes links", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The quote is not treated (or its data was erased)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`expires_in_days` out of range, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/quotes/{id}/handover-links")]
pub async fn create_handover_link(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Json<CreateHandoverLinkRequest>,
) -> Result<HttpResponse, ApiError> {
    let quote_id = *id;
    let request = body.into_inner();
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    own_quote(&mut conn, &principal, quote_id).await?;
    let days = link_days(request.expires_in_days)?;
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST /v1/quotes/{quote_id}/handover-links"),
        idempotency_key,
        &serde_json::to_value(&request).map_err(ApiError::internal)?,
    );
    let now = state.clock.now();
    idempotent
        .create(&mut conn, Some(quote_id), async |conn| {
            let quote = quotes_repo::lock(conn, quote_id).await?;
            let wanted = "shared with a doctor";
            if quote.erased_at.is_some() {
                return Err(conflict("quote", "erased", wanted));
            }
            let treated = treatments_repo::find_by_quote(conn, QuoteId(quote_id)).await?;
            if quote.status != QuoteStatus::Treated || treated.is_none() {
                return Err(conflict("quote", quote.status.as_str(), wanted));
            }
            let token = random_token(LINK_TOKEN_PREFIX);
            let link = repo::insert(
                conn,
                quote_id,
                &secret_hash(&token),
                now,
                now + Duration::days(days),
            )
            .await?;
            StoredResponse::created(
                format!("/v1/quotes/{quote_id}/handover-links/{}", link.id),
                &HandoverLinkResponse {
                    id: link.id,
                    url: format!("/v1/handover/{token}"),
                    token,
                    expires_at: link.expires_at,
                },
            )
        })
        .await
}

/// Revoke a doctor's link
///
/// The patient revokes a link: from then on it answers 410. Revoking twice changes nothing.
#[utoipa::path(
    tag = "treatments",
    params(("id" = Uuid, Path, description = "Quote id"), ("link_id" = Uuid, Path, description = "Link id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the patient revokes links", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote or link", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/quotes/{id}/handover-links/{link_id}")]
pub async fn revoke_handover_link(
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (quote_id, link_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    own_quote(&mut conn, &principal, quote_id).await?;
    if !repo::revoke(&mut conn, quote_id, link_id, state.clock.now()).await? {
        return Err(ApiError::not_found(format!(
            "no link {link_id} on quote {quote_id}"
        )));
    }
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
