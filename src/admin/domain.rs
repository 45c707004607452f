//! Admin requests parsed into the values the repo writes: a request becomes one of these only
//! through its `parse`, which returns every field error (JSON Pointer and message) at once.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::admin::dto::{ApiKeyInput, ExchangeRateInput, ModerationDecision};
use crate::error::FieldError;
use crate::states::ListingStatus;

/// Field errors gathered while parsing a request (the one validation style of this resource).
#[derive(Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Records that the value at `pointer` is invalid.
    pub fn add(&mut self, pointer: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    /// `value` when nothing was recorded, else every error.
    pub fn or<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

/// One field error.
pub fn field_error(pointer: &str, message: impl Into<String>) -> Vec<FieldError> {
    let mut errors = FieldErrors::default();
    errors.add(pointer, message);
    errors.0
}

/// A moderator's decision: the state the listing moves to, and why.
pub struct Decision {
    /// `approve` or `reject`, as sent (it names the audit action).
    pub verb: String,
    /// `published` for approve, `rejected` for reject.
    pub status: ListingStatus,
    /// Trimmed, 1–1,000 characters.
    pub reason: String,
}

impl Decision {
    /// Parses a decision; the only transitions out of moderation are publish and reject.
    pub fn parse(request: &ModerationDecision) -> Result<Self, Vec<FieldError>> {
        let status = match request.decision.as_str() {
            "approve" => ListingStatus::Published,
            "reject" => ListingStatus::Rejected,
            _ => return Err(field_error("/decision", "must be approve or reject")),
        };
        if !crate::text::is_text(&request.reason, 1000) {
            return Err(field_error(
                "/reason",
                "must be 1 to 1000 characters, without control characters",
            ));
        }
        Ok(Self {
            verb: request.decision.clone(),
            status,
            reason: request.reason.trim().to_owned(),
        })
    }
}

/// An exchange rate an admin sets.
pub struct NewRate {
    /// ISO 4217, upper case.
    pub currency: String,
    pub units_per_usd: Decimal,
    pub as_of: NaiveDate,
    pub source: serde_json::Value,
}

impl NewRate {
    /// Parses the rate for the currency in the path (any case).
    pub fn parse(currency: &str, request: ExchangeRateInput) -> Result<Self, Vec<FieldError>> {
        let code = currency.to_ascii_uppercase();
        let mut errors = FieldErrors::default();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.add("/path/currency", "must be an ISO 4217 code");
        }
        if code == "USD" && request.units_per_usd != Decimal::ONE {
            errors.add("/units_per_usd", "USD is always 1");
        }
        if request.units_per_usd <= Decimal::ZERO
            || request.units_per_usd >= Decimal::from(1_000_000_000_000i64)
            || request.units_per_usd.scale() > 12
        {
            errors.add(
                "/units_per_usd",
                "must be more than 0 and less than 1000000000000, with at most 12 decimals",
            );
        }
        if request.as_of > crate::money::today() + chrono::Days::new(1) {
            errors.add("/as_of", "must not be in the future");
        }
        if !request.source.get("title").is_some_and(|t| t.is_string()) {
            errors.add("/source/title", "is required");
        }
        errors.or(Self {
            currency: code,
            units_per_usd: request.units_per_usd,
            as_of: request.as_of,
            source: request.source,
        })
    }
}

/// Checks the label of a new API key (the role is checked where keys are made, in `auth`).
pub fn check_key_name(request: &ApiKeyInput) -> Result<(), Vec<FieldError>> {
    if request
        .name
        .as_deref()
        .is_some_and(|name| !crate::text::is_free_text(name, 100))
    {
        return Err(field_error(
            "/name",
            "must be at most 100 characters, without control characters",
        ));
    }
    Ok(())
}

/// Puts the slug of the path into a seed-shaped evidence record: the body's own `slug` must match
/// it or be absent.
pub fn with_slug(mut body: serde_json::Value, slug: &str) -> Result<serde_json::Value, Vec<FieldError>> {
    if !crate::openapi::items::is_slug(slug) {
        return Err(field_error(
            "/path/slug",
            "must be 1 to 100 lower-case letters and digits, words joined by single hyphens",
        ));
    }
    let Some(object) = body.as_object_mut() else {
        return Err(field_error("", "must be a JSON object"));
    };
    if object
        .get("slug")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|given| given != slug)
    {
        return Err(field_error(
            "/slug",
            "must match the slug in the path (or be omitted)",
        ));
    }
    object.insert("slug".into(), serde_json::Value::String(slug.to_owned()));
    Ok(body)
}
