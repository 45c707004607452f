//! Partner requests parsed into listings ("parse, don't validate"): a body becomes a
//! [`ClinicInput`] or [`PackageInput`] only through [`parse_clinic`] / [`parse_package`] (or the
//! merge-patch and import variants), which report every invalid field with its JSON Pointer.
//! Server-owned fields are read-only: sending one is a 422 naming it.

use serde_json::Value;

use crate::error::FieldError;
use crate::partner_listings::dto::{ClinicInput, ImportItem, PackageInput};

mod rules;

/// The most items one import may carry.
pub const MAX_ITEMS: usize = 1000;

/// The most packages one imported clinic may carry.
pub const MAX_IMPORT_PACKAGES: usize = 20;

crate::text_enum! {
    /// What an import did with one item.
    pub enum ImportOutcome {
        /// A new clinic.
        Created => "created",
        /// An existing clinic, changed.
        Updated => "updated",
        /// An existing clinic, sent again as stored.
        Unchanged => "unchanged",
        /// Not stored; the result lists why.
        Rejected => "rejected",
    }
}

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

/// What validation needs from the catalogue.
pub struct Vocabularies<'a> {
    pub countries: &'a [String],
    pub conditions: &'a [String],
    pub cell_types: &'a [String],
    pub methods: &'a [String],
    pub inclusions: &'a [String],
    pub currencies: &'a [String],
}

/// Collects field errors under a JSON Pointer prefix: the one way this resource reports invalid
/// input (the pointer and message of each error are part of the API).
pub struct FieldErrors<'a> {
    prefix: &'a str,
    list: Vec<FieldError>,
}

impl<'a> FieldErrors<'a> {
    /// Errors whose pointers start with `prefix` (`""` for the body itself).
    pub fn new(prefix: &'a str) -> Self {
        Self {
            prefix,
            list: Vec::new(),
        }
    }

    /// `value` when nothing was added, else every error.
    pub fn or<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.list.is_empty() {
            Ok(value)
        } else {
            Err(self.list)
        }
    }

    /// The errors added so far.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.list
    }

    /// Adds every error of `other` (already prefixed).
    pub fn extend(&mut self, other: Vec<FieldError>) {
        self.list.extend(other);
    }

    /// Records that the value at `prefix + pointer` is invalid.
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

    /// At most `max_items` texts of 1–`max_len` characters each.
    pub fn texts(&mut self, pointer: &str, values: &[String], max_items: usize, max_len: usize) {
        if values.len() > max_items {
            self.add(pointer, format!("must have at most {max_items} items"));
        }
        for (i, value) in values.iter().enumerate() {
            self.text(&format!("{pointer}/{i}"), value, 1, max_len);
        }
    }

    /// An `https:` URL of at most 500 characters.
    pub fn https(&mut self, pointer: &str, value: &str) {
        match url::Url::parse(value) {
            Ok(url)
                if url.scheme() == "https" && url.host_str().is_some() && value.chars().count() <= 500 => {}
            _ => self.add(pointer, "must be an https:// URL of at most 500 characters"),
        }
    }

    /// One of the `allowed` words.
    pub fn one_of(&mut self, pointer: &str, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.add(pointer, format!("must be one of {}", allowed.join(", ")));
        }
    }

    /// One of the catalogue's `known` values (`what` names the vocabulary).
    pub fn known(&mut self, pointer: &str, value: &str, known: &[String], what: &str) {
        if !known.iter().any(|k| k == value) {
            self.add(pointer, format!("is not a known {what}"));
        }
    }

    /// An optional integer within `min..=max`.
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

/// Parses a body into `T` (a listing type) under `prefix`: read-only fields first, then the
/// strict shape.
fn shape<T: serde::de::DeserializeOwned>(body: Value, prefix: &str) -> Result<T, Vec<FieldError>> {
    let errors = read_only_errors(&body, prefix);
    if !errors.is_empty() {
        return Err(errors);
    }
    strict(body, prefix)
}

/// Deserialises `T` strictly (unknown fields are refused); the error points at `prefix`.
fn strict<T: serde::de::DeserializeOwned>(body: Value, prefix: &str) -> Result<T, Vec<FieldError>> {
    serde_json::from_value(body).map_err(|e| {
        let mut errors = FieldErrors::new(prefix);
        errors.add("", e.to_string());
        errors.into_vec()
    })
}

/// A clinic listing from a request body.
pub fn parse_clinic(body: Value, vocab: &Vocabularies<'_>) -> Result<ClinicInput, Vec<FieldError>> {
    let input: ClinicInput = shape(body, "")?;
    check_clinic(input, vocab)
}

/// A clinic listing already in shape (after a merge patch), checked against the rules.
pub fn check_clinic(input: ClinicInput, vocab: &Vocabularies<'_>) -> Result<ClinicInput, Vec<FieldError>> {
    let mut errors = FieldErrors::new("");
    rules::check_clinic(&input, &mut errors, vocab);
    errors.or(input)
}

/// A clinic listing for the upsert by `external_id`: the body's own `external_id` must match the
/// path's or be absent.
pub fn parse_clinic_for_external_id(
    body: Value,
    external_id: &str,
    vocab: &Vocabularies<'_>,
) -> Result<ClinicInput, Vec<FieldError>> {
    let mut input: ClinicInput = shape(body, "")?;
    if input
        .external_id
        .as_deref()
        .is_some_and(|given| given != external_id)
    {
        let mut errors = FieldErrors::new("");
        errors.add(
            "/external_id",
            "must match the external id in the path (or be omitted)",
        );
        return Err(errors.into_vec());
    }
    input.external_id = Some(external_id.to_owned());
    check_clinic(input, vocab)
}

/// A package listing from a request body.
pub fn parse_package(body: Value, vocab: &Vocabularies<'_>) -> Result<PackageInput, Vec<FieldError>> {
    let input: PackageInput = shape(body, "")?;
    check_package(input, vocab)
}

/// A package listing already in shape (after a merge patch), checked against the rules.
pub fn check_package(input: PackageInput, vocab: &Vocabularies<'_>) -> Result<PackageInput, Vec<FieldError>> {
    let mut errors = FieldErrors::new("");
    rules::check_package(&input, &mut errors, vocab);
    errors.or(input)
}

/// Applies a JSON Merge Patch to the writable fields of `base`: the patch must be an object
/// without read-only fields, and the result must parse strictly.
pub fn merge_patched<T: serde::Serialize + serde::de::DeserializeOwned>(
    base: &T,
    patch: Value,
) -> Result<T, Vec<FieldError>> {
    if !patch.is_object() {
        let mut errors = FieldErrors::new("");
        errors.add("", "must be a JSON object");
        return Err(errors.into_vec());
    }
    let errors = read_only_errors(&patch, "");
    if !errors.is_empty() {
        return Err(errors);
    }
    // Serialising our own listing type cannot fail; an empty base would then fail the parse.
    let mut merged = serde_json::to_value(base).unwrap_or(Value::Null);
    merge_patch(&mut merged, &patch);
    shape(merged, "")
}

/// One item of a bulk import (`index` locates it in the request): every error, with pointers
/// relative to the request body.
pub fn parse_import_item(
    index: usize,
    raw: Value,
    vocab: &Vocabularies<'_>,
) -> Result<ImportItem, Vec<FieldError>> {
    let prefix = format!("/items/{index}");
    let clinic_prefix = format!("{prefix}/clinic");
    if let Some(clinic) = raw.get("clinic") {
        let errors = read_only_errors(clinic, &clinic_prefix);
        if !errors.is_empty() {
            return Err(errors);
        }
    }
    let item: ImportItem = strict(raw, &prefix)?;
    let mut errors = FieldErrors::new(&prefix);
    let mut clinic_errors = FieldErrors::new(&clinic_prefix);
    rules::check_clinic(&item.clinic, &mut clinic_errors, vocab);
    if item.clinic.external_id.is_none() {
        clinic_errors.add("/external_id", "is required in imports");
    }
    errors.extend(clinic_errors.into_vec());
    if item.treatment_packages.len() > MAX_IMPORT_PACKAGES {
        errors.add(
            "/treatment_packages",
            format!("must have at most {MAX_IMPORT_PACKAGES} items"),
        );
    }
    for (j, package) in item.treatment_packages.iter().enumerate() {
        let package_prefix = format!("{prefix}/treatment_packages/{j}");
        let mut package_errors = FieldErrors::new(&package_prefix);
        rules::check_package(package, &mut package_errors, vocab);
        errors.extend(package_errors.into_vec());
    }
    errors.or(item)
}

/// The body of an import: 1 to [`MAX_ITEMS`] items, each an object (each is parsed on its own
/// later, so one bad item does not refuse the batch).
pub fn parse_import_request(body: Value) -> Result<Vec<Value>, Vec<FieldError>> {
    let request: crate::partner_listings::dto::ImportRequest = strict(body, "")?;
    let mut errors = FieldErrors::new("");
    if request.items.is_empty() || request.items.len() > MAX_ITEMS {
        errors.add(
            "/items",
            format!(
                "must have 1 to {MAX_ITEMS} items (got {}); nothing was stored",
                request.items.len()
            ),
        );
        return Err(errors.into_vec());
    }
    for (index, item) in request.items.iter().enumerate() {
        if !item.is_object() {
            errors.add(
                &format!("/items/{index}"),
                "must be an object (an ImportItem); nothing was stored",
            );
        }
    }
    errors.or(request.items)
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
