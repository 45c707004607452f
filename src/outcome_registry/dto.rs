//! The public registry's response and query types.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::disclaimer::Disclaimer;
use crate::outcome_registry::domain::TimePoint;

/// Filters of `GET /v1/outcome-registry`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRegistryParams {
    /// Only this clinic.
    pub clinic_id: Option<Uuid>,
    /// Only this condition (slug).
    #[param(
        min_length = 1,
        max_length = 64,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        example = "sciatica"
    )]
    pub condition: Option<String>,
    /// Only this cell type (slug).
    #[param(
        min_length = 1,
        max_length = 64,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        example = "bm-msc"
    )]
    pub cell_type: Option<String>,
    /// Only clinics in this country (ISO 3166-1 alpha-2).
    #[param(min_length = 2, max_length = 2, pattern = "^[A-Z]{2}$", example = "TR")]
    pub country: Option<String>,
}

/// The public outcome registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeRegistryResponse {
    /// "registry: self-reported, unblinded, uncontrolled; very low certainty".
    pub label: &'static str,
    /// What these figures are and are not: never a GRADE rating, never a ranking by outcome.
    pub caveats: Vec<&'static str>,
    /// `hyndman_fan_7` (R's and NumPy's default): how medians and quartiles are computed.
    #[schema(example = "hyndman_fan_7")]
    pub quantile_method: &'static str,
    /// The cell-size rule applied.
    pub suppression_rule: &'static str,
    /// One group per clinic, ordered by clinic id (never by outcome).
    pub by_clinic: Vec<ClinicGroup>,
    /// One group per condition × cell type × country, ordered by those keys (never by outcome).
    pub by_condition_cell_type_country: Vec<ConditionGroup>,
    pub disclaimer: Disclaimer,
}

/// The registry's figures for one clinic.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClinicGroup {
    pub clinic_id: Uuid,
    /// One entry per time point after treatment (3, 6, 12, 24 months).
    pub time_points: Vec<TimePointSummary>,
}

/// The registry's figures for one condition, cell type and country.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionGroup {
    #[schema(example = "sciatica")]
    pub condition: String,
    #[schema(example = "bm-msc")]
    pub cell_type: String,
    #[schema(example = "TR")]
    pub country: String,
    pub time_points: Vec<TimePointSummary>,
}

/// One time point of a group: figures, or only "10 or fewer" when 10 or fewer answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimePointSummary {
    pub time_point: TimePoint,
    /// "registry: self-reported, unblinded, uncontrolled; very low certainty".
    pub label: &'static str,
    /// True when 10 or fewer answered: no figure is shown.
    pub suppressed: bool,
    /// "10 or fewer" when suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    /// Absent when suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
}

/// The figures of a time point with more than 10 answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Figures {
    /// Follow-ups whose window had opened (consenting patients).
    pub due: u32,
    /// Of those, answered.
    pub answered: u32,
    /// `answered / due`.
    pub response_rate: f64,
    /// Back pain, NRS 0–10.
    pub back_pain_nrs: MeasureSummary,
    /// Leg pain, NRS 0–10.
    pub leg_pain_nrs: MeasureSummary,
    /// Oswestry Disability Index score, 0–100.
    pub odi_score: MeasureSummary,
    /// Answers reporting at least one adverse event since the previous answer, of all answers.
    pub adverse_events: Proportion,
}

/// Change from baseline of one measure, over answers that have a baseline for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureSummary {
    /// Answers with a baseline for this measure (the denominator).
    pub denominator: u32,
    /// True when the denominator is 10 or fewer: no figure is shown.
    pub suppressed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    /// Median of `baseline − follow-up` (positive: less pain or disability).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_improvement: Option<f64>,
    /// First quartile of the improvement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q1: Option<f64>,
    /// Third quartile of the improvement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q3: Option<f64>,
    /// Share reaching the minimal important change (pain ≥ 2 points or ≥ 30 %; ODI ≥ 10 points
    /// or ≥ 30 %; Ostelo 2008).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reached_mic: Option<Proportion>,
}

/// A proportion with its 95 % Wilson score interval.
#[derive(Debug, Serialize, ToSchema)]
pub struct Proportion {
    pub count: u32,
    pub denominator: u32,
    pub share: f64,
    /// Lower bound of the 95 % Wilson score interval.
    pub wilson_95_low: f64,
    /// Upper bound of the 95 % Wilson score interval.
    pub wilson_95_high: f64,
    /// True when the denominator is 20 or fewer (outcomes.md §5.3).
    pub small_sample: bool,
}
