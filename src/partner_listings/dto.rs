//! The wire types of partner listing management: listings as partners write them, and bulk
//! imports. Partners send plain text (anything that looks like HTML is refused), `https:` URLs,
//! ISO 3166-1 countries (those StemCare lists), ISO 4217 currencies (those with an exchange rate)
//! and BCP 47 language tags; `domain` checks all of it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::FieldError;
use crate::openapi::items::{LanguageTag, Slug, Text100, Text1000, Text200, VocabularyCode};
use crate::red_flags::disclosures::Disclosures;

/// An accreditation the clinic claims; StemCare marks it verified only after checking it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccreditationInput {
    /// Accrediting body, e.g. `JCI` or `ISO 9001` (1–100 characters).
    #[schema(
        example = "JCI",
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub body: String,
    /// Certificate or accreditation id (1–100 characters).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub id: Option<String>,
    /// Expiry date (YYYY-MM-DD).
    pub valid_until: Option<chrono::NaiveDate>,
    /// Where it can be checked (an https URL of at most 500 characters).
    #[schema(format = "uri", max_length = 500)]
    pub evidence_url: Option<String>,
}

/// A clinic listing as a partner writes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClinicInput {
    /// The partner's own id for this clinic (for upserts), 1–100 characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub external_id: Option<String>,
    /// 1–200 characters.
    #[schema(
        example = "Example Spine Clinic",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// ISO 3166-1 alpha-2, one of the countries StemCare lists.
    #[schema(example = "MX", min_length = 2, max_length = 2, pattern = "^[A-Z]{2}$")]
    pub country: String,
    /// 1–100 characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub city: Option<String>,
    /// `private` or `public`.
    #[schema(max_length = 7, pattern = "^(private|public)$")]
    pub ownership: Option<String>,
    /// `single` or `multi`.
    #[schema(max_length = 6, pattern = "^(single|multi)$")]
    pub specialty_scope: Option<String>,
    /// At most 30, each 1–100 characters.
    #[serde(default)]
    #[schema(value_type = Vec<Text100>, inline, max_items = 30)]
    pub specialties: Vec<String>,
    #[schema(minimum = 0, maximum = 200)]
    pub years_experience: Option<i32>,
    #[schema(minimum = 0, maximum = 10000000)]
    pub patients_per_year: Option<i32>,
    pub serves_adults: Option<bool>,
    pub serves_children: Option<bool>,
    #[schema(minimum = 0, maximum = 120)]
    pub min_age: Option<i32>,
    /// At most 20, each 1–100 characters.
    #[serde(default)]
    #[schema(value_type = Vec<Text100>, inline, max_items = 20)]
    pub patient_origin_regions: Vec<String>,
    /// At most 30, each 1–200 characters.
    #[serde(default)]
    #[schema(value_type = Vec<Text200>, inline, max_items = 30)]
    pub notable_technology: Vec<String>,
    /// Plain text, 1–5,000 characters.
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: String,
    /// Marketing claims, each checked against the red-flag rules (at most 20, each 1–1,000
    /// characters).
    #[serde(default)]
    #[schema(value_type = Vec<Text1000>, inline, max_items = 20)]
    pub claims: Vec<String>,
    /// Everything the clinic treats (at most 50, each 1–100 characters).
    #[serde(default)]
    #[schema(value_type = Vec<Text100>, inline, max_items = 50)]
    pub conditions_treated: Vec<String>,
    /// Everything the clinic treats with stem cells (at most 50, each 1–100 characters).
    #[serde(default)]
    #[schema(value_type = Vec<Text100>, inline, max_items = 50)]
    pub stem_cell_indications: Vec<String>,
    /// At most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub accreditations: Vec<AccreditationInput>,
    /// BCP 47 tags of the languages spoken with patients (at most 20).
    #[serde(default)]
    #[schema(value_type = Vec<LanguageTag>, inline, max_items = 20)]
    pub languages: Vec<String>,
    /// The clinic's website (an https URL of at most 500 characters).
    #[schema(format = "uri", max_length = 500)]
    pub website: Option<String>,
    /// What the listing discloses about its treatment protocol, ethics committee or regulator
    /// approval, deposit and reviews. Absent or null fields are not stated (an informational
    /// "not stated" flag each); a listing that states none of them shows no `disclosures`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosures: Option<Disclosures>,
}

/// A priced extra.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AddOnInput {
    /// 1–300 characters.
    #[schema(
        min_length = 1,
        max_length = 300,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: String,
    /// 0–10,000,000 with at most 2 decimals.
    #[schema(value_type = String, example = "350.00", max_length = 11, pattern = r"^[0-9]{1,8}(\.[0-9]{1,2})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// ISO 4217 code with an exchange rate.
    #[schema(example = "USD", min_length = 3, max_length = 3, pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

/// A listed price: `max` absent for a "from" price, equal to `min` for an exact price.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    /// 0–10,000,000 with at most 2 decimals.
    #[schema(value_type = String, example = "6500.00", max_length = 11, pattern = r"^[0-9]{1,8}(\.[0-9]{1,2})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub min: Decimal,
    /// `min`–10,000,000 with at most 2 decimals.
    #[schema(value_type = Option<String>, example = "8000.00", max_length = 11, pattern = r"^[0-9]{1,8}(\.[0-9]{1,2})?$")]
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub max: Option<Decimal>,
    /// ISO 4217 code with an exchange rate.
    #[schema(example = "USD", min_length = 3, max_length = 3, pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

/// A treatment package as a partner writes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PackageInput {
    /// 1–200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub title: String,
    /// Condition slugs covered (1–10).
    #[schema(value_type = Vec<Slug>, inline, min_items = 1, max_items = 10)]
    pub conditions: Vec<String>,
    /// A known cell type slug.
    #[schema(min_length = 1, max_length = 100, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub cell_type: Option<String>,
    /// `autologous` or `allogeneic`.
    #[schema(max_length = 10, pattern = "^(autologous|allogeneic)$")]
    pub cell_source: Option<String>,
    /// A known administration method slug.
    #[schema(min_length = 1, max_length = 100, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub administration_method: Option<String>,
    #[schema(minimum = 1, maximum = 50)]
    pub injections: Option<i32>,
    pub price: PriceInput,
    /// `per_injection` or `package`.
    #[schema(max_length = 13, pattern = "^(per_injection|package)$")]
    pub price_basis: String,
    /// Included items (inclusion vocabulary codes, at most 50).
    #[schema(value_type = Vec<VocabularyCode>, inline, max_items = 50)]
    pub inclusions: Vec<String>,
    /// Excluded items; required so nothing is hidden (may be empty; at most 50).
    #[schema(value_type = Vec<VocabularyCode>, inline, max_items = 50)]
    pub exclusions: Vec<String>,
    /// At most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub add_ons: Vec<AddOnInput>,
    /// The documented treatment protocol (an https URL of at most 500 characters).
    #[schema(format = "uri", max_length = 500)]
    pub protocol_url: Option<String>,
}

/// One clinic and its packages; `clinic.external_id` identifies it across imports.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportItem {
    pub clinic: ClinicInput,
    /// Replaces the clinic's packages.
    #[serde(default)]
    pub treatment_packages: Vec<PackageInput>,
}

/// A bulk import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// 1 to 1,000 items, each in the `ImportItem` shape. Each item is checked on its own: one
    /// that is not an `ImportItem` (unknown or read-only fields included) is reported as
    /// `rejected` in the results, so the schema accepts any object here.
    #[schema(value_type = Vec<Object>, min_items = 1, max_items = 1000)]
    pub items: Vec<Value>,
}

/// What happened to one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Position in the request.
    #[schema(format = Int64)]
    pub index: usize,
    pub external_id: Option<String>,
    /// `created`, `updated`, `unchanged` or `rejected`.
    #[schema(example = "created")]
    pub outcome: String,
    pub clinic_id: Option<Uuid>,
    /// `pending_review` when red flags hold the listing for moderation.
    pub status: Option<String>,
    /// Why the item was rejected; pointers are relative to the request body.
    pub errors: Vec<FieldError>,
}

/// Counts per outcome.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportSummary {
    #[schema(format = Int64)]
    pub created: usize,
    #[schema(format = Int64)]
    pub updated: usize,
    #[schema(format = Int64)]
    pub unchanged: usize,
    #[schema(format = Int64)]
    pub rejected: usize,
}

/// The result of an import, one entry per item in input order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub summary: ImportSummary,
    pub results: Vec<ImportResult>,
}
