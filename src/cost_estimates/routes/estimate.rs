//! `GET /v1/cost-estimates`.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::cost_estimates::domain::{package_range, Converter, COMPARISON_COUNTRY, MAX_INJECTIONS};
use crate::cost_estimates::dto::{CostEstimateParams, CostEstimateResponse, Saving, COST_FACTORS};
use crate::cost_estimates::evidence;
use crate::cost_estimates::repo;
use crate::countries::repo as countries_repo;
use crate::disclaimer::DISCLAIMER;
use crate::error::{ApiError, FieldError, Problem};
use crate::http_cache::cacheable_json;
use crate::reference::ReferenceCache;
use crate::state::AppState;
use crate::treatment_packages::model::TreatmentPackage;

fn unprocessable(field: &str, message: String) -> ApiError {
    ApiError::validation(vec![FieldError {
        pointer: format!("/query/{field}"),
        message,
    }])
}

/// Estimate the cost of treatment
///
/// An indicative cost range for a condition in a country, next to the US price, with the cost factors
/// the source names, the certainty of the evidence for the condition (`none` with `studies: 0` where no
/// study exists) and the disclaimer. Unknown figures are `null`, never 0: with only a starting price
/// abroad, `saving.min` is null. Bad combinations (a research-only cell type, a condition without
/// any priced treatment) are 422 problems naming the field. This is never a quote.
#[utoipa::path(
    tag = "catalogue",
    params(CostEstimateParams),
    responses(
        (status = 200, description = "The estimate", body = CostEstimateResponse),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Unknown condition, country, cell type or currency", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A combination that cannot be estimated", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/cost-estimates")]
pub async fn get_cost_estimate(
    req: HttpRequest,
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    params: web::Query<CostEstimateParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let injections = params.injections.unwrap_or(1);
    if !(1..=MAX_INJECTIONS).contains(&injections) {
        return Err(ApiError::invalid_query(
            "injections",
            format!("must be between 1 and {MAX_INJECTIONS}"),
        ));
    }
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let reference = reference_cache.get(&mut &*conn).await?;
    let rates = &reference.rates;
    let currency = rates.parse_currency("currency", params.currency.as_deref().unwrap_or("USD"))?;
    let condition = reference.known_condition("condition", &params.condition)?;
    let country_code = reference.known_country("country", &params.country)?;
    let cell_type = match &params.cell_type {
        Some(raw) => {
            let (slug, status) = reference.known_cell_type("cell_type", raw)?;
            if status == "research" {
                return Err(unprocessable(
                    "cell_type",
                    format!("{slug} is research-only and not offered to patients, so it has no price"),
                ));
            }
            Some(slug)
        }
        None => None,
    };

    // The source's prices are for stem cell therapy of back conditions: a condition no package
    // anywhere covers has no priced treatment to estimate from.
    let priced_anywhere = repo::count_published_packages_covering(&mut conn, &condition).await?;
    if priced_anywhere == 0 {
        return Err(unprocessable(
            "condition",
            format!("no priced stem cell treatment is listed for {condition}, so no estimate can be made"),
        ));
    }

    let country = countries_repo::get(&mut conn, &country_code).await?;
    let us = countries_repo::find(&mut conn, COMPARISON_COUNTRY).await?;
    let (flagged, packages): (Vec<TreatmentPackage>, Vec<TreatmentPackage>) =
        repo::published_packages_in(&mut conn, &country_code, &condition, cell_type.as_deref())
            .await?
            .into_iter()
            .partition(|p| p.has_critical_flag);

    let mut convert = Converter {
        rates,
        currency: currency.clone(),
        applied: Vec::new(),
    };
    let package_range = package_range(&packages, &mut convert)?;
    let per_injection_range = country
        .injection_price_min
        .map(|min| {
            convert.range(
                min,
                country.injection_price_max,
                &country.price_currency,
                injections,
            )
        })
        .transpose()?;
    let us_comparison = us
        .as_ref()
        .and_then(|us| us.injection_price_min.map(|min| (min, us)))
        .map(|(min, us)| convert.range(min, us.injection_price_max, &us.price_currency, injections))
        .transpose()?;
    let (estimate, basis) = match (&package_range, &per_injection_range) {
        (Some(range), _) => (range.clone(), "packages"),
        (None, Some(range)) => (range.clone(), "per_injection"),
        (None, None) => {
            return Err(unprocessable(
                "country",
                format!("no indicative price is known for {condition} in {country_code}"),
            ))
        }
    };
    let saving = us_comparison.as_ref().map(|us| Saving {
        min: estimate.max.map(|max| us.min - max),
        max: us.max.map(|us_max| us_max - estimate.min),
        currency: currency.clone(),
    });
    let evidence = evidence::for_estimate(&mut conn, &condition, cell_type.as_deref()).await?;

    let mut notes = vec![
        "Indicative only: a clinic's firm offer after reviewing your records may differ.".to_owned(),
        "The source's price ranges do not distinguish conditions or cell types.".to_owned(),
    ];
    if basis == "packages" && injections > 1 {
        notes.push("Package prices do not state how many injections they include.".to_owned());
    }
    if estimate.max.is_none() {
        notes.push(
            "Only a starting price is known; there is no stated maximum, so the least saving is unknown (null)."
                .to_owned(),
        );
    }
    if !flagged.is_empty() {
        notes.push(format!(
            "{} listed package(s) with a critical red flag are left out of this estimate.",
            flagged.len()
        ));
    }
    if evidence.studies == 0 {
        notes.push(format!(
            "No study in StemCare's sources covers {condition}: nothing is known about whether this treatment helps."
        ));
    }
    let mut sources: Vec<serde_json::Value> = [country.price_source.clone(), us.and_then(|u| u.price_source)]
        .into_iter()
        .flatten()
        .collect();
    sources.dedup();
    let body = CostEstimateResponse {
        condition,
        country: country_code,
        cell_type,
        injections,
        estimate,
        basis: basis.to_owned(),
        package_range,
        packages_considered: packages.len(),
        per_injection_range,
        us_comparison,
        saving,
        cost_factors: COST_FACTORS.into_iter().collect(),
        rates: convert.applied,
        sources,
        evidence,
        notes,
        disclaimer: DISCLAIMER,
    };
    cacheable_json(&req, &body)
}
