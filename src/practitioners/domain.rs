//! Partner requests parsed into practitioners, and the moderation of their free text.

use serde_json::Value;

use crate::error::FieldError;
use crate::openapi::items::plausible_language_tag;
use crate::partner_listings::domain::{read_only_errors, FieldErrors};
use crate::practitioners::dto::PractitionerInput;
use crate::red_flags::engine::{self, Detection, RuleBook, Severity, Subject};
use crate::states::ListingStatus;

/// The most languages one practitioner may list.
pub const MAX_LANGUAGES: usize = 20;

/// A practitioner from a request body: read-only fields refused, the strict shape, the rules.
pub fn parse(body: Value) -> Result<PractitionerInput, Vec<FieldError>> {
    let errors = read_only_errors(&body, "");
    if !errors.is_empty() {
        return Err(errors);
    }
    let input: PractitionerInput = serde_json::from_value(body).map_err(|e| {
        let mut errors = FieldErrors::new("");
        errors.add("", e.to_string());
        errors.into_vec()
    })?;
    check(input)
}

/// The rules every practitioner meets.
pub fn check(input: PractitionerInput) -> Result<PractitionerInput, Vec<FieldError>> {
    let mut errors = FieldErrors::new("");
    errors.text("/name", &input.name, 1, 200);
    if let Some(specialty) = &input.specialty {
        errors.text("/specialty", specialty, 1, 200);
    }
    if let Some(licence) = &input.licence {
        errors.text("/licence/number", &licence.number, 1, 100);
        errors.text("/licence/issuing_body", &licence.issuing_body, 1, 200);
        if licence.country.len() != 2 || !licence.country.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.add(
                "/licence/country",
                "must be an ISO 3166-1 alpha-2 code in upper case",
            );
        }
    }
    if input.languages.len() > MAX_LANGUAGES {
        errors.add("/languages", format!("must have at most {MAX_LANGUAGES} items"));
    }
    for (i, tag) in input.languages.iter().enumerate() {
        if !plausible_language_tag(tag) {
            errors.add(
                &format!("/languages/{i}"),
                "must be a BCP 47 language tag such as en or es-MX",
            );
        }
    }
    errors.or(input)
}

/// The red-flag rules over the practitioner's free text, and the status they lead to: a warning or
/// critical flag holds the practitioner in moderation (not shown to the public).
pub fn moderate(book: &RuleBook, input: &PractitionerInput) -> (ListingStatus, Vec<Detection>) {
    let mut texts = vec![("/name".to_owned(), input.name.as_str())];
    if let Some(specialty) = &input.specialty {
        texts.push(("/specialty".to_owned(), specialty.as_str()));
    }
    let subject = Subject {
        texts,
        facts: engine::Facts::default(),
    };
    let detections = engine::evaluate(book, &subject);
    let status = if detections.iter().any(|d| d.severity >= Severity::Warn) {
        ListingStatus::PendingReview
    } else {
        ListingStatus::Published
    };
    (status, detections)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bad_fields_are_named() {
        let errors = parse(json!({
            "name": "", "role": "physician",
            "licence": {"number": "1", "issuing_body": "Council", "country": "gb"},
            "languages": ["english"]
        }))
        .expect_err("invalid");
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/name", "/licence/country", "/languages/0"]);
        assert!(parse(json!({"name": "Dr A", "role": "physician", "version": 3})).is_err());
        assert!(parse(json!({"name": "Dr A", "role": "healer"})).is_err());
        assert!(parse(json!({"name": "Dr A", "role": "nurse"})).is_ok());
    }
}
