use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::cost_estimates::evidence::{self, EstimateEvidence};
use crate::countries::CountryRow;
use crate::db::schema::{countries, treatment_packages};
use crate::disclaimer::{Disclaimer, DISCLAIMER};
use crate::error::{ApiError, FieldError, Problem};
use crate::http_cache::cacheable_json;
use crate::money::{AppliedRate, Rates};
use crate::reference::ReferenceCache;
use crate::state::AppState;
use crate::treatment_packages::model::TreatmentPackage;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_cost_estimate);
}

/// The country prices are compared against.
const COMPARISON_COUNTRY: &str = "US";
const MAX_INJECTIONS: i32 = 10;

/// What an estimate is for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CostEstimateParams {
    /// Condition slug.
    #[param(
        example = "sciatica",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub condition: String,
    /// ISO 3166-1 alpha-2 code of the treatment country.
    #[param(example = "MX", min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")]
    pub country: String,
    /// Cell type slug (research-only types cannot be estimated).
    #[param(
        example = "bm-msc",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub cell_type: Option<String>,
    /// Number of injections, 1–10 (default 1).
    #[param(minimum = 1, maximum = 10, example = 1)]
    pub injections: Option<i32>,
    /// ISO 4217 code of the figures (default USD).
    #[param(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
}

/// A range of money; `max` is null when the source gives only a starting price.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MoneyRange {
    #[schema(value_type = String, example = "7000.00")]
    #[serde(with = "rust_decimal::serde::str")]
    pub min: Decimal,
    #[schema(value_type = Option<String>, example = "10500.00")]
    #[serde(with = "rust_decimal::serde::str_option")]
    pub max: Option<Decimal>,
    #[schema(example = "USD")]
    pub currency: String,
}

/// A cost driver named by the source.
#[derive(Debug, Serialize, ToSchema)]
pub struct CostFactor {
    #[schema(example = "number_of_treatments")]
    pub code: &'static str,
    pub description: &'static str,
}

/// The estimate and everything it rests on.
#[derive(Debug, Serialize, ToSchema)]
pub struct CostEstimateResponse {
    #[schema(example = "sciatica")]
    pub condition: String,
    #[schema(example = "MX")]
    pub country: String,
    pub cell_type: Option<String>,
    pub injections: i32,
    /// The indicative range: the listed packages' range when there are packages, otherwise the
    /// per-injection range times `injections`.
    pub estimate: MoneyRange,
    /// `packages` or `per_injection`.
    #[schema(example = "packages")]
    pub basis: String,
    /// Range of matching packages' prices; null when none is listed.
    pub package_range: Option<MoneyRange>,
    /// Number of matching packages. Packages with a critical red flag (their own or their
    /// clinic's) are left out, as in default lists; `notes` says how many.
    #[schema(format = Int64)]
    pub packages_considered: usize,
    /// The country's per-injection range times `injections`; null when the source gives none.
    pub per_injection_range: Option<MoneyRange>,
    /// The US per-injection range times `injections`.
    pub us_comparison: Option<MoneyRange>,
    /// US price minus the estimate; null when there is no US price to compare with.
    pub saving: Option<Saving>,
    /// How much is known about whether treating the condition works: the certainty of its evidence
    /// summary (for the requested cell type where one exists), or `none` with `studies: 0`.
    pub evidence: EstimateEvidence,
    pub cost_factors: Vec<CostFactor>,
    pub rates: Vec<AppliedRate>,
    /// Where the figures come from.
    #[schema(value_type = Vec<Object>)]
    pub sources: Vec<serde_json::Value>,
    pub notes: Vec<String>,
    pub disclaimer: Disclaimer,
}

/// What treatment abroad may save against the US price. An unknown is `null`, never 0: a bound
/// derived from an unknown bound (a "from" price with no maximum) is unknown too.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Saving {
    /// The least saved: the US minimum minus the estimate's maximum (negative: it may cost more);
    /// null when the estimate has no known maximum.
    #[schema(value_type = Option<String>, example = json!(null))]
    #[serde(with = "rust_decimal::serde::str_option")]
    pub min: Option<Decimal>,
    /// The most saved: the US maximum minus the estimate's minimum; null when the US price has no
    /// known maximum.
    #[schema(value_type = Option<String>, example = "14000.00")]
    #[serde(with = "rust_decimal::serde::str_option")]
    pub max: Option<Decimal>,
    #[schema(example = "USD")]
    pub currency: String,
}

/// The factors the source names under "Factors Affecting Stem Cell Therapy Cost".
const COST_FACTORS: [CostFactor; 6] = [
    CostFactor {
        code: "clinic_reputation",
        description: "Clinic's reputation and expertise",
    },
    CostFactor {
        code: "location",
        description: "Location of the clinic (country)",
    },
    CostFactor {
        code: "patient_condition",
        description: "Severity and extent of the patient's condition",
    },
    CostFactor {
        code: "number_of_treatments",
        description: "Number of injections and the stem cell count",
    },
    CostFactor {
        code: "cell_type",
        description: "Type and source of stem cells (own cells vs donor cells)",
    },
    CostFactor {
        code: "pre_and_post_care",
        description: "Pre- and post-treatment care included in the package",
    },
];

struct Converter<'a> {
    rates: &'a Rates,
    currency: String,
    applied: Vec<AppliedRate>,
}

impl Converter<'_> {
    fn amount(&mut self, amount: Decimal, from: &str) -> Result<Decimal, ApiError> {
        let (value, rate) = self
            .rates
            .convert(amount, from, &self.currency)
            .ok_or_else(|| ApiError::internal(format_args!("no exchange rate for {from}")))?;
        if !self.applied.iter().any(|r| r.from == rate.from) {
            self.applied.push(rate);
        }
        Ok(value)
    }

    fn range(
        &mut self,
        min: Decimal,
        max: Option<Decimal>,
        from: &str,
        times: i32,
    ) -> Result<MoneyRange, ApiError> {
        let times = Decimal::from(times);
        Ok(MoneyRange {
            min: self.amount(min * times, from)?,
            max: max.map(|m| self.amount(m * times, from)).transpose()?,
            currency: self.currency.clone(),
        })
    }
}

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
    let priced_anywhere: i64 = treatment_packages::table
        .filter(treatment_packages::status.eq("published"))
        .filter(treatment_packages::conditions.contains(vec![condition.clone()]))
        .count()
        .get_result(&mut conn)
        .await?;
    if priced_anywhere == 0 {
        return Err(unprocessable(
            "condition",
            format!("no priced stem cell treatment is listed for {condition}, so no estimate can be made"),
        ));
    }

    let country: CountryRow = countries::table
        .find(&country_code)
        .select(CountryRow::as_select())
        .first(&mut conn)
        .await?;
    let us: Option<CountryRow> = countries::table
        .find(COMPARISON_COUNTRY)
        .select(CountryRow::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    let mut query = treatment_packages::table
        .inner_join(crate::db::schema::clinics::table)
        .filter(crate::db::schema::clinics::country_code.eq(&country_code))
        .filter(crate::db::schema::clinics::status.eq("published"))
        .filter(treatment_packages::status.eq("published"))
        .filter(treatment_packages::conditions.contains(vec![condition.clone()]))
        .select(TreatmentPackage::as_select())
        .into_boxed();
    if let Some(slug) = &cell_type {
        query = query.filter(treatment_packages::cell_type.eq(slug));
    }
    let (flagged, packages): (Vec<TreatmentPackage>, Vec<TreatmentPackage>) = query
        .load(&mut conn)
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

fn package_range(
    packages: &[TreatmentPackage],
    convert: &mut Converter<'_>,
) -> Result<Option<MoneyRange>, ApiError> {
    let mut range: Option<MoneyRange> = None;
    for package in packages {
        let this = convert.range(package.price_min, package.price_max, &package.currency, 1)?;
        range = Some(match range {
            None => this,
            Some(so_far) => MoneyRange {
                min: so_far.min.min(this.min),
                max: match (so_far.max, this.max) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                },
                currency: so_far.currency,
            },
        });
    }
    Ok(range)
}
