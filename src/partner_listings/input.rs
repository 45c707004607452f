//! The writable shape of a partner's clinic and package listings, and their validation.
//!
//! Partners send plain text (anything that looks like HTML is refused), `https:` URLs, ISO 3166-1
//! countries (those StemCare lists), ISO 4217 currencies (those with an exchange rate) and BCP 47
//! language tags. Server-owned fields are read-only: sending one is a 422 naming it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::openapi::items::{LanguageTag, Slug, Text100, Text1000, Text200, VocabularyCode};
use crate::red_flags::disclosures::Disclosures;

/// Fields only the server sets; a body that contains one is refused (no mass assignment).
pub const READ_ONLY_FIELDS: [&str; 17] = [
    "id",
    "slug",
    "partner_id",
    "score",
    "score_parts",
    "rank_explanation",
    "red_flags",
    "has_critical_red_flags",
    "status",
    "moderation_status",
    "moderation_note",
    "version",
    "promoted",
    "created_at",
    "updated_at",
    "price_provenance",
    "response_time",
];

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

/// What validation needs from the catalogue.
pub struct Vocabularies<'a> {
    pub countries: &'a [String],
    pub conditions: &'a [String],
    pub cell_types: &'a [String],
    pub methods: &'a [String],
    pub inclusions: &'a [String],
    pub currencies: &'a [String],
}

/// Collects field errors under a JSON Pointer prefix.
pub struct Errors<'a> {
    prefix: &'a str,
    pub list: Vec<FieldError>,
}

impl<'a> Errors<'a> {
    pub fn new(prefix: &'a str) -> Self {
        Self {
            prefix,
            list: Vec::new(),
        }
    }

    /// `Ok` when nothing was added, else a 422 listing every error.
    pub fn into_result(self) -> Result<(), crate::error::ApiError> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(crate::error::ApiError::validation(self.list))
        }
    }

    pub fn add(&mut self, pointer: &str, message: impl Into<String>) {
        self.list.push(FieldError {
            pointer: format!("{}{pointer}", self.prefix),
            message: message.into(),
        });
    }

    /// Plain text of `min`–`max` characters, without markup or control characters.
    pub fn text(&mut self, pointer: &str, value: &str, min: usize, max: usize) {
        let n = value.trim().chars().count();
        if n < min || value.chars().count() > max {
            self.add(pointer, format!("must be {min} to {max} characters"));
        } else if looks_like_markup(value) {
            self.add(pointer, "must be plain text (no HTML)");
        } else if crate::text::has_forbidden_control(value) {
            self.add(pointer, "must not contain control characters");
        }
    }

    pub fn texts(&mut self, pointer: &str, values: &[String], max_items: usize, max_len: usize) {
        if values.len() > max_items {
            self.add(pointer, format!("must have at most {max_items} items"));
        }
        for (i, value) in values.iter().enumerate() {
            self.text(&format!("{pointer}/{i}"), value, 1, max_len);
        }
    }

    pub fn https(&mut self, pointer: &str, value: &str) {
        match url::Url::parse(value) {
            Ok(url)
                if url.scheme() == "https" && url.host_str().is_some() && value.chars().count() <= 500 => {}
            _ => self.add(pointer, "must be an https:// URL of at most 500 characters"),
        }
    }

    pub fn one_of(&mut self, pointer: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.add(pointer, format!("must be one of {}", allowed.join(", ")));
        }
    }

    pub fn known(&mut self, pointer: &str, value: &str, known: &[String], what: &str) {
        if !known.iter().any(|k| k == value) {
            self.add(pointer, format!("is not a known {what}"));
        }
    }

    pub fn range(&mut self, pointer: &str, value: Option<i32>, min: i32, max: i32) {
        if value.is_some_and(|v| !(min..=max).contains(&v)) {
            self.add(pointer, format!("must be between {min} and {max}"));
        }
    }
}

/// A conservative test for markup: a `<` followed by a letter, `/`, `!` or `?`.
fn looks_like_markup(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?')))
}

impl ClinicInput {
    pub fn validate(&self, errors: &mut Errors<'_>, vocab: &Vocabularies<'_>) {
        if let Some(external_id) = &self.external_id {
            errors.text("/external_id", external_id, 1, 100);
        }
        errors.text("/name", &self.name, 1, 200);
        errors.known(
            "/country",
            &self.country,
            vocab.countries,
            "listed country (ISO 3166-1 alpha-2)",
        );
        if let Some(city) = &self.city {
            errors.text("/city", city, 1, 100);
        }
        if let Some(ownership) = &self.ownership {
            errors.one_of("/ownership", ownership, &["private", "public"]);
        }
        if let Some(scope) = &self.specialty_scope {
            errors.one_of("/specialty_scope", scope, &["single", "multi"]);
        }
        errors.texts("/specialties", &self.specialties, 30, 100);
        errors.range("/years_experience", self.years_experience, 0, 200);
        errors.range("/patients_per_year", self.patients_per_year, 0, 10_000_000);
        errors.range("/min_age", self.min_age, 0, 120);
        errors.texts("/patient_origin_regions", &self.patient_origin_regions, 20, 100);
        errors.texts("/notable_technology", &self.notable_technology, 30, 200);
        errors.text("/description", &self.description, 1, 5000);
        errors.texts("/claims", &self.claims, 20, 1000);
        errors.texts("/conditions_treated", &self.conditions_treated, 50, 100);
        errors.texts("/stem_cell_indications", &self.stem_cell_indications, 50, 100);
        if self.accreditations.len() > 20 {
            errors.add("/accreditations", "must have at most 20 items");
        }
        for (i, accreditation) in self.accreditations.iter().enumerate() {
            errors.text(&format!("/accreditations/{i}/body"), &accreditation.body, 1, 100);
            if let Some(id) = &accreditation.id {
                errors.text(&format!("/accreditations/{i}/id"), id, 1, 100);
            }
            if let Some(url) = &accreditation.evidence_url {
                errors.https(&format!("/accreditations/{i}/evidence_url"), url);
            }
        }
        if self.languages.len() > 20 {
            errors.add("/languages", "must have at most 20 items");
        }
        for (i, tag) in self.languages.iter().enumerate() {
            if !crate::openapi::items::plausible_language_tag(tag) {
                errors.add(
                    &format!("/languages/{i}"),
                    "must be a BCP 47 language tag such as en or es-MX",
                );
            }
        }
        if let Some(website) = &self.website {
            errors.https("/website", website);
        }
        if let Some(disclosures) = &self.disclosures {
            disclosures.validate("/disclosures", &mut |pointer, message| {
                errors.add(&pointer, message)
            });
        }
    }
}

impl PackageInput {
    pub fn validate(&self, errors: &mut Errors<'_>, vocab: &Vocabularies<'_>) {
        errors.text("/title", &self.title, 1, 200);
        if self.conditions.is_empty() || self.conditions.len() > 10 {
            errors.add("/conditions", "must have 1 to 10 items");
        }
        for (i, slug) in self.conditions.iter().enumerate() {
            errors.known(
                &format!("/conditions/{i}"),
                slug,
                vocab.conditions,
                "condition slug",
            );
        }
        if let Some(cell) = &self.cell_type {
            errors.known("/cell_type", cell, vocab.cell_types, "cell type slug");
        }
        if let Some(source) = &self.cell_source {
            errors.one_of("/cell_source", source, &["autologous", "allogeneic"]);
        }
        if let Some(method) = &self.administration_method {
            errors.known(
                "/administration_method",
                method,
                vocab.methods,
                "administration method slug",
            );
        }
        errors.range("/injections", self.injections, 1, 50);
        let price = &self.price;
        if price.min < Decimal::ZERO || price.min.scale() > 2 || price.min > Decimal::from(10_000_000) {
            errors.add(
                "/price/min",
                "must be between 0 and 10000000 with at most 2 decimals",
            );
        }
        if price
            .max
            .is_some_and(|max| max < price.min || max.scale() > 2 || max > Decimal::from(10_000_000))
        {
            errors.add(
                "/price/max",
                "must be at least min, at most 10000000, with at most 2 decimals",
            );
        }
        errors.known(
            "/price/currency",
            &price.currency,
            vocab.currencies,
            "currency with an exchange rate",
        );
        errors.one_of("/price_basis", &self.price_basis, &["per_injection", "package"]);
        for (field, items) in [("inclusions", &self.inclusions), ("exclusions", &self.exclusions)] {
            if items.len() > 50 {
                errors.add(&format!("/{field}"), "must have at most 50 items");
            }
            for (i, code) in items.iter().enumerate() {
                errors.known(
                    &format!("/{field}/{i}"),
                    code,
                    vocab.inclusions,
                    "inclusion vocabulary code",
                );
            }
        }
        for code in &self.inclusions {
            if self.exclusions.contains(code) {
                errors.add(
                    "/exclusions",
                    format!("{code} cannot be both included and excluded"),
                );
            }
        }
        if self.add_ons.len() > 20 {
            errors.add("/add_ons", "must have at most 20 items");
        }
        for (i, add_on) in self.add_ons.iter().enumerate() {
            errors.text(&format!("/add_ons/{i}/description"), &add_on.description, 1, 300);
            errors.known(
                &format!("/add_ons/{i}/currency"),
                &add_on.currency,
                vocab.currencies,
                "currency",
            );
            if add_on.amount < Decimal::ZERO
                || add_on.amount.scale() > 2
                || add_on.amount > Decimal::from(10_000_000)
            {
                errors.add(
                    &format!("/add_ons/{i}/amount"),
                    "must be between 0 and 10000000 with at most 2 decimals",
                );
            }
        }
        if let Some(url) = &self.protocol_url {
            errors.https("/protocol_url", url);
        }
    }
}

/// 422 field errors for every server-owned field present in a body.
pub fn read_only_errors(body: &serde_json::Value, prefix: &str) -> Vec<FieldError> {
    let Some(object) = body.as_object() else {
        return Vec::new();
    };
    READ_ONLY_FIELDS
        .iter()
        .filter(|field| object.contains_key(**field))
        .map(|field| FieldError {
            pointer: format!("{prefix}/{field}"),
            message: "is read-only".into(),
        })
        .collect()
}

/// RFC 7396 JSON Merge Patch.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(patch_fields) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(target_fields) = target {
        for (key, value) in patch_fields {
            if value.is_null() {
                target_fields.remove(key);
            } else {
                merge_patch(
                    target_fields
                        .entry(key.clone())
                        .or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
        let mut doc = json!({"list": [1, 2]});
        merge_patch(&mut doc, &json!({"list": [3]}));
        assert_eq!(doc, json!({"list": [3]}), "arrays are replaced");
    }

    #[test]
    fn markup_is_detected() {
        assert!(looks_like_markup("<script>alert(1)</script>"));
        assert!(looks_like_markup("hello <b>bold</b>"));
        assert!(!looks_like_markup("pain score < 5 after 3 months"));
    }
}
