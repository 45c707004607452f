//! `GET /v1/outcome-registry`: the public, de-identified outcome registry.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::disclaimer::DISCLAIMER;
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::outcome_registry::dto::{
    ClinicGroup, ConditionGroup, OutcomeRegistryParams, OutcomeRegistryResponse,
};
use crate::outcome_registry::repo::{self, EntryFilter};
use crate::outcome_registry::stats::QUANTILE_METHOD;
use crate::outcome_registry::summary::{group_by, time_points, LABEL};
use crate::state::AppState;

/// What the registry is and is not, shown with every answer.
pub const CAVEATS: [&str; 4] = [
    "Answers patients gave themselves after treatment, with no comparison group and no blinding: \
they cannot show that a treatment works.",
    "Only patients who consented to the registry are counted; those who did not answer may differ \
from those who did.",
    "These figures never change an evidence summary's GRADE certainty rating, and listings are \
never ranked by them.",
    "Pain is on the 0–10 numeric rating scale; disability is the Oswestry Disability Index score \
(0–100). Improvement is baseline minus follow-up.",
];

/// The cell-size rule, as published.
pub const SUPPRESSION_RULE: &str = "A time point with 10 or fewer answers, and any figure whose \
denominator is 10 or fewer, shows only \"10 or fewer\" (CMS cell-size rule).";

fn filter(params: OutcomeRegistryParams) -> Result<EntryFilter, ApiError> {
    let slug_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if params.condition.as_deref().is_some_and(|s| !slug_ok(s)) {
        return Err(ApiError::invalid_query(
            "condition",
            "must be a slug (a-z, 0-9, -), at most 64 characters",
        ));
    }
    if params.cell_type.as_deref().is_some_and(|s| !slug_ok(s)) {
        return Err(ApiError::invalid_query(
            "cell_type",
            "must be a slug (a-z, 0-9, -), at most 64 characters",
        ));
    }
    if params
        .country
        .as_deref()
        .is_some_and(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(ApiError::invalid_query(
            "country",
            "must be an ISO 3166-1 alpha-2 code such as TR",
        ));
    }
    Ok(EntryFilter {
        clinic_id: params.clinic_id,
        condition: params.condition,
        cell_type: params.cell_type,
        country: params.country,
    })
}

/// Get the outcome registry
///
/// What consenting patients reported 3, 6, 12 and 24 months after treatment, per clinic and per
/// condition × cell type × country: for each time point the number due, the number answered
/// (response rate), the median improvement from baseline with its interquartile range
/// (quantiles: Hyndman–Fan type 7, as R's and NumPy's default), the share reaching the minimal
/// important change (pain ≥ 2 points or ≥ 30 %; ODI ≥ 10 points or ≥ 30 %; Ostelo 2008) and the
/// adverse event rate with a 95 % Wilson score interval. Every figure is labelled "registry:
/// self-reported, unblinded, uncontrolled; very low certainty" and given with its denominator; a
/// time point with 10 or fewer answers shows only "10 or fewer". De-identified (no dates, no
/// patient), public and cacheable; never a ranking by outcome and never a GRADE rating.
#[utoipa::path(
    tag = "outcome-registry",
    operation_id = "get_outcome_registry",
    params(OutcomeRegistryParams),
    responses(
        (status = 200, description = "The registry's summaries", body = OutcomeRegistryResponse),
        (status = 304, description = "Not modified (If-None-Match matched)"),
        (status = 400, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/outcome-registry")]
pub async fn get_outcome_registry(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<OutcomeRegistryParams>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter(params.into_inner())?;
    let mut conn = state.pool.get().await?;
    let rows = repo::load(&mut conn, &filter).await?;
    drop(conn);
    let by_clinic = group_by(&rows, |r| r.clinic_id)
        .into_iter()
        .map(|(clinic_id, group)| ClinicGroup {
            clinic_id,
            time_points: time_points(&group),
        })
        .collect();
    let by_condition_cell_type_country = group_by(&rows, |r| {
        (
            r.condition_slug.clone(),
            r.cell_type_slug.clone(),
            r.country_code.clone(),
        )
    })
    .into_iter()
    .map(|((condition, cell_type, country), group)| ConditionGroup {
        condition,
        cell_type,
        country,
        time_points: time_points(&group),
    })
    .collect();
    let body = OutcomeRegistryResponse {
        label: LABEL,
        caveats: CAVEATS.to_vec(),
        quantile_method: QUANTILE_METHOD,
        suppression_rule: SUPPRESSION_RULE,
        by_clinic,
        by_condition_cell_type_country,
        disclaimer: DISCLAIMER,
    };
    cacheable_json(&req, &body)
}
