//! Reading the partner's own clinics.

use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpResponse};
use uuid::Uuid;

use super::{partner_id, respond};
use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::partner_listings::repo;
use crate::partner_listings::view::{partner_view, PartnerClinicResponse};
use crate::state::AppState;

/// List my clinics
///
/// The calling partner's clinics (not deleted), with their moderation status and versions.
#[utoipa::path(
    tag = "partner",
    responses(
        (status = 200, description = "The partner's clinics", body = Vec<PartnerClinicResponse>),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/partner/clinics")]
pub async fn list_own_clinics(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let rows = repo::own_clinics(&mut conn, partner).await?;
    let mut views = Vec::with_capacity(rows.len());
    for clinic in &rows {
        views.push(partner_view(&mut conn, clinic).await?);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(views))
}

/// Get my clinic
///
/// One of the calling partner's clinics, with its `ETag` for `If-Match`. Another partner's clinic is a 404.
#[utoipa::path(
    tag = "partner",
    params(("id" = Uuid, Path, description = "Clinic id")),
    responses(
        (status = 200, description = "The clinic", body = PartnerClinicResponse, headers(("ETag" = String, description = "Version for If-Match"))),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic of yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/partner/clinics/{id}")]
pub async fn get_own_clinic(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    respond(&mut conn, partner, *id, StatusCode::OK).await
}
