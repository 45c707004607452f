//! A quote request, parsed: every field checked for shape and against the catalogue.

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::FieldError;
use crate::quotes::contact::PatientContact;
use crate::quotes::dto::{CreateQuoteRequest, MoneyInput, ShareWith, TravelWindow};
use crate::reference::Reference;

/// The most characters of the patient's notes.
const MAX_NOTES: usize = 4000;

/// A quote request that passed every check; only [`NewQuote::parse`] makes one.
pub struct NewQuote {
    pub condition: String,
    /// The patient's words, `None` when absent or blank.
    pub notes: Option<String>,
    pub has_mri: bool,
    pub preferred_countries: Vec<String>,
    pub preferred_cell_types: Vec<String>,
    pub budget: Option<MoneyInput>,
    pub travel_window: Option<TravelWindow>,
    pub patient: PatientContact,
    /// `{"mode": "none"}` when the request named nothing.
    pub share_with: ShareWith,
}

impl NewQuote {
    /// Checks the request's shape, then its values against the catalogue (`reference`) and the
    /// listed clinics among those it names (`published_clinics`). The errors point at the fields.
    pub fn parse(
        request: CreateQuoteRequest,
        reference: &Reference,
        published_clinics: &[Uuid],
    ) -> Result<NewQuote, Vec<FieldError>> {
        let mut errors = shape_errors(&request);
        errors.extend(catalogue_errors(&request, reference, published_clinics));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewQuote {
            condition: request.condition,
            notes: request.notes.filter(|n| !n.trim().is_empty()),
            has_mri: request.has_mri,
            preferred_countries: request.preferred_countries,
            preferred_cell_types: request.preferred_cell_types,
            budget: request.budget,
            travel_window: request.travel_window,
            patient: request.patient,
            share_with: request.share_with.unwrap_or(ShareWith::None),
        })
    }
}

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

/// Checks that need no data.
fn shape_errors(request: &CreateQuoteRequest) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut fail = |pointer: &str, message: &str| {
        errors.push(FieldError {
            pointer: pointer.into(),
            message: message.into(),
        })
    };
    if !request.consent.health_data_processing {
        fail(
            "/consent/health_data_processing",
            "must be true: we cannot process a request without consent",
        );
    }
    if request.preferred_countries.len() > 10 {
        fail("/preferred_countries", "must have at most 10 items");
    }
    if request.preferred_cell_types.len() > 6 {
        fail("/preferred_cell_types", "must have at most 6 items");
    }
    if let Some(budget) = &request.budget {
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
    if let Some(window) = &request.travel_window {
        if window.to < window.from {
            fail("/travel_window/to", "must not be before `from`");
        }
    }
    let patient = &request.patient;
    if !plausible_email(&patient.email) || patient.email.len() > 254 {
        fail("/patient/email", "must be an email address");
    }
    if let Some(phone) = &patient.phone {
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
    if !crate::openapi::items::plausible_language_tag(&patient.preferred_language) {
        fail(
            "/patient/preferred_language",
            "must be a BCP 47 language tag such as en or pt-BR",
        );
    }
    match &request.share_with {
        Some(ShareWith::Clinics { clinic_ids }) if clinic_ids.is_empty() || clinic_ids.len() > 10 => {
            fail("/share_with/clinic_ids", "must name 1 to 10 clinics")
        }
        Some(ShareWith::TopMatches { count }) if !(1..=5).contains(count) => {
            fail("/share_with/count", "must be between 1 and 5")
        }
        _ => {}
    }
    check_len(&mut errors, "/patient/name", &patient.name, 1, 200);
    if let Some(notes) = &request.notes {
        check_len(&mut errors, "/notes", notes, 0, MAX_NOTES);
    }
    errors
}

/// Checks against the catalogue and the listed clinics.
fn catalogue_errors(
    request: &CreateQuoteRequest,
    reference: &Reference,
    published_clinics: &[Uuid],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !reference.is_condition(&request.condition) {
        errors.push(FieldError {
            pointer: "/condition".into(),
            message: "is not a known condition slug".into(),
        });
    }
    let countries = reference.country_codes();
    for (i, code) in request.preferred_countries.iter().enumerate() {
        if !countries.contains(&code.as_str()) {
            errors.push(FieldError {
                pointer: format!("/preferred_countries/{i}"),
                message: format!("must be one of the listed countries: {}", countries.join(", ")),
            });
        }
    }
    let in_use = reference.cell_types_in_use();
    for (i, slug) in request.preferred_cell_types.iter().enumerate() {
        if !in_use.contains(&slug.as_str()) {
            errors.push(FieldError {
                pointer: format!("/preferred_cell_types/{i}"),
                message: format!("must be a cell type in clinical use: {}", in_use.join(", ")),
            });
        }
    }
    if let Some(budget) = &request.budget {
        if reference.rates.get(&budget.currency).is_none() {
            errors.push(FieldError {
                pointer: "/budget/currency".into(),
                message: format!("must be one of {}", reference.rates.codes().join(", ")),
            });
        }
    }
    if isocountry::CountryCode::for_alpha2(&request.patient.country_of_residence).is_err() {
        errors.push(FieldError {
            pointer: "/patient/country_of_residence".into(),
            message: "must be an ISO 3166-1 alpha-2 code such as GB".into(),
        });
    }
    if let Some(ShareWith::Clinics { clinic_ids }) = &request.share_with {
        for (i, id) in clinic_ids.iter().enumerate() {
            if !published_clinics.contains(id) {
                errors.push(FieldError {
                    pointer: format!("/share_with/clinic_ids/{i}"),
                    message: "is not a listed clinic".into(),
                });
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(plausible_email("jane@example.com"));
        assert!(!plausible_email("jane@localhost"));
        assert!(!plausible_email("@example.com"));
        assert!(!plausible_email("jane @example.com"));
    }
}
