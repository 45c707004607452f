//! Request and response bodies of the offer endpoints.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::openapi::items::InclusionCode;
use crate::red_flags::RedFlag;

/// One itemised part of an offer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    /// Inclusion vocabulary code, or `other`.
    #[schema(
        example = "cell_extraction",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9_]+$"
    )]
    pub code: String,
    /// What exactly (at most 300 characters).
    #[schema(
        example = "Bone marrow aspiration from the iliac crest",
        max_length = 300,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: Option<String>,
    /// 0–10,000,000 with at most 2 decimals.
    #[schema(value_type = String, example = "1500.00", max_length = 11, pattern = r"^[0-9]{1,8}(\.[0-9]{1,2})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// When a deposit is due and how much of it comes back.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deposit {
    /// 0 up to the offer's total, with at most 2 decimals.
    #[schema(value_type = String, example = "500.00", max_length = 12, pattern = r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// `on_booking` or `after_medical_review`.
    #[schema(
        example = "after_medical_review",
        max_length = 20,
        pattern = "^(on_booking|after_medical_review)$"
    )]
    pub due: String,
    /// Percent refunded if the patient cancels (0–100).
    #[schema(example = 100, minimum = 0, maximum = 100)]
    pub refundable_percent: u8,
}

/// The refund policy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundPolicy {
    /// Full refund when cancelled at least this many days before treatment (0–365).
    #[schema(example = 14, minimum = 0, maximum = 365)]
    pub full_refund_until_days_before: u16,
    /// Percent refunded after that (0–100).
    #[schema(example = 50, minimum = 0, maximum = 100)]
    pub late_refund_percent: u8,
    /// At most 500 characters.
    #[schema(
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub notes: Option<String>,
}

/// How the price may change after the clinic examines the patient.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceChange {
    /// When the price may change (at most 1,000 characters).
    #[schema(
        example = "If the MRI on arrival shows more than one affected disc",
        max_length = 1000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub conditions: Option<String>,
    /// The most the price may rise, in percent (0–100, at most 2 decimals).
    #[schema(value_type = String, example = "10", max_length = 6, pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub max_increase_percent: Decimal,
}

/// A clinic's firm offer.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOfferRequest {
    /// The offering clinic; the quote must have been shared with it.
    pub clinic_id: Uuid,
    /// One of that clinic's packages, optional.
    pub package_id: Option<Uuid>,
    /// 1–30 itemised lines.
    #[schema(min_items = 1, max_items = 30)]
    pub line_items: Vec<LineItem>,
    /// Must equal the sum of the line items.
    #[schema(value_type = String, example = "7500.00", max_length = 12, pattern = r"^[0-9]{1,9}(\.[0-9]{1,2})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// ISO 4217 code with an exchange rate.
    #[schema(example = "USD", min_length = 3, max_length = 3, pattern = "^[A-Z]{3}$")]
    pub currency: String,
    #[schema(minimum = 1, maximum = 50)]
    pub injections: Option<i32>,
    /// Cell type slug or the product's own name (at most 100 characters).
    #[schema(
        example = "bm-msc",
        max_length = 100,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub cell_type: Option<String>,
    /// `autologous` or `allogeneic`.
    #[schema(
        example = "autologous",
        max_length = 10,
        pattern = "^(autologous|allogeneic)$"
    )]
    pub cell_source: Option<String>,
    /// What the price does not include (vocabulary codes, at most 50); required, may be empty.
    #[schema(value_type = Vec<InclusionCode>, max_items = 50)]
    pub exclusions: Vec<String>,
    pub price_change: PriceChange,
    pub deposit: Deposit,
    pub refund_policy: RefundPolicy,
    /// Any outcome guarantee the clinic gives (at most 500 characters); checked for red flags.
    #[schema(
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub outcome_guarantee: Option<String>,
    /// When the offer lapses (in the future, at most 180 days ahead).
    pub valid_until: DateTime<Utc>,
    /// At most 2,000 characters; checked for red flags.
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub notes: Option<String>,
}

/// A quote's offers, oldest first, with the medical disclaimer the patient reads them beside.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferList {
    /// The offers the caller may see, oldest first.
    pub items: Vec<OfferResponse>,
    pub disclaimer: crate::disclaimer::Disclaimer,
}

/// An offer as the patient and the clinic see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferResponse {
    pub id: Uuid,
    pub quote_id: Uuid,
    pub clinic_id: Uuid,
    pub clinic_name: String,
    pub package_id: Option<Uuid>,
    pub line_items: Vec<LineItem>,
    #[schema(value_type = String, example = "7500.00")]
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub currency: String,
    pub injections: Option<i32>,
    pub cell_type: Option<String>,
    pub cell_source: Option<String>,
    /// What the price does not include (inclusion vocabulary codes).
    #[schema(value_type = Vec<InclusionCode>)]
    pub exclusions: Vec<String>,
    pub price_change: PriceChange,
    pub deposit: Deposit,
    pub refund_policy: RefundPolicy,
    pub outcome_guarantee: Option<String>,
    pub valid_until: DateTime<Utc>,
    pub notes: Option<String>,
    /// Red flags raised by the offer's text and fields when it was made, and the ClinicalTrials.gov
    /// checks of every NCT id it cites, evaluated when it is read (`REGISTRY_CHECK_PENDING` until
    /// the registry was asked); most severe first.
    pub red_flags: Vec<RedFlag>,
    /// `pending`, `accepted`, `declined`, `withdrawn` or `expired`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
