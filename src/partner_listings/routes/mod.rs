//! The partner listing handlers, one file per group of actions, and what they share: the
//! calling partner, `If-Match` checks and the partner's view of a listing as a response (the
//! write sequence itself is `partner_listings::write`, shared with practitioners).

mod clinic_edit;
mod clinic_write;
mod clinics_read;
mod imports;
mod packages;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use diesel_async::AsyncPgConnection;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::ApiError;
use crate::idempotency::StoredResponse;
use crate::partner_listings::repo;
use crate::partner_listings::view::{partner_view, PartnerPackageResponse};
use crate::partner_listings::write::{versioned_response, PartnerResource};

/// Registers the partner listing endpoints.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(clinics_read::list_own_clinics)
        .service(clinic_write::create_clinic)
        .service(clinic_write::upsert_clinic_by_external_id)
        .service(clinics_read::get_own_clinic)
        .service(clinic_edit::patch_clinic)
        .service(clinic_edit::delete_clinic)
        .service(packages::create_package)
        .service(packages::patch_package)
        .service(packages::delete_package)
        .service(imports::import_listings);
}

/// The calling partner's id; other roles get 403.
async fn partner_id(conn: &mut AsyncPgConnection, bearer: &BearerToken) -> Result<Uuid, ApiError> {
    crate::auth::require_partner(conn, bearer, "listing management needs a partner key").await
}

/// Clinics and packages in problems: "the listing changed …".
const LISTING: PartnerResource = PartnerResource { noun: "listing" };

/// The partner's own clinic, or 404 (another partner's clinic is not revealed).
async fn own_clinic_or_404(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    id: Uuid,
) -> Result<crate::clinics::model::Clinic, ApiError> {
    repo::own_clinic(conn, partner, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such clinic"))
}

/// The partner's view of one of its clinics, as the response.
async fn respond(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    id: Uuid,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    Ok(clinic_response(conn, partner, id, status).await?.into_http(false))
}

/// The partner's view of one of its clinics as a response (kept for `Idempotency-Key` replays).
async fn clinic_response(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    id: Uuid,
    status: StatusCode,
) -> Result<StoredResponse, ApiError> {
    let clinic = own_clinic_or_404(conn, partner, id).await?;
    let view = partner_view(conn, &clinic).await?;
    versioned_response(
        status,
        || format!("/v1/partner/clinics/{id}"),
        clinic.version,
        &view,
    )
}

/// The partner's view of one of its packages as a response (kept for `Idempotency-Key` replays).
async fn package_response(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    clinic_id: Uuid,
    package_id: Uuid,
    status: StatusCode,
) -> Result<StoredResponse, ApiError> {
    let clinic = own_clinic_or_404(conn, partner, clinic_id).await?;
    let view = partner_view(conn, &clinic).await?;
    let package: PartnerPackageResponse = view
        .treatment_packages
        .into_iter()
        .find(|p| p.id == package_id)
        .ok_or_else(|| ApiError::not_found("no such package"))?;
    versioned_response(
        status,
        || format!("/v1/partner/clinics/{clinic_id}/treatment-packages/{package_id}"),
        package.version,
        &package,
    )
}

/// The partner's own package of its own clinic, or 404.
async fn own_package(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    clinic_id: Uuid,
    package_id: Uuid,
) -> Result<crate::treatment_packages::model::TreatmentPackage, ApiError> {
    own_clinic_or_404(conn, partner, clinic_id).await?;
    repo::live_packages(conn, clinic_id)
        .await?
        .into_iter()
        .find(|p| p.id == package_id)
        .ok_or_else(|| ApiError::not_found("no such package"))
}
