//! The packages of the partner's clinics: add, edit (merge patch with `If-Match`), delete.

use actix_web::http::StatusCode;
use actix_web::{delete, patch, post, web, HttpRequest, HttpResponse};
use diesel_async::AsyncConnection;
use serde_json::Value;
use uuid::Uuid;

use super::{own_clinic_or_404, own_package, package_response, partner_id, LISTING};
use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::idempotency::{IdempotencyKey, Idempotent};
use crate::partner_listings::domain;
use crate::partner_listings::dto::PackageInput;
use crate::partner_listings::repo::{self, VocabularyData};
use crate::partner_listings::view::PartnerPackageResponse;
use crate::state::AppState;

/// Add a package to my clinic
///
/// Prices are `clinic_listed`, exclusions are required (may be empty), and items neither included
/// nor excluded are shown to patients as unknown. The red-flag rules run again.
#[utoipa::path(
    tag = "partner",
    params(
        ("id" = Uuid, Path, description = "Clinic id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response instead of adding a second package"),
    ),
    request_body(content = PackageInput, example = json!({
        "title": "Bone marrow cell injection for disc degeneration", "conditions": ["degenerative-disc-disease"],
        "cell_type": "bm-msc", "cell_source": "autologous", "administration_method": "intradiscal-injection",
        "injections": 1, "price": {"min": "6500.00", "max": "8000.00", "currency": "USD"}, "price_basis": "package",
        "inclusions": ["consultation", "diagnostics", "cell_extraction", "cell_processing", "injection_with_imaging_guidance"],
        "exclusions": ["accommodation_nights", "airport_transfers"]
    })),
    responses(
        (status = 201, description = "Created", body = PartnerPackageResponse,
         headers(("Location" = String, description = "URL of the package"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/partner/clinics/{id}/treatment-packages")]
pub async fn create_package(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let clinic = own_clinic_or_404(&mut conn, partner, *id).await?;
    let body = body.into_inner();
    let idempotent = Idempotent::new(
        &state.data_key,
        format!(
            "POST /v1/partner/clinics/{}/treatment-packages {partner}",
            clinic.id
        ),
        idempotency_key,
        &body,
    );
    idempotent
        .create(&mut conn, None, async |conn| {
            let vocab = VocabularyData::load(conn).await?;
            let input = domain::parse_package(body, &vocab.view()).map_err(ApiError::validation)?;
            let (package_id, _) = repo::write_package(conn, clinic.id, None, &input, &vocab.inclusions)
                .await?
                .ok_or_else(|| ApiError::internal("insert returned nothing"))?;
            repo::after_change(conn, &state.rules, clinic.id).await?;
            package_response(conn, partner, clinic.id, package_id, StatusCode::CREATED).await
        })
        .await
}

/// Edit a package of my clinic
///
/// JSON Merge Patch with `If-Match`, as for clinics.
#[utoipa::path(
    tag = "partner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("package_id" = Uuid, Path, description = "Package id"),
           ("If-Match" = String, Header, description = "The package's current ETag", max_length = 1024, pattern = "^[ -~]+$")),
    request_body(content = Object, description = "JSON Merge Patch of the package", content_type = "application/merge-patch+json",
        example = json!({"price": {"min": "6900.00", "max": "8200.00", "currency": "USD"}})),
    responses(
        (status = 200, description = "Updated", body = PartnerPackageResponse),
        (status = 404, description = "No such package of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/partner/clinics/{id}/treatment-packages/{package_id}")]
pub async fn patch_package(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (clinic_id, package_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let package = own_package(&mut conn, partner, clinic_id, package_id).await?;
    LISTING.check_if_match(&req, package.version, true)?;
    let patched = domain::merge_patched(&repo::package_input_of(&package), body.into_inner())
        .map_err(ApiError::validation)?;
    let vocab = VocabularyData::load(&mut conn).await?;
    let input = domain::check_package(patched, &vocab.view()).map_err(ApiError::validation)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        repo::write_package(
            conn,
            clinic_id,
            Some((package.id, package.version)),
            &input,
            &vocab.inclusions,
        )
        .await?
        .ok_or_else(|| LISTING.lost_race())?;
        repo::after_change(conn, &state.rules, clinic_id).await?;
        Ok(())
    })
    .await?;
    Ok(
        package_response(&mut conn, partner, clinic_id, package_id, StatusCode::OK)
            .await?
            .into_http(false),
    )
}

/// Delete a package of my clinic
///
/// Unlists the package (soft delete).
#[utoipa::path(
    tag = "partner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("package_id" = Uuid, Path, description = "Package id")),
    responses(
        (status = 204, description = "Unlisted"),
        (status = 404, description = "No such package of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/partner/clinics/{id}/treatment-packages/{package_id}")]
pub async fn delete_package(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (clinic_id, package_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let package = own_package(&mut conn, partner, clinic_id, package_id).await?;
    LISTING.check_if_match(&req, package.version, false)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        repo::unlist_package(conn, package.id, package.version).await?;
        repo::after_change(conn, &state.rules, clinic_id).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
