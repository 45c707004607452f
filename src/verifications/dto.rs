//! Wire types of verification records.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::openapi::items::{FreeText2000, Text100};
use crate::red_flags::verified::{SubjectKind, VerificationResult};
use crate::verifications::domain::Standing;

/// What was checked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectInput {
    /// `practitioner_licence` (`id` is the practitioner), `clinic_accreditation` or `trial_claim`
    /// (`id` is the clinic).
    pub kind: SubjectKind,
    /// The practitioner's or the clinic's id.
    pub id: Uuid,
    /// For `clinic_accreditation`: the accrediting body as the clinic names it (e.g. `JCI`).
    #[schema(value_type = Option<Text100>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accreditation: Option<String>,
    /// For `trial_claim`: the ClinicalTrials.gov id the clinic cites.
    #[schema(
        example = "NCT03308565",
        pattern = "^NCT[0-9]{8}$",
        min_length = 11,
        max_length = 11
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nct_id: Option<String>,
}

/// A verification to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordVerificationRequest {
    pub subject: SubjectInput,
    /// The primary source consulted: the issuing body's register, the accreditor's directory, the
    /// registry record (an https URL of at most 500 characters).
    #[schema(
        format = "uri",
        max_length = 500,
        pattern = "^https://",
        example = "https://www.gmc-uk.org/registration-and-licensing/the-medical-register"
    )]
    pub source_url: String,
    /// When the source was checked (not in the future).
    pub checked_at: DateTime<Utc>,
    /// What the source said.
    pub result: VerificationResult,
    /// The last day the result holds (required for `verified`; at most five years after the check).
    /// From the next day the claim is "claimed by the clinic" again.
    pub valid_until: Option<NaiveDate>,
    /// What was seen, for the next coordinator (plain text, at most 2,000 characters; never patient data).
    #[schema(value_type = Option<FreeText2000>)]
    pub note: Option<String>,
}

/// Who recorded a verification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckedBy {
    /// The staff API key that recorded it.
    pub key_id: Uuid,
    /// `coordinator` or `admin`.
    #[schema(example = "coordinator")]
    pub role: String,
}

/// A verification record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerificationResponse {
    pub id: Uuid,
    pub subject: SubjectInput,
    /// The clinic the subject belongs to.
    pub clinic_id: Uuid,
    pub source_url: String,
    pub checked_at: DateTime<Utc>,
    pub checked_by: CheckedBy,
    pub result: VerificationResult,
    pub valid_until: Option<NaiveDate>,
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
    /// No newer record on the same subject supersedes this one.
    pub current: bool,
    /// Current, `verified`, and `valid_until` not passed today: the claim counts.
    pub in_force: bool,
}

/// A page of verification records, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationPage {
    pub items: Vec<VerificationResponse>,
    /// Pass as `page_token` for the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

/// Filters of the verification list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerificationListParams {
    /// Only records of this kind of subject.
    pub kind: Option<SubjectKind>,
    /// Only records on this practitioner or clinic (the subject's `id`).
    pub subject_id: Option<Uuid>,
    /// Only records about this clinic or its practitioners.
    pub clinic_id: Option<Uuid>,
    /// Only records with this result.
    pub result: Option<VerificationResult>,
    /// Only records no newer record supersedes.
    pub current: Option<bool>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page's `next_page_token`.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
}

/// How one claim stands today, as patients see it: verified (by whom, against what, when, until
/// when), or claimed by the clinic.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimStanding {
    /// `verified` only while a current verification record confirms the claim.
    pub status: Standing,
    /// The newest verification record of the claim, when there is one (also when it has expired or
    /// was made on details the clinic has since changed).
    pub verification: Option<VerificationSummary>,
}

/// The public part of a verification record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerificationSummary {
    pub result: VerificationResult,
    /// The primary source consulted.
    pub source_url: String,
    pub checked_at: DateTime<Utc>,
    /// `coordinator` or `admin` (StemCare staff).
    #[schema(example = "coordinator")]
    pub checked_by: String,
    /// The last day the result holds.
    pub valid_until: Option<NaiveDate>,
}
