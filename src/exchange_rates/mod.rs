//! `GET /v1/exchange-rates`: the dated, sourced rates every conversion uses, and where they come
//! from: the ECB's daily reference rates, read by `stemcare rates refresh` or by the periodic
//! refresh (`STEMCARE_ECB_REFRESH_INTERVAL_SECS`), see [`refresh`].

pub mod ecb;
pub mod iso4217;
pub mod refresh;
pub mod source;

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::money::{is_stale, today, Rates};
use crate::pagination::{page_by_key, ListParams};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_exchange_rates);
}

/// Units of `currency` per 1 USD on `as_of`.
#[derive(Serialize, ToSchema)]
pub struct ExchangeRateResponse {
    /// ISO 4217 code.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Units of the currency per 1 USD (a decimal string).
    #[schema(value_type = String, example = "0.849834")]
    #[serde(with = "rust_decimal::serde::str")]
    pub units_per_usd: Decimal,
    /// The date of the published rate (for ECB rates, the ECB's reference date).
    #[schema(value_type = String, format = Date, example = "2026-12-04")]
    pub as_of: NaiveDate,
    /// True when `as_of` is more than 7 days before today (UTC): the rate is no longer current
    /// (the ECB publishes every TARGET working day), so conversions with it are rough indications.
    #[schema(example = false)]
    pub stale: bool,
    /// Where the rate comes from: `{title, url, section, retrieved_at}`; for ECB rates the url of
    /// the file actually read and when it was read.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
    /// How the rate was derived from the published one.
    pub derivation: Option<String>,
}

/// List exchange rates
///
/// The dated, sourced rates (units per 1 USD) every price conversion uses. Rates come from the
/// ECB's daily euro reference rates (converted to units per USD through the ECB's USD rate), except
/// where `derivation` says otherwise; a rate dated more than 7 days ago is marked `stale`.
#[utoipa::path(
    tag = "catalogue",
    params(ListParams),
    responses(
        (status = 200, description = "A page of rates", body = crate::disclaimer::DisclaimedPage<ExchangeRateResponse>),
        (status = 304, description = "Not modified"),
        (status = "4XX", description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/exchange-rates")]
pub async fn list_exchange_rates(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.reads.pooled_or(&state.pool).await?;
    let rates = Rates::load(&mut &*conn).await?;
    let today = today();
    let items: Vec<ExchangeRateResponse> = rates
        .codes()
        .into_iter()
        .filter_map(|code| rates.get(&code).cloned())
        .map(|r| ExchangeRateResponse {
            currency: r.currency,
            units_per_usd: r.units_per_usd.normalize(),
            as_of: r.as_of,
            stale: is_stale(r.as_of, today),
            source: r.source,
            derivation: r.derivation,
        })
        .collect();
    let page = page_by_key(
        items,
        |r| r.currency.clone(),
        &params,
        &state.page_tokens,
        "exchange-rates",
    )?;
    cacheable_json(&req, &crate::disclaimer::DisclaimedPage::from(page))
}
