//! Staff and partner API keys: issue, list, revoke and rotate. A secret is shown once, in the
//! response that creates it (and in replays of that response for the same `Idempotency-Key`).

use actix_web::{get, post, web, HttpResponse};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::admin::domain::{check_key_name, field_error};
use crate::admin::dto::{ApiKeyInput, ApiKeyResponse};
use crate::admin::repo::api_keys as repo;
use crate::admin::repo::partners as partners_repo;
use crate::auth::{require_admin, BearerToken};
use crate::error::{ApiError, Problem};
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::state::AppState;

/// Create an API key
///
/// The secret is in this response only; StemCare keeps its hash.
#[utoipa::path(
    tag = "admin",
    request_body = ApiKeyInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response, secret included")),
    responses(
        (status = 201, description = "Created, with the secret", body = ApiKeyResponse),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid role or partner, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    body: web::Json<ApiKeyInput>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_admin(&mut conn, &bearer).await?;
    let body = body.into_inner();
    // A retry whose response was lost gets the same key and secret, not a second key.
    let idempotent = Idempotent::new(
        &state.data_key,
        format!(
            "POST /v1/admin/api-keys {}",
            principal.key_id().unwrap_or_default()
        ),
        idempotency_key,
        &serde_json::to_value(&body).map_err(ApiError::internal)?,
    );
    idempotent
        .create(&mut conn, None, async |conn| {
            check_key_name(&body).map_err(ApiError::validation)?;
            if let Some(partner_id) = body.partner_id {
                if !partners_repo::partner_exists(conn, partner_id).await? {
                    return Err(ApiError::validation(field_error(
                        "/partner_id",
                        "is not a partner",
                    )));
                }
            }
            let created =
                crate::auth::api_keys::create(conn, &body.role, body.partner_id, body.name.as_deref())
                    .await
                    .map_err(|message| ApiError::validation(field_error("/role", message)))?;
            crate::audit::record_admin(
                conn,
                &principal,
                "create_api_key",
                &format!("api_key:{}", created.id),
            )
            .await?;
            created_key_response(conn, created).await
        })
        .await
}

/// The 201 for a new key: its view with the secret, the only time the secret is shown.
async fn created_key_response(
    conn: &mut AsyncPgConnection,
    created: crate::auth::api_keys::CreatedKey,
) -> Result<StoredResponse, ApiError> {
    let mut view = key_view(conn, created.id).await?;
    view.secret = Some(created.secret);
    Ok(StoredResponse {
        status: 201,
        location: None,
        etag: None,
        body: serde_json::to_vec(&view).map_err(ApiError::internal)?,
    })
}

/// What an admin sees of a key, without its secret.
async fn key_view(conn: &mut AsyncPgConnection, id: Uuid) -> Result<ApiKeyResponse, ApiError> {
    let row = repo::key(conn, id).await?;
    Ok(ApiKeyResponse {
        id: row.id,
        prefix: row.prefix,
        role: row.role,
        partner_id: row.partner_id,
        name: row.name,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
        secret: None,
    })
}

/// List API keys
///
/// Every key with its prefix, role and state; never secrets.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Keys", body = Vec<ApiKeyResponse>),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    require_admin(&mut conn, &bearer).await?;
    let ids = repo::key_ids(&mut conn).await?;
    let mut views = Vec::with_capacity(ids.len());
    for id in ids {
        views.push(key_view(&mut conn, id).await?);
    }
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(views))
}

/// Revoke an API key
///
/// The key stops working at once.
#[utoipa::path(
    tag = "admin",
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 200, description = "Revoked", body = ApiKeyResponse),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No active key with this id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/api-keys/{id}/revoke")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_admin(&mut conn, &bearer).await?;
    let revoked = crate::auth::api_keys::revoke(&mut conn, &id.to_string())
        .await
        .map_err(ApiError::internal)?;
    if !revoked {
        return Err(ApiError::not_found(format!("no active key has id {id}")));
    }
    crate::audit::record_admin(&mut conn, &principal, "revoke_api_key", &format!("api_key:{id}")).await?;
    Ok(HttpResponse::Ok().json(key_view(&mut conn, *id).await?))
}

/// Rotate an API key
///
/// Issues a new key with the same role, partner and name, and revokes the old one in the same
/// transaction. The new secret is in this response only.
#[utoipa::path(
    tag = "admin",
    params(
        ("id" = Uuid, Path, description = "Key id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; a retry with the same key replays the first response, new secret included (without one, a retry finds the old key revoked: 404)"),
    ),
    responses(
        (status = 201, description = "The new key, with its secret", body = ApiKeyResponse),
        (status = 400, description = "Malformed Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No active key with this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/api-keys/{id}/rotate")]
pub async fn rotate_api_key(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_admin(&mut conn, &bearer).await?;
    let old = *id;
    // The request is the path: the scope names the key; there is no body.
    let idempotent = Idempotent::new(
        &state.data_key,
        format!(
            "POST /v1/admin/api-keys/{old}/rotate {}",
            principal.key_id().unwrap_or_default()
        ),
        idempotency_key,
        &serde_json::Value::Null,
    );
    idempotent
        .create(&mut conn, None, async |conn| {
            let (role, partner_id, name) = repo::active_key_grant(conn, old)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("no active key has id {old}")))?;
            let created = crate::auth::api_keys::create(conn, &role, partner_id, name.as_deref())
                .await
                .map_err(ApiError::internal)?;
            crate::auth::api_keys::revoke(conn, &old.to_string())
                .await
                .map_err(ApiError::internal)?;
            crate::audit::record_admin(conn, &principal, "rotate_api_key", &format!("api_key:{old}")).await?;
            created_key_response(conn, created).await
        })
        .await
}
