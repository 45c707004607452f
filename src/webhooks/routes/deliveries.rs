//! `/v1/partner/webhook-deliveries`: what was sent where, every attempt, and manual retries.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use chrono::DateTime;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, Problem, ProblemKind};
use crate::http_cache::private_json;
use crate::pagination::{page_size, split_page, Cursor, Page};
use crate::state::AppState;
use crate::webhooks::domain::DeliveryStatus;
use crate::webhooks::dto::{DeliveryListParams, WebhookAttemptResponse, WebhookDeliveryResponse};
use crate::webhooks::repo;
use crate::webhooks::routes::partner_of;

/// List webhook deliveries
///
/// Partner keys only. The partner's deliveries, newest first, each with its payload and every
/// attempt (status code, error, duration). A page at a time (`page_size`, `page_token`).
#[utoipa::path(
    tag = "webhooks",
    params(DeliveryListParams),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<WebhookDeliveryResponse>,
         example = json!({"items": [{
            "id": "0193a5c3-1111-7c3a-9f2b-5e8d4c3b2a10", "event_id": "0193a5c3-0000-7c3a-9f2b-5e8d4c3b2a10",
            "event_type": "offer.accepted", "endpoint_id": "0193a5c2-7d1e-7c3a-9f2b-5e8d4c3b2a10",
            "status": DeliveryStatus::Succeeded, "attempt_count": 2, "next_attempt_at": null,
            "last_attempt_at": "2026-11-29T10:00:05Z", "last_status_code": 200, "last_error": null,
            "created_at": "2026-11-29T10:00:00Z",
            "payload": {"id": "0193a5c3-0000-7c3a-9f2b-5e8d4c3b2a10", "type": "offer.accepted", "created_at": "2026-11-29T10:00:00Z",
                "data": {"quote_id": "5b0c6f1e-2d4a-4c8e-9a7b-1f2e3d4c5b6a", "offer_id": "7d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70",
                         "clinic_id": "6f1c2b7e-4c1a-4f5e-9d0b-3a2e1c0b9a88", "status": crate::states::OfferStatus::Accepted}},
            "attempts": [
                {"at": "2026-11-29T10:00:00Z", "status_code": 500, "error": null, "duration_ms": 41},
                {"at": "2026-11-29T10:00:05Z", "status_code": 200, "error": null, "duration_ms": 38}
            ]}], "next_page_token": null})),
        (status = 400, description = "Bad page size or page token", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/partner/webhook-deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    bearer: BearerToken,
    params: web::Query<DeliveryListParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner_id = partner_of(&bearer, &mut conn).await?;
    let size = page_size(params.page_size)?;
    let scope = format!("webhook-deliveries|partner={partner_id}");
    let after = match &params.page_token {
        Some(token) => {
            let cursor = state.page_tokens.verify(&scope, token)?;
            let at = cursor
                .key
                .as_i64()
                .and_then(DateTime::from_timestamp_micros)
                .ok_or_else(|| ApiError::new(ProblemKind::InvalidPageToken, "is not a page token"))?;
            Some((at, cursor.id))
        }
        None => None,
    };
    let rows = repo::delivery_page(&mut conn, partner_id, after, size + 1).await?;
    let (rows, next) = split_page(rows, size, |r| Cursor {
        key: r.created_at.timestamp_micros().into(),
        id: r.id,
    });
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let attempts = repo::attempts_of(&mut conn, &ids).await?;
    let items = rows
        .into_iter()
        .map(|row| WebhookDeliveryResponse {
            attempts: attempts
                .iter()
                .filter(|a| a.0 == row.id)
                .map(
                    |(_, at, status_code, error, duration_ms)| WebhookAttemptResponse {
                        at: *at,
                        status_code: *status_code,
                        error: error.clone(),
                        duration_ms: *duration_ms,
                    },
                )
                .collect(),
            id: row.id,
            event_id: row.event_id,
            event_type: row.event_type,
            endpoint_id: row.endpoint_id,
            status: row.status.as_str().to_owned(),
            attempt_count: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_attempt_at: row.last_attempt_at,
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            created_at: row.created_at,
            payload: row.payload,
        })
        .collect();
    let next_page_token = next.map(|cursor| state.page_tokens.issue(&scope, &cursor));
    private_json(
        StatusCode::OK,
        &Page {
            items,
            next_page_token,
        },
    )
}

/// Retry a webhook delivery
///
/// Partner keys only. Queues the delivery to be sent again now (whatever its status) and answers
/// 202; the worker sends it within seconds with the same `webhook-id`. A delivery to a deleted
/// endpoint cannot be retried (409). Another partner's delivery is a 404.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Delivery id")),
    responses(
        (status = 202, description = "Queued"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery of this partner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint was deleted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/partner/webhook-deliveries/{id}/retry")]
pub async fn retry_webhook_delivery(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    let partner_id = partner_of(&bearer, &mut conn).await?;
    let endpoint_deleted = repo::delivery_endpoint_deleted_at(&mut conn, partner_id, id).await?;
    match endpoint_deleted {
        None => return Err(ApiError::not_found(format!("no webhook delivery has id {id}"))),
        Some(Some(_)) => {
            return Err(ApiError::new(
                ProblemKind::Conflict,
                "the endpoint of this delivery was deleted; register it again to receive new events",
            ))
        }
        Some(None) => {}
    }
    repo::requeue_delivery(&mut conn, id).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish())
}
