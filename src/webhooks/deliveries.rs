//! `/v1/partner/webhook-deliveries`: what was sent where, every attempt, and manual retries.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints, webhook_events};
use crate::error::{ApiError, Problem, ProblemKind};
use crate::http_cache::private_json;
use crate::pagination::{page_size, split_page, Cursor, Page};
use crate::state::AppState;
use crate::webhooks::dto::{DeliveryListParams, WebhookAttemptResponse, WebhookDeliveryResponse};
use crate::webhooks::routes::partner_of;

/// Registers the delivery-log routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_webhook_deliveries)
        .service(retry_webhook_delivery);
}

type DeliveryRow = (
    (Uuid, Uuid, Uuid, String, i32),
    (
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<i32>,
        Option<String>,
        DateTime<Utc>,
    ),
    (String, serde_json::Value),
);

type AttemptRow = (Uuid, DateTime<Utc>, Option<i32>, Option<String>, i32);

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
            "status": "succeeded", "attempt_count": 2, "next_attempt_at": null,
            "last_attempt_at": "2026-11-29T10:00:05Z", "last_status_code": 200, "last_error": null,
            "created_at": "2026-11-29T10:00:00Z",
            "payload": {"id": "0193a5c3-0000-7c3a-9f2b-5e8d4c3b2a10", "type": "offer.accepted", "created_at": "2026-11-29T10:00:00Z",
                "data": {"quote_id": "5b0c6f1e-2d4a-4c8e-9a7b-1f2e3d4c5b6a", "offer_id": "7d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70",
                         "clinic_id": "6f1c2b7e-4c1a-4f5e-9d0b-3a2e1c0b9a88", "status": "accepted"}},
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
    let mut query = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::partner_id.eq(partner_id))
        .select((
            (
                webhook_deliveries::id,
                webhook_deliveries::event_id,
                webhook_deliveries::endpoint_id,
                webhook_deliveries::status,
                webhook_deliveries::attempts,
            ),
            (
                webhook_deliveries::next_attempt_at,
                webhook_deliveries::last_attempt_at,
                webhook_deliveries::last_status_code,
                webhook_deliveries::last_error,
                webhook_deliveries::created_at,
            ),
            (webhook_events::type_, webhook_events::payload),
        ))
        .into_boxed();
    if let Some(token) = &params.page_token {
        let cursor = state.page_tokens.verify(&scope, token)?;
        let at = cursor
            .key
            .as_i64()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(|| ApiError::new(ProblemKind::InvalidPageToken, "is not a page token"))?;
        query = query.filter(
            webhook_deliveries::created_at
                .lt(at)
                .or(webhook_deliveries::created_at
                    .eq(at)
                    .and(webhook_deliveries::id.lt(cursor.id))),
        );
    }
    let rows: Vec<DeliveryRow> = query
        .order((
            webhook_deliveries::created_at.desc(),
            webhook_deliveries::id.desc(),
        ))
        .limit(size + 1)
        .load(&mut conn)
        .await?;
    let (rows, next) = split_page(rows, size, |r| Cursor {
        key: r.1 .4.timestamp_micros().into(),
        id: r.0 .0,
    });
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0 .0).collect();
    let attempts: Vec<AttemptRow> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(&ids))
        .order(webhook_attempts::id.asc())
        .select((
            webhook_attempts::delivery_id,
            webhook_attempts::at,
            webhook_attempts::status_code,
            webhook_attempts::error,
            webhook_attempts::duration_ms,
        ))
        .load(&mut conn)
        .await?;
    let items = rows
        .into_iter()
        .map(
            |((id, event_id, endpoint_id, status, attempt_count), more, (event_type, payload))| {
                let (next_attempt_at, last_attempt_at, last_status_code, last_error, created_at) = more;
                WebhookDeliveryResponse {
                    id,
                    event_id,
                    event_type,
                    endpoint_id,
                    status,
                    attempt_count,
                    next_attempt_at,
                    last_attempt_at,
                    last_status_code,
                    last_error,
                    created_at,
                    payload,
                    attempts: attempts
                        .iter()
                        .filter(|a| a.0 == id)
                        .map(
                            |(_, at, status_code, error, duration_ms)| WebhookAttemptResponse {
                                at: *at,
                                status_code: *status_code,
                                error: error.clone(),
                                duration_ms: *duration_ms,
                            },
                        )
                        .collect(),
                }
            },
        )
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
    let endpoint_deleted: Option<Option<DateTime<Utc>>> = webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::partner_id.eq(partner_id))
        .select(webhook_endpoints::deleted_at)
        .first(&mut conn)
        .await
        .optional()?;
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
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq("pending"),
            webhook_deliveries::next_attempt_at.eq(diesel::dsl::now),
            webhook_deliveries::updated_at.eq(diesel::dsl::now),
        ))
        .execute(&mut conn)
        .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish())
}
