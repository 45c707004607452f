//! Reading the practitioners of the partner's own clinics.

use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpResponse};
use uuid::Uuid;

use super::{own_clinic_or_404, own_practitioner_or_404, partner_id, practitioner_response};
use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::practitioners::dto::{PartnerPractitionerList, PartnerPractitionerResponse};
use crate::practitioners::{repo, view};
use crate::state::AppState;

/// List my clinic's practitioners
///
/// Every practitioner of one of the calling partner's clinics (not deleted), with moderation
/// status, version and how each licence stands today. Another partner's clinic is a 404.
#[utoipa::path(
    tag = "practitioners",
    operation_id = "list_own_practitioners",
    params(("id" = Uuid, Path, description = "Clinic id")),
    responses(
        (status = 200, description = "The clinic's practitioners", body = PartnerPractitionerList),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic of yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/partner/clinics/{id}/practitioners")]
pub async fn list_own_practitioners(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let clinic_id = own_clinic_or_404(&mut conn, partner, *id).await?;
    let rows = repo::of_clinic(&mut conn, clinic_id).await?;
    let records = view::licence_records(&mut conn, &rows).await?;
    let today = state.clock.today();
    let items = rows
        .into_iter()
        .map(|p| {
            let newest = records.get(&p.id);
            view::partner_view(p, newest, today)
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PartnerPractitionerList { items }))
}

/// Get my clinic's practitioner
///
/// One practitioner of one of the calling partner's clinics, with its `ETag` for `If-Match`.
/// Another partner's clinic or practitioner is a 404.
#[utoipa::path(
    tag = "practitioners",
    operation_id = "get_own_practitioner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("practitioner_id" = Uuid, Path, description = "Practitioner id")),
    responses(
        (status = 200, description = "The practitioner", body = PartnerPractitionerResponse,
         headers(("ETag" = String, description = "Version for If-Match"))),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such practitioner of yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/partner/clinics/{id}/practitioners/{practitioner_id}")]
pub async fn get_own_practitioner(
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (clinic_id, id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let practitioner = own_practitioner_or_404(&mut conn, partner, clinic_id, id).await?;
    Ok(
        practitioner_response(&mut conn, &state, practitioner, StatusCode::OK)
            .await?
            .into_http(false),
    )
}
