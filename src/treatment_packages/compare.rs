//! `GET /v1/treatment-packages/compare`: packages lined up on the inclusion vocabulary with
//! like-for-like totals.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::disclaimer::{Disclaimer, DISCLAIMER};
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::money::AppliedRate;
use crate::reference::ReferenceCache;
use crate::state::AppState;
use crate::treatment_packages::present::{ConvertedPrice, TreatmentPackageResponse};
use crate::treatment_packages::repo;
use crate::treatment_packages::routes::present_all;

/// `ids` and `currency` of a comparison.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompareParams {
    /// 2 to 5 package ids, comma-separated.
    #[param(
        min_length = 73,
        max_length = 200,
        pattern = r"^[0-9A-Fa-f-]{36}( *, *[0-9A-Fa-f-]{36}){1,4}$"
    )]
    pub ids: String,
    /// ISO 4217 code of the totals (default USD).
    #[param(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
}

/// Whether a package covers one vocabulary item.
#[derive(Debug, Serialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    Included,
    Excluded,
    /// The source says nothing either way: ask the clinic before booking.
    Unknown,
}

/// One row of the comparison: an inclusion item and how each package treats it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonRow {
    #[schema(example = "accommodation_nights")]
    pub code: String,
    #[schema(example = "Accommodation nights")]
    pub label: String,
    /// One entry per package, in the order of `packages`.
    pub coverage: Vec<Coverage>,
}

/// One package in a comparison with its total in the common currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparedPackage {
    pub package: TreatmentPackageResponse,
    /// The price in the comparison currency.
    pub total: ConvertedPrice,
    /// Vocabulary items this package does not include (excluded or unknown): costs to add for a
    /// like-for-like comparison.
    pub not_included: Vec<String>,
}

/// Packages lined up on the inclusion vocabulary with like-for-like totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonResponse {
    #[schema(example = "EUR")]
    pub currency: String,
    pub packages: Vec<ComparedPackage>,
    pub rows: Vec<ComparisonRow>,
    /// Every rate used, with its date.
    pub rates: Vec<AppliedRate>,
    /// How to read the totals.
    pub note: String,
    pub disclaimer: Disclaimer,
}

const COMPARISON_NOTE: &str =
    "Totals are each package's listed price converted at the dated rate shown; they are \
comparable only for the items every package includes. Items marked excluded or unknown may cost extra.";

/// Compare packages
///
/// Lines up 2–5 packages on the inclusion vocabulary (included, excluded or unknown) with totals
/// converted to one currency at dated rates, and lists what each leaves out. Packages are compared by
/// id whether or not a red flag leaves them out of lists; each shows its flags first.
#[utoipa::path(
    tag = "catalogue",
    params(CompareParams),
    responses(
        (status = 200, description = "The comparison", body = ComparisonResponse),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Bad ids or currency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A package does not exist", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/treatment-packages/compare")]
pub async fn compare_treatment_packages(
    req: HttpRequest,
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    params: web::Query<CompareParams>,
) -> Result<HttpResponse, ApiError> {
    if params.ids.len() > 200 {
        return Err(ApiError::invalid_query("ids", "must be at most 200 characters"));
    }
    // Hyphenated ids (36 characters), spaces allowed around commas: the spec's `ids` pattern.
    let ids: Vec<Uuid> = params
        .ids
        .split(',')
        .map(|s| s.trim_matches(' '))
        .map(|s| {
            Some(s)
                .filter(|s| s.len() == 36)
                .and_then(|s| s.parse::<Uuid>().ok())
        })
        .collect::<Option<_>>()
        .ok_or_else(|| ApiError::invalid_query("ids", "must be comma-separated package ids (UUIDs)"))?;
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    if !(2..=5).contains(&ids.len()) || unique.len() != ids.len() {
        return Err(ApiError::invalid_query(
            "ids",
            "must name 2 to 5 different packages",
        ));
    }
    let conn = state.reads.get_or(&state.pool).await?;
    let reference = reference_cache.get(&mut &*conn).await?;
    let rates = &reference.rates;
    let currency = rates.parse_currency("currency", params.currency.as_deref().unwrap_or("USD"))?;
    let mut packages = Vec::with_capacity(ids.len());
    for id in &ids {
        let package = repo::find_published(&mut &*conn, *id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no treatment package has id {id}")))?;
        packages.push(package);
    }
    let vocabulary = crate::treatment_packages::repo::vocabulary(&mut &*conn).await?;
    let presented = present_all(&conn, &packages, &reference, Some((rates, &currency)), None).await?;

    let mut compared = Vec::with_capacity(presented.len());
    let mut applied = Vec::new();
    for (package, response) in packages.iter().zip(presented) {
        let total = response
            .price
            .convert(rates, &currency)
            .ok_or_else(|| ApiError::internal(format_args!("no rate for {}", package.currency)))?;
        if !applied.iter().any(|r: &AppliedRate| r.from == total.rate.from) {
            applied.push(total.rate.clone());
        }
        let not_included = vocabulary
            .iter()
            .filter(|(code, _)| !package.inclusions.contains(code))
            .map(|(code, _)| code.clone())
            .collect();
        compared.push(ComparedPackage {
            package: response,
            total,
            not_included,
        });
    }
    let rows = vocabulary
        .iter()
        .map(|(code, label)| ComparisonRow {
            code: code.clone(),
            label: label.clone(),
            coverage: packages
                .iter()
                .map(|p| {
                    if p.inclusions.contains(code) {
                        Coverage::Included
                    } else if p.exclusions.contains(code) {
                        Coverage::Excluded
                    } else {
                        Coverage::Unknown
                    }
                })
                .collect(),
        })
        .collect();
    let body = ComparisonResponse {
        currency,
        packages: compared,
        rows,
        rates: applied,
        note: COMPARISON_NOTE.to_owned(),
        disclaimer: DISCLAIMER,
    };
    cacheable_json(&req, &body)
}
