//! The append-only audit log.

use actix_web::{get, web, HttpResponse};

use crate::admin::dto::AuditEntry;
use crate::admin::repo::audit_log as repo;
use crate::auth::{require_admin, BearerToken};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Read the audit log
///
/// The newest 500 entries: reads of personal data and admin writes. Append-only.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Audit entries, newest first", body = Vec<AuditEntry>),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/audit-log")]
pub async fn read_audit_log(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    require_admin(&mut conn, &bearer).await?;
    let entries: Vec<AuditEntry> = repo::newest(&mut conn, 500)
        .await?
        .into_iter()
        .map(|row| AuditEntry {
            id: row.id,
            at: row.at,
            actor_key_id: row.actor_key_id,
            actor_role: row.actor_role,
            action: row.action,
            quote_id: row.quote_id,
            subject: row.subject,
            request_id: row.request_id,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(entries))
}
