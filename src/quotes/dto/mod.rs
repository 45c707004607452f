//! Request and response bodies of the quote endpoints (offers in `offers.rs`); their checks are
//! the parsers in `quotes::domain`.

mod offers;

pub use offers::*;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::clinics::scoring::ScorePart;
use crate::openapi::items::{CountryCode, Slug};
use crate::quotes::contact::PatientContact;
use crate::quotes::domain::QuoteStatus;
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
    #[schema(example = json!(QuoteStatus::Open))]
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
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedQuote {
    pub quote: QuoteResponse,
    /// The patient's secret for this quote (`Authorization: Bearer qt_…`). Shown only this once.
    #[schema(example = "qt_3q2-7w…")]
    pub access_token: String,
    /// Packages ranked for this request (packages with a critical red flag are never ranked).
    pub estimates: Vec<Estimate>,
    // Left out of the schema as it always was (the field was `skip_deserializing` while the quote
    // was a JSON value); documenting it is a spec change of its own.
    #[schema(ignore)]
    pub disclaimer: crate::disclaimer::Disclaimer,
}

/// Everything held about one quote.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct QuoteExport {
    pub quote: QuoteResponse,
    pub offers: Vec<OfferResponse>,
    /// Who read the contact details, when, in which request.
    pub access_log: Vec<AccessLogEntry>,
    /// When the patient consented to processing health data.
    pub consent_at: DateTime<Utc>,
}

/// One read of personal data.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AccessLogEntry {
    pub at: DateTime<Utc>,
    /// `admin`, `coordinator` or `partner`.
    pub actor_role: String,
    pub action: String,
    pub request_id: Option<String>,
}
