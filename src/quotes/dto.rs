//! Request and response bodies of the quote endpoints, and their validation.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::clinics::scoring::ScorePart;
use crate::error::FieldError;
use crate::openapi::items::{CountryCode, Slug, VocabularyCode};
use crate::quotes::contact::PatientContact;
use crate::red_flags::RedFlag;
use crate::treatment_packages::present::{ConvertedPrice, PackagePrice};

/// An amount in a currency, as sent by clients.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyInput {
    /// Decimal string, more than 0 and at most 10,000,000, at most 2 decimals.
    #[schema(value_type = String, example = "8000.00", max_length = 11, pattern = r"^[0-9]{1,8}(\.[0-9]{1,2})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// ISO 4217 code with a known exchange rate.
    #[schema(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

/// When the patient could travel.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TravelWindow {
    #[schema(value_type = String, format = Date, example = "2027-03-01")]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date, example = "2027-04-30")]
    pub to: NaiveDate,
}

/// Explicit consent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Must be `true`: the patient agrees that StemCare processes the health data in this request.
    pub health_data_processing: bool,
}

/// Which clinics may see the request. Nothing is shared without it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum ShareWith {
    /// Only StemCare coordinators see the request.
    None,
    /// These clinics (1–10).
    Clinics {
        #[schema(min_items = 1, max_items = 10)]
        clinic_ids: Vec<Uuid>,
    },
    /// The clinics of the best `count` estimates (1–5).
    TopMatches {
        #[schema(minimum = 1, maximum = 5)]
        count: u8,
    },
}

/// A patient's quote request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateQuoteRequest {
    /// Condition slug.
    #[schema(
        example = "sciatica",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub condition: String,
    /// Symptoms or diagnosis in the patient's words (at most 4,000 characters). Encrypted at rest.
    #[schema(
        max_length = 4000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        example = "L5-S1 herniation, leg pain for 2 years"
    )]
    pub notes: Option<String>,
    /// Whether a recent MRI exists.
    pub has_mri: bool,
    /// ISO 3166-1 alpha-2 codes (at most 10).
    #[serde(default)]
    #[schema(value_type = Vec<CountryCode>, inline, max_items = 10, example = json!(["MX", "TR"]))]
    pub preferred_countries: Vec<String>,
    /// Cell type slugs in clinical use (at most 6).
    #[serde(default)]
    #[schema(value_type = Vec<Slug>, inline, max_items = 6)]
    pub preferred_cell_types: Vec<String>,
    pub budget: Option<MoneyInput>,
    pub travel_window: Option<TravelWindow>,
    pub patient: PatientContact,
    pub consent: Consent,
    /// Defaults to `{"mode": "none"}`.
    pub share_with: Option<ShareWith>,
}

const MAX_NOTES: usize = 4000;

fn check_len(errors: &mut Vec<FieldError>, pointer: &str, value: &str, min: usize, max: usize) {
    let n = value.trim().chars().count();
    if n < min || value.chars().count() > max {
        errors.push(FieldError {
            pointer: pointer.into(),
            message: format!("must be {min} to {max} characters"),
        });
    } else if crate::text::has_forbidden_control(value) {
        errors.push(FieldError {
            pointer: pointer.into(),
            message: "must not contain control characters (other than tab and line breaks)".into(),
        });
    }
}

fn plausible_email(email: &str) -> bool {
    let email = email.trim();
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl CreateQuoteRequest {
    /// Shape checks that need no database (known values are checked by the handler).
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut fail = |pointer: &str, message: &str| {
            errors.push(FieldError {
                pointer: pointer.into(),
                message: message.into(),
            })
        };
        if !self.consent.health_data_processing {
            fail(
                "/consent/health_data_processing",
                "must be true: we cannot process a request without consent",
            );
        }
        if self.preferred_countries.len() > 10 {
            fail("/preferred_countries", "must have at most 10 items");
        }
        if self.preferred_cell_types.len() > 6 {
            fail("/preferred_cell_types", "must have at most 6 items");
        }
        if let Some(budget) = &self.budget {
            if budget.amount <= Decimal::ZERO
                || budget.amount.scale() > 2
                || budget.amount > Decimal::from(10_000_000)
            {
                fail(
                    "/budget/amount",
                    "must be more than 0 and at most 10000000, with at most 2 decimals",
                );
            }
        }
        if let Some(window) = &self.travel_window {
            if window.to < window.from {
                fail("/travel_window/to", "must not be before `from`");
            }
        }
        if !plausible_email(&self.patient.email) || self.patient.email.len() > 254 {
            fail("/patient/email", "must be an email address");
        }
        if let Some(phone) = &self.patient.phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if !(6..=20).contains(&digits)
                || phone.len() > 40
                || !phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
            {
                fail(
                    "/patient/phone",
                    "must be a phone number such as +44 20 7946 0958",
                );
            }
        }
        if !crate::openapi::items::plausible_language_tag(&self.patient.preferred_language) {
            fail(
                "/patient/preferred_language",
                "must be a BCP 47 language tag such as en or pt-BR",
            );
        }
        match &self.share_with {
            Some(ShareWith::Clinics { clinic_ids }) if clinic_ids.is_empty() || clinic_ids.len() > 10 => {
                fail("/share_with/clinic_ids", "must name 1 to 10 clinics")
            }
            Some(ShareWith::TopMatches { count }) if !(1..=5).contains(count) => {
                fail("/share_with/count", "must be between 1 and 5")
            }
            _ => {}
        }
        check_len(&mut errors, "/patient/name", &self.patient.name, 1, 200);
        if let Some(notes) = &self.notes {
            check_len(&mut errors, "/notes", notes, 0, MAX_NOTES);
        }
        errors
    }
}

/// One ranked package for the request, with the score's parts and plain reasons.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Estimate {
    /// 1 for the best match.
    #[schema(format = Int64)]
    pub rank: usize,
    pub package_id: Uuid,
    pub clinic_id: Uuid,
    #[schema(example = "Liv Hospital Ulus")]
    pub clinic_name: String,
    #[schema(example = "TR")]
    pub country: String,
    /// Matching score out of 100 (see `score_parts`).
    #[schema(example = 72)]
    pub match_score: u32,
    pub score_parts: Vec<ScorePart>,
    /// Plain-language reasons, e.g. "over budget by 1200.00 EUR".
    pub reasons: Vec<String>,
    /// The price as listed.
    pub price: PackagePrice,
    /// `regional_indicative`, `clinic_listed` or `firm_offer`.
    pub price_provenance: String,
    /// The price in the budget's currency (USD when no budget was given).
    pub price_in_budget_currency: Option<ConvertedPrice>,
}

/// A quote as its reader may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteResponse {
    pub id: Uuid,
    /// `open`, `offered`, `accepted`, `cancelled`, `expired`, or `erased` once the patient erased it.
    #[schema(example = "open")]
    pub status: String,
    #[schema(example = "sciatica")]
    pub condition: String,
    pub has_mri: bool,
    /// The patient's words; null when erased.
    pub notes: Option<String>,
    pub preferred_countries: Vec<String>,
    pub preferred_cell_types: Vec<String>,
    pub budget: Option<MoneyInput>,
    pub travel_window: Option<TravelWindow>,
    /// ISO 3166-1 alpha-2 country of residence.
    pub patient_country: Option<String>,
    pub preferred_language: Option<String>,
    /// Contact details: for the patient, staff, and the clinic whose offer was accepted; otherwise null.
    pub patient: Option<PatientContact>,
    /// `none`, `clinics` or `top_matches`.
    pub share_mode: String,
    /// Clinics this quote was shared with.
    pub routed_clinic_ids: Vec<Uuid>,
    pub estimates: Vec<Estimate>,
    pub accepted_offer_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub disclaimer: crate::disclaimer::Disclaimer,
}

/// The answer to `POST /v1/quotes`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedQuote {
    #[schema(value_type = QuoteResponse)]
    pub quote: serde_json::Value,
    /// The patient's secret for this quote (`Authorization: Bearer qt_…`). Shown only this once.
    #[schema(example = "qt_3q2-7w…")]
    pub access_token: String,
    /// Packages ranked for this request (packages with a critical red flag are never ranked).
    pub estimates: Vec<Estimate>,
    #[serde(skip_deserializing)]
    pub disclaimer: crate::disclaimer::Disclaimer,
}

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
    #[schema(value_type = Vec<VocabularyCode>, inline, max_items = 50)]
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
    pub exclusions: Vec<String>,
    pub price_change: PriceChange,
    pub deposit: Deposit,
    pub refund_policy: RefundPolicy,
    pub outcome_guarantee: Option<String>,
    pub valid_until: DateTime<Utc>,
    pub notes: Option<String>,
    /// Red flags raised by the offer's text and fields.
    pub red_flags: Vec<RedFlag>,
    /// `pending`, `accepted`, `declined`, `withdrawn` or `expired`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
