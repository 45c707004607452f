//! `GET /v1/treatment-packages/{id}`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::disclaimer::Disclaimed;
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::reference::ReferenceCache;
use crate::sparse_fields::{FieldSet, Sparse};
use crate::state::AppState;
use crate::treatment_packages::present::{PackageFieldList, TreatmentPackageResponse, PACKAGE_FIELDS};
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
    /// Sparse fields: only these top-level fields of the package, comma-separated (all when
    /// absent); `disclaimer` is always sent. Allowed: `red_flags`, `listed_by_default`, `id`,
    /// `slug`, `clinic_id`, `clinic_name`, `country`, `regulatory_status`, `title`, `conditions`,
    /// `cell_type`, `cell_source`, `administration_method`, `injections`, `price`,
    /// `converted_price`, `price_basis`, `price_provenance`, `price_as_of`, `price_date_note`,
    /// `price_source`, `inclusions`, `exclusions`, `unknown_items`, `add_ons`, `evidence`,
    /// `claims_beyond_evidence`, `unknown_fields`, `source`, `created_at`, `updated_at`.
    /// Medical honesty adds companions: `price` brings `price_basis`, `price_provenance`,
    /// `price_as_of`, `price_date_note` and `price_source`; `converted_price` brings those and
    /// `price`; `add_ons` brings `price_as_of` and `price_source`; `inclusions` and `exclusions`
    /// bring `unknown_items`; `claims_beyond_evidence` brings `evidence`. An unknown, empty or
    /// repeated name is a 400 `invalid-query`. See docs/SPARSE_FIELDS.md.
    #[param(value_type = Option<PackageFieldList>, inline, style = Form, explode = false)]
    pub fields: Option<String>,
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
        (status = 400, description = "Invalid currency or fields", body = Problem, content_type = "application/problem+json"),
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
    let fields = FieldSet::parse(&PACKAGE_FIELDS, params.fields.as_deref())?;
    let package = repo::find_published(&mut &*conn, *id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no treatment package has id {id}")))?;
    let display = currency.as_deref().map(|c| (rates, c));
    let mut items = present_all(
        &conn,
        std::slice::from_ref(&package),
        &reference,
        display,
        fields.as_ref(),
    )
    .await?;
    let item = items
        .pop()
        .ok_or_else(|| ApiError::internal("presenting one package gave none"))?;
    let body = Sparse {
        value: Disclaimed::new(item),
        fields: fields.as_ref(),
        always: &["disclaimer"],
    };
    cacheable_json(&req, &body)
}
