//! Request and response bodies of the follow-up endpoints; their checks are in `domain`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::disclaimer::Disclaimer;
use crate::follow_ups::domain::{
    CareNeeded, FollowUpStage, FollowUpState, PgicVersion, ProcedureKind, TimePoint, WorkStatus,
};
use crate::treatments::domain::{AdverseEventCategory, AdverseEventSeverity};

/// One time point of a patient's follow-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpItem {
    pub time_point: TimePoint,
    /// On the server's current day: `upcoming`, `due`, `answered`, `skipped` or `missed`.
    pub state: FollowUpState,
    /// First day an answer counts (the acceptance day for the baseline); absent until the
    /// treatment date is recorded.
    #[schema(value_type = Option<String>, format = Date)]
    pub opens_on: Option<NaiveDate>,
    /// The target day: the treatment date for the baseline, else that many months after it.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<NaiveDate>,
    /// Last day an answer counts (inclusive): the treatment date for the baseline, else 30 days
    /// after `due_on`.
    #[schema(value_type = Option<String>, format = Date)]
    pub closes_on: Option<NaiveDate>,
    /// When the patient answered or skipped.
    pub responded_at: Option<DateTime<Utc>>,
}

/// A quote's follow-up schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpList {
    pub quote_id: Uuid,
    /// Where the quote stands for follow-up.
    pub treatment: FollowUpStage,
    /// The baseline, then 3, 6, 12 and 24 months after treatment.
    pub items: Vec<FollowUpItem>,
    /// Whether the patient currently lets de-identified answers join the public outcome registry.
    pub registry_consent: bool,
    pub disclaimer: Disclaimer,
}

/// An adverse event since the last answer (the treatment record's categories and CTCAE severities).
// Health data: no `Debug`, so it cannot reach a log line.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdverseEventInput {
    pub category: AdverseEventCategory,
    pub severity: AdverseEventSeverity,
    /// What happened, in words (at most 500 characters); required for category `other`.
    #[schema(
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        example = "pain at the injection site for three days"
    )]
    pub description: Option<String>,
    pub care_needed: CareNeeded,
}

/// A further procedure since the last answer.
// Health data: no `Debug`, so it cannot reach a log line.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FurtherProcedureInput {
    pub kind: ProcedureKind,
    /// Optional detail, at most 500 characters, no control characters.
    #[schema(
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: Option<String>,
}

/// A follow-up answer. Stored encrypted, never logged, never sent in a webhook.
// Health data: no `Debug`, so it cannot reach a log line.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpAnswerRequest {
    /// Back pain on the 0–10 numeric rating scale (0 no pain, 10 worst possible pain).
    #[schema(minimum = 0, maximum = 10, example = 6)]
    pub back_pain_nrs: i64,
    /// Leg pain on the 0–10 numeric rating scale.
    #[schema(minimum = 0, maximum = 10, example = 4)]
    pub leg_pain_nrs: i64,
    /// Oswestry Disability Index score, 0–100 (the score only: the questionnaire is licensed by
    /// its holder and not served here).
    #[schema(minimum = 0, maximum = 100, example = 32)]
    pub odi_score: Option<f64>,
    /// Patient's global impression of change, 1–7 (not at the baseline); give `pgic_version` with it.
    #[schema(minimum = 1, maximum = 7, example = 2)]
    pub pgic: Option<i64>,
    /// Which 7-point wording the patient answered.
    pub pgic_version: Option<PgicVersion>,
    /// Adverse events since the last answer (none at the baseline), at most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub adverse_events: Vec<AdverseEventInput>,
    /// Further procedures since the last answer, at most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub further_procedures: Vec<FurtherProcedureInput>,
    /// Work status.
    pub work_status: Option<WorkStatus>,
}

/// The registry consent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistryConsentRequest {
    /// `true` lets de-identified answers join the public outcome registry; `false` withdraws
    /// the consent and removes them.
    pub granted: bool,
}

/// The registry consent as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryConsentResponse {
    pub granted: bool,
}
