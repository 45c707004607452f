//! The public list of a clinic's named practitioners.

use actix_web::{get, web, HttpRequest, HttpResponse};
use uuid::Uuid;

use crate::error::{ApiError, Problem};
use crate::practitioners::dto::PublicPractitionerList;
use crate::practitioners::{repo, view};
use crate::state::AppState;

/// List a clinic's practitioners
///
/// The practitioners a public clinic names, each licence marked `verified` (with the record: who
/// checked it against which primary source, when, and until when it holds) or
/// `claimed_by_clinic` (never checked, expired, or checked on other details);
/// `not_verified` / `contradicted` when the newest check said so. Names, roles, specialties and
/// languages are the clinic's own statements. Practitioners waiting for moderation are not shown.
#[utoipa::path(
    tag = "practitioners",
    operation_id = "list_clinic_practitioners",
    params(("id" = Uuid, Path, description = "Clinic id")),
    responses(
        (status = 200, description = "The clinic's named practitioners", body = PublicPractitionerList),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such public clinic", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/clinics/{id}/practitioners")]
pub async fn list_clinic_practitioners(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let clinic = crate::clinics::repo::find_published(&mut &*conn, *id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such clinic"))?;
    let rows = repo::published_of_clinic(&mut &*conn, clinic.id).await?;
    let records = view::licence_records(&mut conn, &rows).await?;
    let today = state.clock.today();
    let items = rows
        .iter()
        .map(|p| view::public_view(p, records.get(&p.id), today))
        .collect();
    crate::http_cache::cacheable_json(
        &req,
        &PublicPractitionerList {
            items,
            disclaimer: crate::disclaimer::DISCLAIMER,
        },
    )
}
