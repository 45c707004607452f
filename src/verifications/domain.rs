//! Verification requests parsed into records ("parse, don't validate"), and what a record means on
//! a given day.

use chrono::{DateTime, Months, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::FieldError;
use crate::partner_listings::domain::FieldErrors;
use crate::red_flags::verified::{accreditation_key, SubjectKind, VerificationResult};
use crate::verifications::dto::{ClaimStanding, RecordVerificationRequest, VerificationSummary};
use crate::verifications::model::Verification;

/// The longest `note`.
pub const MAX_NOTE: usize = 2000;
/// The longest accreditation body named in a subject.
pub const MAX_ACCREDITATION: usize = 100;
/// How far ahead a check may be dated (clock skew between the coordinator and the server).
pub const CHECKED_AT_SKEW_MINUTES: i64 = 5;
/// The longest a verification may hold: sources are re-checked at least this often.
pub const MAX_VALID_YEARS: u32 = 5;

crate::text_enum! {
    /// How a claim stands today, as patients are shown it.
    pub enum Standing {
        /// A current verification record confirms it.
        Verified => "verified",
        /// No verification confirms it now (none yet, expired, or made on other details).
        ClaimedByClinic => "claimed_by_clinic",
        /// The newest record says the source could not confirm it.
        NotVerified => "not_verified",
        /// The newest record says the source contradicts it.
        Contradicted => "contradicted",
    }
}

/// What the subject of a request names, before it is looked up.
#[derive(Debug, Clone)]
pub enum SubjectRef {
    /// A practitioner's licence.
    Licence { practitioner_id: Uuid },
    /// A clinic's accreditation by this body.
    Accreditation { clinic_id: Uuid, body: String },
    /// A clinic's claim about this registered trial.
    Trial { clinic_id: Uuid, nct_id: String },
}

impl SubjectRef {
    pub fn kind(&self) -> SubjectKind {
        match self {
            Self::Licence { .. } => SubjectKind::PractitionerLicence,
            Self::Accreditation { .. } => SubjectKind::ClinicAccreditation,
            Self::Trial { .. } => SubjectKind::TrialClaim,
        }
    }

    /// The id of the subject (practitioner or clinic).
    pub fn id(&self) -> Uuid {
        match self {
            Self::Licence { practitioner_id } => *practitioner_id,
            Self::Accreditation { clinic_id, .. } | Self::Trial { clinic_id, .. } => *clinic_id,
        }
    }
}

/// A parsed verification, ready to be resolved and stored.
#[derive(Debug, Clone)]
pub struct NewVerification {
    pub subject: SubjectRef,
    pub source_url: String,
    pub checked_at: DateTime<Utc>,
    pub result: VerificationResult,
    pub valid_until: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Whether `value` is a ClinicalTrials.gov id: `NCT` and eight digits.
fn is_nct_id(value: &str) -> bool {
    value.len() == 11 && value.starts_with("NCT") && value[3..].bytes().all(|b| b.is_ascii_digit())
}

impl NewVerification {
    /// Checks a request against the rules; `now` is the server's clock.
    pub fn parse(request: RecordVerificationRequest, now: DateTime<Utc>) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::new("");
        let subject = request.subject;
        let kind_only = |errors: &mut FieldErrors, field: &str, given: bool| {
            if given {
                errors.add(
                    &format!("/subject/{field}"),
                    format!("is not used for {}", subject.kind),
                );
            }
        };
        let subject_ref = match subject.kind {
            SubjectKind::PractitionerLicence => {
                kind_only(&mut errors, "accreditation", subject.accreditation.is_some());
                kind_only(&mut errors, "nct_id", subject.nct_id.is_some());
                SubjectRef::Licence {
                    practitioner_id: subject.id,
                }
            }
            SubjectKind::ClinicAccreditation => {
                kind_only(&mut errors, "nct_id", subject.nct_id.is_some());
                let body = subject.accreditation.clone().unwrap_or_default();
                errors.text("/subject/accreditation", &body, 1, MAX_ACCREDITATION);
                SubjectRef::Accreditation {
                    clinic_id: subject.id,
                    body: accreditation_key(&body),
                }
            }
            SubjectKind::TrialClaim => {
                kind_only(&mut errors, "accreditation", subject.accreditation.is_some());
                let nct_id = subject.nct_id.clone().unwrap_or_default();
                if !is_nct_id(&nct_id) {
                    errors.add(
                        "/subject/nct_id",
                        "must be a ClinicalTrials.gov id: NCT and eight digits",
                    );
                }
                SubjectRef::Trial {
                    clinic_id: subject.id,
                    nct_id,
                }
            }
        };
        errors.https("/source_url", &request.source_url);
        if request.checked_at > now + chrono::Duration::minutes(CHECKED_AT_SKEW_MINUTES) {
            errors.add("/checked_at", "must not be in the future");
        }
        let checked_on = request.checked_at.date_naive();
        match (request.result, request.valid_until) {
            (VerificationResult::Verified, None) => {
                errors.add("/valid_until", "is required when the result is verified");
            }
            (_, Some(until)) if until < checked_on => {
                errors.add("/valid_until", "must not be before the day of the check");
            }
            (_, Some(until))
                if checked_on
                    .checked_add_months(Months::new(12 * MAX_VALID_YEARS))
                    .is_some_and(|max| until > max) =>
            {
                errors.add(
                    "/valid_until",
                    format!("must be at most {MAX_VALID_YEARS} years after the check: re-check the source instead"),
                );
            }
            _ => {}
        }
        if let Some(note) = &request.note {
            if note.chars().count() > MAX_NOTE || crate::text::has_forbidden_control(note) {
                errors.add(
                    "/note",
                    format!("must be plain text of at most {MAX_NOTE} characters"),
                );
            }
        }
        errors.or(Self {
            subject: subject_ref,
            source_url: request.source_url,
            checked_at: request.checked_at,
            result: request.result,
            valid_until: request.valid_until,
            note: request.note.filter(|n| !n.trim().is_empty()),
        })
    }
}

/// Whether `record` confirms its claim on `today`: `verified`, and `valid_until` not passed
/// ("expires on its date": it still holds on `valid_until` itself, not the day after).
pub fn in_force(record: &Verification, today: NaiveDate) -> bool {
    record.result == VerificationResult::Verified && record.valid_until.is_some_and(|until| until >= today)
}

/// How a claim stands on `today`, given the newest record of its subject (if any) and the key the
/// claim has now (a licence edited after the check is not the licence that was checked).
pub fn standing(newest: Option<&Verification>, current_key: &str, today: NaiveDate) -> Standing {
    match newest {
        Some(record) if record.subject_key == current_key => match record.result {
            VerificationResult::Verified if in_force(record, today) => Standing::Verified,
            VerificationResult::Verified => Standing::ClaimedByClinic,
            VerificationResult::NotVerified => Standing::NotVerified,
            VerificationResult::Contradicted => Standing::Contradicted,
        },
        _ => Standing::ClaimedByClinic,
    }
}

impl ClaimStanding {
    /// How a claim keyed `current_key` stands on `today`, with the newest record behind it (if any).
    pub fn of(newest: Option<&Verification>, current_key: &str, today: NaiveDate) -> Self {
        Self {
            status: standing(newest, current_key, today),
            verification: newest.map(|v| VerificationSummary {
                result: v.result,
                source_url: v.source_url.clone(),
                checked_at: v.checked_at,
                checked_by: v.checked_by_role.clone(),
                valid_until: v.valid_until,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(result: VerificationResult, until: Option<NaiveDate>) -> Verification {
        Verification {
            id: Uuid::nil(),
            sequence: 1,
            subject_kind: SubjectKind::PractitionerLicence,
            subject_id: Uuid::nil(),
            subject_key: "k".into(),
            clinic_id: Uuid::nil(),
            source_url: "https://registry.example".into(),
            checked_at: Utc::now(),
            checked_by_key: Uuid::nil(),
            checked_by_role: "coordinator".into(),
            result,
            valid_until: until,
            note: None,
            recorded_at: Utc::now(),
        }
    }

    #[test]
    fn a_verification_holds_through_its_date_and_not_after() {
        let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default();
        let verified = record(VerificationResult::Verified, Some(day));
        assert_eq!(standing(Some(&verified), "k", day), Standing::Verified);
        let next = day.succ_opt().unwrap_or_default();
        assert_eq!(standing(Some(&verified), "k", next), Standing::ClaimedByClinic);
        assert_eq!(standing(Some(&verified), "other", day), Standing::ClaimedByClinic);
        assert_eq!(standing(None, "k", day), Standing::ClaimedByClinic);
        let contradicted = record(VerificationResult::Contradicted, None);
        assert_eq!(standing(Some(&contradicted), "k", day), Standing::Contradicted);
    }

    #[test]
    fn nct_ids_have_eight_digits() {
        assert!(is_nct_id("NCT03308565"));
        assert!(!is_nct_id("NCT0330856"));
        assert!(!is_nct_id("nct03308565"));
        assert!(!is_nct_id("NCT0330856é"));
    }
}
