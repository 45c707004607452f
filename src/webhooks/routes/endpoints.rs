//! `/v1/partner/webhook-endpoints`: a partner registers, lists and deletes its endpoints.

use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, post, web, HttpResponse};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, FieldError, Problem, ProblemKind};
use crate::http_cache::private_json;
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::state::AppState;
use crate::webhooks::dto::{
    CreateWebhookEndpointRequest, CreatedWebhookEndpoint, WebhookEndpointList, WebhookEndpointResponse,
};
use crate::webhooks::repo::{self, EndpointRow};
use crate::webhooks::routes::partner_of;
use crate::webhooks::{signing, url_check};

/// Active endpoints a partner may have.
pub const MAX_ENDPOINTS: i64 = 10;

fn present((id, url, description, created_at): EndpointRow) -> WebhookEndpointResponse {
    WebhookEndpointResponse {
        id,
        url,
        description,
        created_at,
    }
}

/// Register a webhook endpoint
///
/// Partner keys only. Registers an `https:` URL to receive this partner's events and answers 201
/// with a signing secret (`whsec_…`) that is shown only this once. The URL must be on the public
/// internet: loopback, private (RFC 1918, ULA), link-local, CGNAT, multicast, unspecified and
/// cloud metadata addresses are refused (422 pointing at `/url`), whether written as an IP or
/// reached through DNS. At most 10 active endpoints per partner.
#[utoipa::path(
    tag = "webhooks",
    request_body(content = CreateWebhookEndpointRequest, example = json!({
        "url": "https://partner.example.com/stemcare/webhooks",
        "description": "Production CRM"
    })),
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response, secret included")),
    responses(
        (status = 201, description = "Created; the secret is shown only now", body = CreatedWebhookEndpoint,
         headers(("Location" = String, description = "URL of the endpoint")),
         example = json!({"id": "0193a5c2-7d1e-7c3a-9f2b-5e8d4c3b2a10", "url": "https://partner.example.com/stemcare/webhooks",
            "description": "Production CRM", "created_at": "2026-11-29T10:00:00Z",
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwx2GFmbbwiqM="})),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "URL refused, description too long, unknown field, too many endpoints, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/partner/webhook-endpoints")]
pub async fn create_webhook_endpoint(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    body: web::Json<CreateWebhookEndpointRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let mut conn = state.pool.get().await?;
    let partner_id = partner_of(&bearer, &mut conn).await?;
    create_endpoint(&state, conn, Some(partner_id), idempotency_key, request).await
}

/// Where an owner's endpoints are served: the partner's or the staff's collection.
pub(super) fn collection(owner: Option<Uuid>) -> &'static str {
    match owner {
        Some(_) => "/v1/partner/webhook-endpoints",
        None => "/v1/admin/webhook-endpoints",
    }
}

/// Registers an endpoint for `owner` (a partner, or staff when `None`) once the caller is known.
pub(super) async fn create_endpoint(
    state: &AppState,
    mut conn: crate::db::DbConn,
    owner: Option<Uuid>,
    idempotency_key: IdempotencyKey,
    request: CreateWebhookEndpointRequest,
) -> Result<HttpResponse, ApiError> {
    let collection = collection(owner);
    let scope_owner = owner.map_or_else(|| "staff".to_owned(), |id| id.to_string());
    // A retry whose response was lost gets the same endpoint and secret, not a second endpoint.
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST {collection} {scope_owner}"),
        idempotency_key,
        &serde_json::to_value(&request).map_err(ApiError::internal)?,
    );
    if let Some(replayed) = idempotent.replay(&mut conn).await? {
        return Ok(replayed);
    }
    let mut errors = Vec::new();
    let policy = url_check::UrlPolicy {
        allow_insecure_localhost: state.settings.webhook_allow_insecure_localhost,
    };
    if let Err(message) = url_check::check(&request.url, policy).await {
        errors.push(FieldError {
            pointer: "/url".into(),
            message,
        });
    }
    let description = request.description.filter(|d| !d.trim().is_empty());
    if description
        .as_ref()
        .is_some_and(|d| !crate::text::is_free_text(d, 500))
    {
        errors.push(FieldError {
            pointer: "/description".into(),
            message: "must be at most 500 characters, without control characters".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let secret = signing::generate_secret();
    let sealed = state.data_key.encrypt(secret.as_bytes());
    let outcome = conn
        .transaction::<_, ApiError, _>(async |conn| {
            repo::lock_partner_endpoints(conn, owner).await?;
            let active = repo::count_active_endpoints(conn, owner).await?;
            if active >= MAX_ENDPOINTS {
                return Err(ApiError::validation(vec![FieldError {
                    pointer: "/url".into(),
                    message: format!("an owner may have at most {MAX_ENDPOINTS} endpoints; delete one first"),
                }]));
            }
            let row =
                repo::insert_endpoint(conn, owner, &request.url, &sealed, description.as_deref()).await?;
            let id = row.0;
            let stored = StoredResponse::created(
                format!("{collection}/{id}"),
                &CreatedWebhookEndpoint {
                    endpoint: present(row),
                    secret: secret.clone(),
                },
            )?;
            idempotent.record(conn, &stored, None).await?;
            Ok(stored)
        })
        .await;
    idempotent.respond(&mut conn, outcome).await
}

/// List webhook endpoints
///
/// Partner keys only. The partner's active endpoints, oldest first, without their secrets.
#[utoipa::path(
    tag = "webhooks",
    responses(
        (status = 200, description = "The endpoints", body = WebhookEndpointList,
         example = json!({"items": [{"id": "0193a5c2-7d1e-7c3a-9f2b-5e8d4c3b2a10", "url": "https://partner.example.com/stemcare/webhooks",
            "description": "Production CRM", "created_at": "2026-11-29T10:00:00Z"}]})),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/partner/webhook-endpoints")]
pub async fn list_webhook_endpoints(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner_id = partner_of(&bearer, &mut conn).await?;
    list_endpoints(&mut conn, Some(partner_id)).await
}

/// The owner's endpoints, presented.
pub(super) async fn list_endpoints(
    conn: &mut diesel_async::AsyncPgConnection,
    owner: Option<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let items = repo::own_endpoints(conn, owner, None)
        .await?
        .into_iter()
        .map(present)
        .collect();
    private_json(StatusCode::OK, &WebhookEndpointList { items })
}

/// Get a webhook endpoint
///
/// Partner keys only; another partner's endpoint, or a deleted one, is a 404.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpointResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint of this partner", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/partner/webhook-endpoints/{id}")]
pub async fn get_webhook_endpoint(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner_id = partner_of(&bearer, &mut conn).await?;
    get_endpoint(&mut conn, Some(partner_id), *id).await
}

/// One of the owner's endpoints, or 404.
pub(super) async fn get_endpoint(
    conn: &mut diesel_async::AsyncPgConnection,
    owner: Option<Uuid>,
    id: Uuid,
) -> Result<HttpResponse, ApiError> {
    let row = repo::own_endpoints(conn, owner, Some(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found(format!("no webhook endpoint has id {id}")))?;
    private_json(StatusCode::OK, &present(row))
}

/// Delete a webhook endpoint
///
/// Partner keys only. Stops deliveries to it at once (pending ones become `failed`); the record
/// and its delivery history are kept. Another partner's endpoint is a 404.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint of this partner", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/partner/webhook-endpoints/{id}")]
pub async fn delete_webhook_endpoint(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    let partner_id = partner_of(&bearer, &mut conn).await?;
    delete_endpoint(&mut conn, Some(partner_id), id).await
}

/// Deletes one of the owner's endpoints, or 404.
pub(super) async fn delete_endpoint(
    conn: &mut diesel_async::AsyncPgConnection,
    owner: Option<Uuid>,
    id: Uuid,
) -> Result<HttpResponse, ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        if !repo::delete_endpoint(conn, owner, id).await? {
            return Err(ApiError::new(
                ProblemKind::NotFound,
                format!("no webhook endpoint has id {id}"),
            ));
        }
        repo::fail_pending_deliveries(conn, id).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
