//! `GET /v1/trials/{nct_id}`.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::disclaimer::DISCLAIMER;
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::state::AppState;
use crate::trial_registry::domain::parse_nct_id;
use crate::trials::domain::REGISTRY_NOTICE;
use crate::trials::dto::TrialDetail;
use crate::trials::repo;

/// Get a trial
///
/// One mirrored trial by its NCT id, with a link to its ClinicalTrials.gov page.
#[utoipa::path(
    tag = "trials",
    operation_id = "get_trial",
    params(("nct_id" = String, Path, description = "NCT identifier", example = "NCT03308565", pattern = "^NCT[0-9]{8}$", min_length = 11, max_length = 11)),
    responses(
        (status = 200, description = "The trial", body = TrialDetail),
        (status = 304, description = "Not modified (If-None-Match matched)"),
        (status = 404, description = "No mirrored trial has this NCT id", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/trials/{nct_id}")]
pub async fn get_trial(
    req: HttpRequest,
    state: web::Data<AppState>,
    nct_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found(format!("no trial {} in StemCare's mirror", nct_id.as_str()));
    let id = parse_nct_id(&nct_id).ok_or_else(not_found)?;
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let trial = repo::find(&mut conn, &id).await?.ok_or_else(not_found)?;
    cacheable_json(
        &req,
        &TrialDetail {
            trial: super::present(trial),
            registry_notice: REGISTRY_NOTICE,
            disclaimer: DISCLAIMER,
        },
    )
}
