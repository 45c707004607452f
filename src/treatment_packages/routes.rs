use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use std::collections::HashMap;

use crate::db::sql::{Bind, SqlBuilder};
use crate::disclaimer::{Disclaimed, ScreenedPage};
use crate::error::{ApiError, Problem};
use crate::filters::{self, ListQuery, PageQuery};
use crate::http_cache::cacheable_json;
use crate::money::Rates;
use crate::pagination::{page_size, split_page, Cursor, KeyType, PageTokens, SortKey};
use crate::red_flags::repo::DetectionRow;
use crate::red_flags::{repo as flags_repo, RedFlag};
use crate::reference::Reference;
use crate::reference::ReferenceCache;
use crate::state::AppState;
use crate::treatment_packages::model::TreatmentPackage;
use crate::treatment_packages::present::{present, PackageContext, TreatmentPackageResponse};
use crate::treatment_packages::repo::{self, ClinicSummary};

pub fn configure(cfg: &mut ServiceConfig) {
    // `compare` before `{id}`, so the literal path wins.
    cfg.service(crate::treatment_packages::compare::compare_treatment_packages)
        .service(list_treatment_packages)
        .service(get_treatment_package);
}

/// Who set a package's price.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PriceProvenance {
    RegionalIndicative,
    ClinicListed,
    FirmOffer,
}

impl PriceProvenance {
    fn as_str(self) -> &'static str {
        match self {
            Self::RegionalIndicative => "regional_indicative",
            Self::ClinicListed => "clinic_listed",
            Self::FirmOffer => "firm_offer",
        }
    }
}

/// Orderings of the package list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq, Default)]
pub enum PackageOrder {
    /// Cheapest first (by the minimum price in USD at current rates).
    #[serde(rename = "price")]
    #[default]
    Price,
    #[serde(rename = "-price")]
    PriceDesc,
    /// Least recently updated first.
    #[serde(rename = "updated_at")]
    UpdatedAt,
    #[serde(rename = "-updated_at")]
    UpdatedAtDesc,
}

impl PackageOrder {
    fn sort_key(self) -> SortKey {
        match self {
            Self::Price | Self::PriceDesc => SortKey {
                expr: "p.price_min_usd",
                key_type: KeyType::Numeric,
                descending: self == Self::PriceDesc,
            },
            Self::UpdatedAt | Self::UpdatedAtDesc => SortKey {
                expr: "p.updated_at",
                key_type: KeyType::Timestamp,
                descending: self == Self::UpdatedAtDesc,
            },
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Price => "price",
            Self::PriceDesc => "-price",
            Self::UpdatedAt => "updated_at",
            Self::UpdatedAtDesc => "-updated_at",
        }
    }

    fn cursor_of(self, package: &TreatmentPackage) -> Cursor {
        let key = match self {
            Self::Price | Self::PriceDesc => serde_json::Value::String(package.price_min_usd.to_string()),
            Self::UpdatedAt | Self::UpdatedAtDesc => serde_json::Value::String(
                package
                    .updated_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
        };
        Cursor { key, id: package.id }
    }
}

/// Filters, order and paging of `GET /v1/treatment-packages`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PackageListParams {
    /// Condition slug the package must cover.
    #[param(
        example = "sciatica",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub condition: Option<String>,
    /// Cell type slug.
    #[param(
        example = "bm-msc",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub cell_type: Option<String>,
    /// ISO 3166-1 alpha-2 code of the clinic's country.
    #[param(example = "MX", min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
    /// Only this clinic's packages.
    pub clinic_id: Option<Uuid>,
    /// Lowest acceptable minimum price, in `currency`.
    #[param(example = "5000", max_length = 15, pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
    pub min_price: Option<String>,
    /// Highest acceptable minimum price, in `currency`.
    #[param(example = "9000", max_length = 15, pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
    pub max_price: Option<String>,
    /// ISO 4217 code for `min_price`/`max_price` and for the converted prices added to each item
    /// (default: prices in USD for filters, no conversion).
    #[param(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    /// Only prices of this provenance.
    #[param(inline)]
    pub price_provenance: Option<PriceProvenance>,
    /// `true` also lists packages with a critical red flag (their own or their clinic's), which
    /// default lists leave out; each item carries its flags either way.
    pub include_flagged: Option<bool>,
    /// `price` (default), `-price`, `updated_at` or `-updated_at`.
    #[param(inline)]
    pub order_by: Option<PackageOrder>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
}

/// Presents packages with their clinic facts, red flags and optional conversion.
pub async fn present_all(
    conn: &diesel_async::AsyncPgConnection,
    packages: &[TreatmentPackage],
    reference: &Reference,
    display: Option<(&Rates, &str)>,
) -> Result<Vec<TreatmentPackageResponse>, ApiError> {
    let clinic_ids: Vec<Uuid> = packages.iter().map(|p| p.clinic_id).collect();
    let ids: Vec<Uuid> = packages.iter().map(|p| p.id).collect();
    // Independent reads, pipelined on the one connection.
    let (mut c1, mut c2) = (conn, conn);
    let (clinics, mut flags) = futures_util::future::try_join(
        repo::clinic_summaries(&mut c1, &clinic_ids),
        flags_repo::detections_for(&mut c2, &ids),
    )
    .await?;
    present_packages(packages, |id| clinics.get(&id), &mut flags, reference, display)
}

/// Presents packages from what the caller already loaded: each clinic's summary and the
/// packages' red flags (taken out of `flags`).
pub fn present_packages<'a>(
    packages: &[TreatmentPackage],
    clinic_of: impl Fn(Uuid) -> Option<&'a ClinicSummary>,
    flags: &mut HashMap<Uuid, Vec<DetectionRow>>,
    reference: &Reference,
    display: Option<(&Rates, &str)>,
) -> Result<Vec<TreatmentPackageResponse>, ApiError> {
    packages
        .iter()
        .map(|package| {
            let clinic = clinic_of(package.clinic_id)
                .ok_or_else(|| ApiError::internal(format_args!("package {} has no clinic", package.id)))?;
            let mut response = present(
                package,
                PackageContext {
                    clinic_name: &clinic.name,
                    country: &clinic.country,
                    regulatory_status: reference.regulatory(&clinic.country, &package.conditions),
                    display,
                    red_flags: flags
                        .remove(&package.id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(RedFlag::from)
                        .collect(),
                },
            );
            (response.evidence, response.claims_beyond_evidence) = reference
                .evidence
                .assess(&package.conditions, &response.red_flags);
            Ok(response)
        })
        .collect()
}

/// Validates the filters, verifies the page token and builds the page's SQL (one row more than
/// the page). Public for the query-plan test.
pub fn list_query(
    reference: &Reference,
    page_tokens: &PageTokens,
    params: &PackageListParams,
    currency: Option<&str>,
) -> Result<PageQuery<PackageOrder>, ApiError> {
    let size = page_size(params.page_size)?;
    let order = params.order_by.unwrap_or_default();

    let mut base = repo::list_base().map_err(ApiError::internal)?;
    if !include_flagged(params) {
        base.push_str(" AND NOT p.has_critical_flag");
    }
    // `include_flagged` is part of the token's scope like any filter.
    let resource = if include_flagged(params) {
        "treatment-packages+flagged"
    } else {
        "treatment-packages"
    };
    let mut query = ListQuery::new(resource, &base, order.name());
    filter(&mut query, reference, params, currency)?;
    query.into_page(
        order,
        order.sort_key(),
        "p.id",
        page_tokens,
        params.page_token.as_deref(),
        size,
    )
}

fn include_flagged(params: &PackageListParams) -> bool {
    params.include_flagged == Some(true)
}

/// The SQL counting the packages the same filters match but a critical flag leaves out (over the
/// whole result); `None` with `include_flagged=true`. Served by the partial index
/// `treatment_packages_critical_idx`. Public for the query-plan test.
pub fn excluded_query(
    reference: &Reference,
    params: &PackageListParams,
    currency: Option<&str>,
) -> Result<Option<SqlBuilder>, ApiError> {
    if include_flagged(params) {
        return Ok(None);
    }
    let mut query = ListQuery::new("treatment-packages", repo::COUNT_FLAGGED_BASE, "");
    filter(&mut query, reference, params, currency)?;
    Ok(Some(query.sql))
}

/// Adds every filter of `params` to `query` (and to its token scope).
fn filter(
    query: &mut ListQuery,
    reference: &Reference,
    params: &PackageListParams,
    currency: Option<&str>,
) -> Result<(), ApiError> {
    let rates = &reference.rates;
    let filter_currency = currency.unwrap_or("USD");
    if let Some(raw) = &params.condition {
        let slug = reference.known_condition("condition", raw)?;
        let scope = format!("condition={slug}");
        query.filter("p.conditions @> ARRAY[{}::text]", Bind::Text(slug), scope);
    }
    if let Some(raw) = &params.cell_type {
        let (slug, _) = reference.known_cell_type("cell_type", raw)?;
        let scope = format!("cell_type={slug}");
        query.filter("p.cell_type = {}", Bind::Text(slug), scope);
    }
    if let Some(raw) = &params.country {
        let code = reference.known_country("country", raw)?;
        let scope = format!("country={code}");
        query.filter("p.country_code = {}::bpchar", Bind::Text(code), scope);
    }
    if let Some(clinic_id) = params.clinic_id {
        let scope = format!("clinic_id={clinic_id}");
        query.filter("p.clinic_id = {}", Bind::Uuid(clinic_id), scope);
    }
    for (field, raw, op) in [
        ("min_price", &params.min_price, ">="),
        ("max_price", &params.max_price, "<="),
    ] {
        if let Some(raw) = raw {
            let amount = filters::amount(field, raw)?;
            let usd = rates
                .to_usd(amount, filter_currency)
                .ok_or_else(|| ApiError::invalid_query("currency", "has no exchange rate"))?;
            let scope = format!("{field}={amount}{filter_currency}");
            query.filter(&format!("p.price_min_usd {op} {{}}"), Bind::Numeric(usd), scope);
        }
    }
    if let Some(provenance) = params.price_provenance {
        let scope = format!("price_provenance={}", provenance.as_str());
        query.filter(
            "p.price_provenance = {}",
            Bind::Text(provenance.as_str().to_owned()),
            scope,
        );
    }
    Ok(())
}

/// List treatment packages
///
/// Published packages with filters, an allow-listed order (default `price`) and signed page tokens.
/// Prices keep their original currency; add `currency` for converted prices with the rate and its date.
/// Price filters compare the minimum price in USD at current rates. Packages with a critical red flag
/// (their own or their clinic's) are left out unless `include_flagged=true`; `excluded.critical_flags`
/// counts them over the whole filtered result. `GET /v1/treatment-packages/{id}` and `compare` still
/// answer for them, flags first.
#[utoipa::path(
    tag = "catalogue",
    params(PackageListParams),
    responses(
        (status = 200, description = "A page of packages", body = ScreenedPage<TreatmentPackageResponse>),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Invalid filter, currency, page size or page token", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/treatment-packages")]
pub async fn list_treatment_packages(
    req: HttpRequest,
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    params: web::Query<PackageListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let conn = state.reads.get_or(&state.pool).await?;
    let reference = reference_cache.get(&mut &*conn).await?;
    let rates = &reference.rates;
    let currency = rates.parse_currency_param(params.currency.as_deref())?;
    let PageQuery {
        sql,
        scope,
        size,
        order,
    } = list_query(&reference, &state.page_tokens, &params, currency.as_deref())?;
    let excluded = excluded_query(&reference, &params, currency.as_deref())?;
    // The page and the count of what it left out, pipelined on the connection.
    let (mut c1, mut c2) = (&*conn, &*conn);
    let (rows, excluded) = futures_util::future::try_join(
        repo::run_list(&mut c1, sql),
        crate::db::sql::count_or_zero(&mut c2, excluded),
    )
    .await?;
    let (rows, next) = split_page(rows, size, |p| order.cursor_of(p));
    let display = currency.as_deref().map(|c| (rates, c));
    let items = present_all(&conn, &rows, &reference, display).await?;
    let next_page_token = next.map(|cursor| state.page_tokens.issue(&scope, &cursor));
    cacheable_json(&req, &ScreenedPage::new(items, next_page_token, excluded))
}

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
