//! `/v1/admin/webhook-endpoints`: endpoints owned by staff (the coordinators). They receive the
//! events that concern no partner, such as `follow_up.due`; signing and delivery are the
//! partners' (same worker, same Standard Webhooks headers).

use actix_web::{delete, get, post, web, HttpResponse};
use uuid::Uuid;

use crate::auth::{require_admin, BearerToken};
use crate::error::{ApiError, Problem};
use crate::idempotency::IdempotencyKey;
use crate::state::AppState;
use crate::webhooks::dto::{
    CreateWebhookEndpointRequest, CreatedWebhookEndpoint, WebhookEndpointList, WebhookEndpointResponse,
};
use crate::webhooks::routes::endpoints;

/// Register a staff webhook endpoint
///
/// Admin keys only. Registers an `https:` URL for the coordinators' events (`follow_up.due`) and
/// answers 201 with its signing secret (`whsec_…`), shown only this once. The URL rules and the
/// cap (10 active endpoints) are the partners'.
#[utoipa::path(
    tag = "webhooks",
    request_body(content = CreateWebhookEndpointRequest, example = json!({
        "url": "https://coordinators.example.com/stemcare/webhooks",
        "description": "Follow-up desk"
    })),
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response, secret included")),
    responses(
        (status = 201, description = "Created; the secret is shown only now", body = CreatedWebhookEndpoint,
         headers(("Location" = String, description = "URL of the endpoint"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "URL refused, description too long, unknown field, too many endpoints, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/webhook-endpoints")]
pub async fn create_staff_webhook_endpoint(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    body: web::Json<CreateWebhookEndpointRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    require_admin(&mut conn, &bearer).await?;
    endpoints::create_endpoint(&state, conn, None, idempotency_key, body.into_inner()).await
}

/// List staff webhook endpoints
///
/// Admin keys only. The staff's active endpoints, oldest first, without their secrets.
#[utoipa::path(
    tag = "webhooks",
    responses(
        (status = 200, description = "The endpoints", body = WebhookEndpointList),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/webhook-endpoints")]
pub async fn list_staff_webhook_endpoints(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    require_admin(&mut conn, &bearer).await?;
    endpoints::list_endpoints(&mut conn, None).await
}

/// Get a staff webhook endpoint
///
/// Admin keys only; a partner's endpoint or a deleted one is a 404.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpointResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such staff endpoint", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/webhook-endpoints/{id}")]
pub async fn get_staff_webhook_endpoint(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    require_admin(&mut conn, &bearer).await?;
    endpoints::get_endpoint(&mut conn, None, *id).await
}

/// Delete a staff webhook endpoint
///
/// Admin keys only. Stops deliveries to it at once (pending ones become `failed`); a partner's
/// endpoint is a 404.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such staff endpoint", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/admin/webhook-endpoints/{id}")]
pub async fn delete_staff_webhook_endpoint(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    require_admin(&mut conn, &bearer).await?;
    endpoints::delete_endpoint(&mut conn, None, *id).await
}
