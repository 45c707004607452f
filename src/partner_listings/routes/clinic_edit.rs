//! Editing (JSON Merge Patch with `If-Match`) and deleting the partner's clinics.

use actix_web::http::StatusCode;
use actix_web::{delete, patch, web, HttpRequest, HttpResponse};
use diesel_async::AsyncConnection;
use serde_json::Value;
use uuid::Uuid;

use super::{own_clinic_or_404, partner_id, respond, LISTING};
use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::partner_listings::domain;
use crate::partner_listings::repo::{self, VocabularyData};
use crate::partner_listings::view::PartnerClinicResponse;
use crate::state::AppState;

/// Edit my clinic
///
/// A JSON Merge Patch (RFC 7396) of the listing fields. `If-Match` with the current ETag is
/// required (428 without, 412 when stale), so two concurrent edits cannot overwrite each other.
/// Read-only fields are refused. The red-flag rules run again.
#[utoipa::path(
    tag = "partner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("If-Match" = String, Header, description = "The clinic's current ETag", max_length = 1024, pattern = "^[ -~]+$")),
    request_body(content = Object, description = "JSON Merge Patch of the listing", content_type = "application/merge-patch+json",
        example = json!({"city": "Playa del Carmen", "patients_per_year": 800})),
    responses(
        (status = 200, description = "Updated", body = PartnerClinicResponse),
        (status = 404, description = "No such clinic of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/partner/clinics/{id}")]
pub async fn patch_clinic(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let clinic = own_clinic_or_404(&mut conn, partner, *id).await?;
    LISTING.check_if_match(&req, clinic.version, true)?;
    let patched = domain::merge_patched(&repo::clinic_input_of(&clinic), body.into_inner())
        .map_err(ApiError::validation)?;
    let vocab = VocabularyData::load(&mut conn).await?;
    let input = domain::check_clinic(patched, &vocab.view()).map_err(ApiError::validation)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        repo::write_clinic(conn, partner, Some((clinic.id, clinic.version)), &input)
            .await
            .map_err(repo::external_id_taken)?
            .ok_or_else(|| LISTING.lost_race())?;
        repo::after_change(conn, &state.rules, clinic.id).await?;
        Ok(())
    })
    .await?;
    respond(&mut conn, partner, clinic.id, StatusCode::OK).await
}

/// Delete my clinic
///
/// Unlists the clinic and its packages (soft delete: history and past quotes are kept).
#[utoipa::path(
    tag = "partner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("If-Match" = Option<String>, Header, description = "Optional: the current ETag", max_length = 1024, pattern = "^[ -~]+$")),
    responses(
        (status = 204, description = "Unlisted"),
        (status = 404, description = "No such clinic of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/partner/clinics/{id}")]
pub async fn delete_clinic(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let clinic = own_clinic_or_404(&mut conn, partner, *id).await?;
    LISTING.check_if_match(&req, clinic.version, false)?;
    repo::unlist_clinic(&mut conn, clinic.id, clinic.version).await?;
    Ok(HttpResponse::NoContent().finish())
}
