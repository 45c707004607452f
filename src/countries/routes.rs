use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::countries::regulatory::{CountryRegulation, RegulatoryStatus};
use crate::countries::repo::{self, CountryRow};
use crate::disclaimer::{Disclaimed, DisclaimedPage};
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::pagination::{page_by_key, ListParams};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_countries).service(get_country);
}

/// An indicative price range; `max` is null for "from" prices.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriceRange {
    #[schema(value_type = String, example = "1000.00")]
    #[serde(with = "rust_decimal::serde::str")]
    pub min: Decimal,
    #[schema(value_type = Option<String>, example = "15000.00")]
    #[serde(with = "rust_decimal::serde::str_option")]
    pub max: Option<Decimal>,
    #[schema(example = "USD")]
    pub currency: String,
}

/// A country where treatment is offered (or compared against).
#[derive(Serialize, ToSchema)]
pub struct CountryResponse {
    /// ISO 3166-1 alpha-2 code.
    #[schema(example = "MX")]
    pub code: String,
    #[schema(example = "Mexico")]
    pub name: String,
    /// How stem cell therapy for back pain is regulated there, as a sourced statement: `verified`
    /// only when StemCare checked it, `claimed` for the source's own words (quoted), `unknown`
    /// otherwise; with the US FDA context. Replaces the former string (`approved_locally`, …),
    /// which read as a fact while repeating an article's words.
    pub regulatory_status: RegulatoryStatus,
    /// Insurance coverage, where the source says anything.
    pub insurance_note: Option<String>,
    /// Indicative price per injection; null when the source gives none.
    pub injection_price: Option<PriceRange>,
    /// Indicative price of a comprehensive package; null when the source gives none.
    pub package_price: Option<PriceRange>,
    /// When the prices were recorded.
    #[schema(value_type = Option<String>, format = Date)]
    pub price_as_of: Option<NaiveDate>,
    /// What the date means.
    pub price_date_note: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub price_source: Option<serde_json::Value>,
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
}

impl CountryRow {
    pub fn injection_price(&self) -> Option<PriceRange> {
        self.injection_price_min.map(|min| PriceRange {
            min,
            max: self.injection_price_max,
            currency: self.price_currency.clone(),
        })
    }

    pub fn package_price(&self) -> Option<PriceRange> {
        self.package_price_min.map(|min| PriceRange {
            min,
            max: self.package_price_max,
            currency: self.price_currency.clone(),
        })
    }
}

impl From<CountryRow> for CountryResponse {
    fn from(row: CountryRow) -> Self {
        let (injection_price, package_price) = (row.injection_price(), row.package_price());
        let regulation = CountryRegulation {
            stated: row.regulatory_status,
            claim: row.regulatory_claim,
            note: row.regulatory_note,
            source: row.source.clone(),
            verified_at: row.regulatory_verified_at,
            verified_source: row.regulatory_verified_source,
        };
        Self {
            injection_price,
            package_price,
            code: row.code,
            name: row.name,
            // The country answers for every back condition it prices, spine indications included.
            regulatory_status: regulation.present(true),
            insurance_note: row.insurance_note,
            price_as_of: row.price_as_of,
            price_date_note: row.price_date_note,
            price_source: row.price_source,
            source: row.source,
        }
    }
}

/// List countries
///
/// Countries with how stem cell therapy for back pain is regulated there (as the source states it) and
/// indicative, dated price ranges.
#[utoipa::path(
    tag = "catalogue",
    params(ListParams),
    responses(
        (status = 200, description = "A page of countries", body = DisclaimedPage<CountryResponse>),
        (status = 304, description = "Not modified"),
        (status = "4XX", description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/countries")]
pub async fn list_countries(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let rows = repo::all(&mut conn).await?;
    let items: Vec<CountryResponse> = rows.into_iter().map(Into::into).collect();
    let page = page_by_key(
        items,
        |c| c.code.clone(),
        &params,
        &state.page_tokens,
        "countries",
    )?;
    cacheable_json(&req, &DisclaimedPage::from(page))
}

/// Get a country
///
/// One country by ISO 3166-1 alpha-2 code (case-insensitive).
#[utoipa::path(
    tag = "catalogue",
    params(("code" = String, Path, description = "ISO 3166-1 alpha-2 code (any case)", example = "MX", min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")),
    responses(
        (status = 200, description = "The country", body = Disclaimed<CountryResponse>),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such country", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/countries/{code}")]
pub async fn get_country(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let code = code.to_ascii_uppercase();
    let row = repo::find(&mut conn, &code)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no country has code {code}")))?;
    cacheable_json(&req, &Disclaimed::new(CountryResponse::from(row)))
}
