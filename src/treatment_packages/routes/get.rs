//! `GET /v1/treatment-packages/{id}`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::disclaimer::Disclaimed;
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::reference::ReferenceCache;
use crate::state::AppState;
use crate::treatment_packages::present::TreatmentPackageResponse;
use crate::treatment_packages::repo;

use super::present_all;

/// `currency` for one package.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CurrencyParams {
    /// ISO 4217 code: adds the price converted to this currency, with the rate and its date.
    #[param(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
}

/// Get a treatment package
///
/// One published package with its red flags first, then its regulatory status, price provenance,
/// inclusions, explicit exclusions and unknown items. Packages that a critical flag leaves out of lists
/// still answer here, with their flags.
#[utoipa::path(
    tag = "catalogue",
    params(("id" = Uuid, Path, description = "Package id"), CurrencyParams),
    responses(
        (status = 200, description = "The package", body = Disclaimed<TreatmentPackageResponse>),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Invalid currency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such package", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/treatment-packages/{id}")]
pub async fn get_treatment_package(
    req: HttpRequest,
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    id: web::Path<Uuid>,
    params: web::Query<CurrencyParams>,
) -> Result<HttpResponse, ApiError> {
    // A catalogue read: one of this worker's shared, pipelined connections (see `db::shared`).
    let conn = state.reads.get_or(&state.pool).await?;
    let reference = reference_cache.get(&mut &*conn).await?;
    let rates = &reference.rates;
    let currency = rates.parse_currency_param(params.currency.as_deref())?;
    let package = repo::find_published(&mut &*conn, *id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no treatment package has id {id}")))?;
    let display = currency.as_deref().map(|c| (rates, c));
    let mut items = present_all(&conn, std::slice::from_ref(&package), &reference, display).await?;
    let item = items
        .pop()
        .ok_or_else(|| ApiError::internal("presenting one package gave none"))?;
    cacheable_json(&req, &Disclaimed::new(item))
}
