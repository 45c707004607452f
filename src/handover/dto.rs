//! The handover pack and the doctor's link, as sent.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::disclaimer::Disclaimer;
use crate::evidence::present::EvidenceSummaryResponse;
use crate::treatments::domain::{CellSource, FollowUpTimePoint};
use crate::treatments::dto::AdverseEventEntry;

/// A catalogue entry named by its slug and its name.
#[derive(Serialize, ToSchema)]
pub struct Named {
    #[schema(example = "bm-msc")]
    pub slug: String,
    /// `null` when the catalogue no longer has it.
    pub name: Option<String>,
}

/// What was given, where, and what happened during the stay, as the treating clinic recorded it.
#[derive(Serialize, ToSchema)]
pub struct HandoverTreatment {
    #[schema(value_type = String, format = Date)]
    pub treated_on: NaiveDate,
    pub cell_type: Named,
    pub cell_source: Option<CellSource>,
    pub cell_count: Option<i64>,
    pub administration_method: Option<Named>,
    pub sites: Vec<String>,
    pub product_lot: Option<String>,
    pub certificate_of_analysis: Option<String>,
    pub medications: Vec<String>,
    /// Adverse events during the stay; severities are the CTCAE levels (source `ctcae-v5`).
    pub adverse_events_during_stay: Vec<AdverseEventEntry>,
    /// `partner` (the clinic), `coordinator` or `admin`.
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    /// `treatment-record`.
    pub source_id: &'static str,
}

/// Who at the clinic answers, and how, as far as the listing says.
#[derive(Serialize, ToSchema)]
pub struct ClinicContact {
    pub clinic_id: Uuid,
    pub name: String,
    pub city: Option<String>,
    #[schema(example = "TR")]
    pub country_code: Option<String>,
    pub website: Option<String>,
    /// Contact fields the listing does not hold.
    pub unknown_fields: Vec<&'static str>,
    pub note: &'static str,
}

/// A complication the cited source names.
#[derive(Serialize, ToSchema)]
pub struct WarningSignView {
    pub complication: &'static str,
    pub source_id: &'static str,
}

/// One follow-up time point with its answer window (inclusive).
#[derive(Serialize, ToSchema)]
pub struct FollowUpDate {
    pub time_point: FollowUpTimePoint,
    #[schema(value_type = String, format = Date)]
    pub due_on: NaiveDate,
    /// `null` for the baseline (open from acceptance).
    #[schema(value_type = Option<String>, format = Date)]
    pub window_opens: Option<NaiveDate>,
    #[schema(value_type = String, format = Date)]
    pub window_closes: NaiveDate,
}

/// A cited source.
#[derive(Serialize, ToSchema)]
pub struct SourceView {
    #[schema(example = "ichom-lbp")]
    pub id: String,
    pub title: String,
    pub url: Option<String>,
}

/// Everything a doctor at home needs after a treatment abroad, each statement with its source.
#[derive(Serialize, ToSchema)]
pub struct HandoverPack {
    pub quote_id: Uuid,
    pub generated_at: DateTime<Utc>,
    /// The condition the patient asked about.
    pub condition: Named,
    pub treatment: HandoverTreatment,
    pub clinic: ClinicContact,
    pub warning_signs: Vec<WarningSignView>,
    pub warning_signs_note: &'static str,
    /// The condition's evidence summary (for the cell type given when there is one), with its
    /// GRADE certainty; `null` when there is none.
    pub evidence: Option<EvidenceSummaryResponse>,
    /// `no study found for this condition` when `evidence` is `null`.
    pub evidence_note: Option<&'static str>,
    pub follow_up_schedule: Vec<FollowUpDate>,
    /// Source `ichom-lbp`; the windows are StemCare's rule.
    pub follow_up_note: &'static str,
    /// Every source the pack cites, including the evidence summary (`evidence:<slug>`) and its
    /// studies (`study:<slug>`).
    pub sources: Vec<SourceView>,
    pub disclaimer: Disclaimer,
}

/// How long the doctor's link should live.
#[derive(Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHandoverLinkRequest {
    /// Days until the link expires: 1 to 90, default 30.
    #[schema(minimum = 1, maximum = 90, example = 30)]
    #[serde(default)]
    pub expires_in_days: Option<u16>,
}

/// A doctor's link. `token` and `url` are shown once: only the token's hash is stored.
#[derive(Serialize, ToSchema)]
pub struct HandoverLinkResponse {
    pub id: Uuid,
    /// `/v1/handover/{token}`: give it to the doctor; it opens the pack (JSON, or HTML in a browser).
    #[schema(example = "/v1/handover/hl_3q2…")]
    pub url: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}
