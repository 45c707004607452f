//! Partner organisations and the clinics they manage.

use actix_web::{get, post, web, HttpResponse};

use crate::admin::domain::field_error;
use crate::admin::dto::{PartnerInput, PartnerResponse};
use crate::admin::repo::partners::{self as repo, PartnerRow};
use crate::auth::{require_admin, BearerToken};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

fn present(row: PartnerRow) -> PartnerResponse {
    PartnerResponse {
        id: row.id,
        name: row.name,
        created_at: row.created_at,
    }
}

/// Create a partner
///
/// Creates (or finds by name) a partner organisation and hands it the listed clinics.
#[utoipa::path(
    tag = "admin",
    request_body = PartnerInput,
    responses(
        (status = 201, description = "Created", body = PartnerResponse),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or unknown clinic", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/partners")]
pub async fn create_partner(
    state: web::Data<AppState>,
    bearer: BearerToken,
    body: web::Json<PartnerInput>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_admin(&mut conn, &bearer).await?;
    let id = crate::partners::create_with_clinics(&mut conn, &body.name, &body.clinic_slugs)
        .await
        .map_err(|message| ApiError::validation(field_error("", message)))?;
    crate::audit::record_admin(&mut conn, &principal, "create_partner", &format!("partner:{id}")).await?;
    let partner = present(repo::partner(&mut conn, id).await?);
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/admin/partners/{id}")))
        .json(partner))
}

/// List partners
///
/// Every partner organisation, oldest first.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Partners", body = Vec<PartnerResponse>),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/partners")]
pub async fn list_partners(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    require_admin(&mut conn, &bearer).await?;
    let rows: Vec<PartnerResponse> = repo::all_partners(&mut conn)
        .await?
        .into_iter()
        .map(present)
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}
