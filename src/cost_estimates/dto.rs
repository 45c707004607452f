//! The wire types of `GET /v1/cost-estimates` and the cost factors the source names.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::cost_estimates::evidence::EstimateEvidence;
use crate::disclaimer::Disclaimer;
use crate::money::AppliedRate;

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
pub const COST_FACTORS: [CostFactor; 6] = [
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
