//! The partner listing handlers, one file per group of actions, and what they share: the
//! calling partner, `If-Match` checks and the partner's view of a listing as a response.

mod clinic_edit;
mod clinic_write;
mod clinics_read;
mod imports;
mod packages;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use diesel_async::AsyncPgConnection;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, ProblemKind};
use crate::idempotency::StoredResponse;
use crate::partner_listings::repo;
use crate::partner_listings::view::{etag, partner_view, PartnerPackageResponse};

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

/// The longest `If-Match` accepted.
const MAX_IF_MATCH: usize = 1024;

/// The version in `If-Match`: 428 when absent, 412 when it is not the current one, 400 when it is
/// not 1–1024 visible ASCII characters or spaces (the spec's pattern `^[ -~]+$`).
fn check_if_match(req: &HttpRequest, current: i32, required: bool) -> Result<(), ApiError> {
    if let Some(raw) = req.headers().get(header::IF_MATCH) {
        let bytes = raw.as_bytes();
        if bytes.is_empty() || bytes.len() > MAX_IF_MATCH || !bytes.iter().all(|b| (b' '..=b'~').contains(b))
        {
            let message = "must be 1 to 1024 visible ASCII characters: an ETag, a list of them, or *";
            return Err(
                ApiError::bad_request(format!("If-Match {message}")).with_field("/header/If-Match", message)
            );
        }
    }
    let Some(value) = req.headers().get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return if required {
            Err(ApiError::new(
                ProblemKind::PreconditionRequired,
                "send If-Match with the listing's current ETag",
            ))
        } else {
            Ok(())
        };
    };
    // The ETag of any encoding of this version matches (`"7-gzip"` too): see `http_cache`.
    if crate::http_cache::list_matches(value, &etag(current)) {
        Ok(())
    } else {
        Err(ApiError::new(
            ProblemKind::PreconditionFailed,
            format!(
                "the listing changed (current ETag {}); read it again and reapply your change",
                etag(current)
            ),
        ))
    }
}

/// A 412 for a write that lost the race with another.
fn stale() -> ApiError {
    ApiError::new(
        ProblemKind::PreconditionFailed,
        "the listing changed while you were writing; read it again",
    )
}

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
    Ok(StoredResponse {
        status: status.as_u16(),
        location: (status == StatusCode::CREATED).then(|| format!("/v1/partner/clinics/{id}")),
        etag: Some(etag(clinic.version)),
        body: serde_json::to_vec(&view).map_err(ApiError::internal)?,
    })
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
    Ok(StoredResponse {
        status: status.as_u16(),
        location: (status == StatusCode::CREATED)
            .then(|| format!("/v1/partner/clinics/{clinic_id}/treatment-packages/{package_id}")),
        etag: Some(etag(package.version)),
        body: serde_json::to_vec(&package).map_err(ApiError::internal)?,
    })
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
