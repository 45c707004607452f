//! Wire types of the trial finder.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::disclaimer::Disclaimer;
use crate::trials::domain::{TrialOrigin, TrialStatus};

/// Filters and paging of `GET /v1/trials`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrialListParams {
    /// Catalogue condition slug (`GET /v1/conditions`) the trial was found for.
    #[param(
        example = "spinal-cord-injury",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub condition: Option<String>,
    /// ISO 3166 alpha-2 code of a country where the trial has a location.
    #[param(example = "US", min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
    /// The registry's overall status, e.g. `RECRUITING`.
    #[param(inline, example = "RECRUITING")]
    pub status: Option<TrialStatus>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page's `next_page_token`.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
}

/// A registered clinical trial as StemCare mirrors it from ClinicalTrials.gov.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrialResponse {
    /// The registry identifier.
    #[schema(example = "NCT03308565")]
    pub nct_id: String,
    /// The study's page on ClinicalTrials.gov: the primary source of every field here.
    #[schema(example = "https://clinicaltrials.gov/study/NCT03308565")]
    pub registry_url: String,
    /// The registry's brief title; null when not known (a seeded trial not yet refreshed).
    pub title: Option<String>,
    /// The registry's overall status; null when not known.
    #[schema(example = "RECRUITING")]
    pub overall_status: Option<String>,
    /// Phases as the registry names them (`PHASE1`, `NA`, …).
    #[schema(example = json!(["PHASE1"]))]
    pub phases: Vec<String>,
    /// The lead sponsor's name.
    pub lead_sponsor: Option<String>,
    /// Conditions as the registry lists them.
    pub conditions: Vec<String>,
    /// Intervention names as the registry lists them.
    pub interventions: Vec<String>,
    /// Countries of the study's locations, as the registry spells them.
    #[schema(example = json!(["United States"]))]
    pub location_countries: Vec<String>,
    /// ISO 3166 alpha-2 codes of those countries (names StemCare could not map are left out).
    #[schema(example = json!(["US"]))]
    pub country_codes: Vec<String>,
    /// Catalogue conditions (slugs) the trial was found for.
    #[schema(example = json!(["spinal-cord-injury"]))]
    pub condition_slugs: Vec<String>,
    /// Enrollment (actual or estimated, as registered).
    pub enrollment: Option<i32>,
    /// Whether results are posted on the registry.
    pub results_posted: Option<bool>,
    /// Completion date as registered (`yyyy`, `yyyy-MM` or `yyyy-MM-dd`).
    #[schema(example = "2026-03")]
    pub completion_date: Option<String>,
    /// The registry's last update posting date.
    pub last_update_date: Option<NaiveDate>,
    /// `registry` (fetched from ClinicalTrials.gov) or `seed` (from a source StemCare cites).
    pub origin: TrialOrigin,
    /// Where this record comes from: `{title, url, section, retrieved_at}`.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
    /// When StemCare fetched or seeded this record.
    pub fetched_at: DateTime<Utc>,
    /// Fields left empty because the source does not give them: unknown, not "none".
    #[schema(example = json!(["overall_status"]))]
    pub unknown_fields: Vec<&'static str>,
}

/// A page of trials, with the registry notice and the disclaimer once for the page.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrialPage {
    /// The items of this page, ordered by NCT id.
    pub items: Vec<TrialResponse>,
    /// Pass as `page_token` to get the next page; absent on the last page.
    pub next_page_token: Option<String>,
    /// What a registry listing does and does not mean (ClinicalTrials.gov FAQ, US FDA).
    pub registry_notice: &'static str,
    pub disclaimer: Disclaimer,
}

/// One trial, with the registry notice and the disclaimer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrialDetail {
    #[serde(flatten)]
    pub trial: TrialResponse,
    /// What a registry listing does and does not mean (ClinicalTrials.gov FAQ, US FDA).
    pub registry_notice: &'static str,
    pub disclaimer: Disclaimer,
}
