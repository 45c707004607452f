//! The moderation queue and decisions on the listings in it.

use actix_web::{get, post, web, HttpResponse};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::admin::domain::Decision;
use crate::admin::dto::{ModerationDecision, ModerationItem};
use crate::admin::repo::moderation as repo;
use crate::auth::{require_admin, BearerToken};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Moderation queue
///
/// Listings held back because their text or fields raised red flags, oldest first.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Listings waiting for a decision", body = Vec<ModerationItem>),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/moderation")]
pub async fn moderation_queue(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    require_admin(&mut conn, &bearer).await?;
    let pending = repo::pending_clinics(&mut conn).await?;
    let ids: Vec<Uuid> = pending.iter().map(|c| c.id).collect();
    let mut flags = crate::red_flags::repo::detections_for(&mut &*conn, &ids).await?;
    let items: Vec<ModerationItem> = pending
        .into_iter()
        .map(|c| ModerationItem {
            red_flags: flags
                .remove(&c.id)
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            clinic_id: c.id,
            name: c.name,
            partner_id: c.partner_id,
            status: c.status,
            updated_at: c.updated_at,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(items))
}

/// Decide on a listing
///
/// Approve (publish; its red flags stay visible to patients) or reject a listing in moderation.
#[utoipa::path(
    tag = "admin",
    params(("clinic_id" = Uuid, Path, description = "Clinic id")),
    request_body = ModerationDecision,
    responses(
        (status = 200, description = "Decided"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No listing waiting for moderation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid decision", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/moderation/{clinic_id}")]
pub async fn moderate_listing(
    state: web::Data<AppState>,
    bearer: BearerToken,
    clinic_id: web::Path<Uuid>,
    body: web::Json<ModerationDecision>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_admin(&mut conn, &bearer).await?;
    let decision = Decision::parse(&body).map_err(ApiError::validation)?;
    let id = *clinic_id;
    conn.transaction::<_, ApiError, _>(async |conn| {
        if !repo::decide(conn, id, decision.status, &decision.reason).await? {
            return Err(ApiError::not_found(format!(
                "no listing {id} is waiting for moderation"
            )));
        }
        crate::audit::record_admin(
            conn,
            &principal,
            &format!("moderation_{}", decision.verb),
            &format!("clinic:{id}"),
        )
        .await?;
        if let Some(partner_id) = repo::clinic_owner(conn, id).await? {
            crate::webhooks::outbox::listing_moderated(conn, partner_id, id, decision.status.as_str())
                .await?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"clinic_id": id, "status": decision.status})))
}
