//! Request and response bodies of the treatment record endpoints.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::disclaimer::Disclaimer;
use crate::openapi::items::Text200;
use crate::treatments::domain::{
    AdverseEventCategory, AdverseEventSeverity, CellSource, NotTreatedReason, TreatmentOutcome,
};

/// An adverse event during the stay at the clinic.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdverseEventEntry {
    pub category: AdverseEventCategory,
    pub severity: AdverseEventSeverity,
    /// What happened and what was done (1–1,000 characters); required for category `other`.
    #[schema(
        example = "Headache the evening after the injection, resolved with paracetamol",
        min_length = 1,
        max_length = 1000,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: Option<String>,
}

/// What the clinic delivered, or why the treatment did not happen. With `outcome: treated`:
/// `treated_on`, `cell_type`, `cell_source`, `administration_method` and at least one of `sites`
/// are required; `cell_count`, `product_lot`, `certificate_of_analysis`, `medications` and
/// `adverse_events` are optional; `reason` and `note` are refused. With `outcome: not_treated`:
/// `reason` is required (`note` too when the reason is `other`) and every treatment field is
/// refused.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordTreatmentRequest {
    pub outcome: TreatmentOutcome,
    /// The day of the treatment: not in the future, not before the day before the offer was
    /// accepted.
    #[schema(value_type = Option<String>, format = Date, example = "2027-03-12")]
    #[serde(default)]
    pub treated_on: Option<NaiveDate>,
    /// Cell type slug from `GET /v1/cell-types`.
    #[schema(
        example = "bm-msc",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    #[serde(default)]
    pub cell_type: Option<String>,
    #[serde(default)]
    pub cell_source: Option<CellSource>,
    /// Number of cells administered, if known (1 to 10^12).
    #[schema(example = 50000000, minimum = 1, maximum = 1_000_000_000_000_i64)]
    #[serde(default)]
    pub cell_count: Option<i64>,
    /// Administration method slug from `GET /v1/administration-methods`.
    #[schema(
        example = "intradiscal-injection",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    #[serde(default)]
    pub administration_method: Option<String>,
    /// Where the cells were given, e.g. `L4-L5 disc` (1–20 sites of 1–200 characters).
    #[schema(value_type = Vec<Text200>, inline, max_items = 20, example = json!(["L4-L5 disc"]))]
    #[serde(default)]
    pub sites: Vec<String>,
    /// The product's lot or batch number (1–100 characters).
    #[schema(
        example = "BM-2027-0311-A",
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    #[serde(default)]
    pub product_lot: Option<String>,
    /// A reference to the product's certificate of analysis (1–300 characters).
    #[schema(
        example = "CoA 2027/118, cell processing laboratory",
        min_length = 1,
        max_length = 300,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    #[serde(default)]
    pub certificate_of_analysis: Option<String>,
    /// Medications given during the stay, one per line (at most 30 of 1–200 characters).
    #[schema(value_type = Vec<Text200>, inline, max_items = 30, example = json!(["Cefazolin 1 g IV once before the procedure"]))]
    #[serde(default)]
    pub medications: Vec<String>,
    /// Adverse events during the stay (at most 20).
    #[schema(max_items = 20)]
    #[serde(default)]
    pub adverse_events: Vec<AdverseEventEntry>,
    /// Why the treatment did not happen.
    #[serde(default)]
    pub reason: Option<NotTreatedReason>,
    /// The not-treated reason in words (1–2,000 characters); required for reason `other`.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    #[serde(default)]
    pub note: Option<String>,
}

/// A quote's treatment record. The clinical details are `null` (and `details_erased` true) once
/// the patient erased their data.
#[derive(Serialize, ToSchema)]
pub struct TreatmentResponse {
    pub id: Uuid,
    pub quote_id: Uuid,
    pub offer_id: Uuid,
    /// The treating clinic (the one whose offer was accepted).
    pub clinic_id: Uuid,
    pub outcome: TreatmentOutcome,
    #[schema(value_type = Option<String>, format = Date)]
    pub treated_on: Option<NaiveDate>,
    pub cell_type: Option<String>,
    pub cell_source: Option<CellSource>,
    pub cell_count: Option<i64>,
    pub administration_method: Option<String>,
    pub sites: Vec<String>,
    pub product_lot: Option<String>,
    pub certificate_of_analysis: Option<String>,
    pub medications: Vec<String>,
    pub adverse_events: Vec<AdverseEventEntry>,
    pub not_treated_reason: Option<NotTreatedReason>,
    pub note: Option<String>,
    /// True when the patient erased their data: the clinical details are gone.
    pub details_erased: bool,
    /// Who recorded it: `partner`, `coordinator` or `admin`.
    #[schema(example = "partner")]
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub disclaimer: Disclaimer,
}
