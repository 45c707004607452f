//! The rules of verified reviews, as pure functions: who may review and from when, how long a
//! review may be edited, what a review and a reply must look like, and how the reviewer is shown.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::error::{ApiError, FieldError, ProblemKind};
use crate::red_flags::engine::{self, Facts, RuleBook, Subject};
use crate::red_flags::RedFlag;
use crate::reviews::screening::{self, Finding};

/// Days after the treatment date before its patient may review it (time to judge the stay).
pub const REVIEW_OPENS_AFTER_DAYS: i64 = 14;
/// Days after writing a review during which its author may edit it.
pub const EDIT_WINDOW_DAYS: i64 = 30;
/// The longest review or reply text, in characters.
pub const MAX_TEXT: usize = 4000;
/// Ratings run from 1 to 5 stars.
pub const MIN_RATING: i16 = 1;
pub const MAX_RATING: i16 = 5;

/// The first day a review of a treatment given on `treated_on` may be written.
pub fn review_opens_on(treated_on: NaiveDate) -> NaiveDate {
    treated_on + Duration::days(REVIEW_OPENS_AFTER_DAYS)
}

/// What the database knows about a quote, as far as reviewing goes.
pub struct ReviewFacts {
    /// The quote's status is `treated` (a treatment record says the patient was treated).
    pub treated: bool,
    /// The patient erased their data from the quote.
    pub erased: bool,
    /// The recorded treatment date, when there is one.
    pub treated_on: Option<NaiveDate>,
}

/// `Ok(treated_on)` when the patient may write a review `today`; otherwise the 409 that says
/// why, and when reviews open if they will.
pub fn may_review(facts: &ReviewFacts, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    if facts.erased {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            "this quote's personal data was erased; it can no longer be reviewed",
        ));
    }
    let treated_on = match (facts.treated, facts.treated_on) {
        (true, Some(date)) => date,
        _ => {
            return Err(ApiError::new(
                ProblemKind::ReviewNotOpen,
                format!(
                    "only a treated patient may review: reviews open {REVIEW_OPENS_AFTER_DAYS} days after \
                     the clinic records the treatment, and no treatment is recorded for this quote"
                ),
            ))
        }
    };
    let opens_on = review_opens_on(treated_on);
    if today < opens_on {
        return Err(ApiError::new(
            ProblemKind::ReviewNotOpen,
            format!(
                "reviews of this treatment open on {opens_on} ({REVIEW_OPENS_AFTER_DAYS} days after the \
                 treatment date)"
            ),
        ));
    }
    Ok(treated_on)
}

/// The last instant a review written at `created_at` may be edited (exclusive).
pub fn edit_window_closes_at(created_at: DateTime<Utc>) -> DateTime<Utc> {
    created_at + Duration::days(EDIT_WINDOW_DAYS)
}

/// `Ok` while the review may still be edited at `now`; otherwise a 409 saying when it closed.
pub fn may_edit(created_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ApiError> {
    let closes_at = edit_window_closes_at(created_at);
    if now < closes_at {
        Ok(())
    } else {
        Err(ApiError::new(
            ProblemKind::ReviewEditWindowClosed,
            format!(
                "a review may be edited for {EDIT_WINDOW_DAYS} days after it was written; this one \
                 closed at {}",
                closes_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ))
    }
}

/// The month shown for a treatment: its first day (only the month is stored).
pub fn treated_month(treated_on: NaiveDate) -> NaiveDate {
    treated_on.with_day(1).unwrap_or(treated_on)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// How a reviewer is shown: never by name, only as verified and the month of treatment.
pub fn reviewer_label(treated_month: NaiveDate) -> String {
    let month = MONTHS[treated_month.month0() as usize];
    format!("verified patient, treated {month} {}", treated_month.year())
}

/// A review's rating and text, checked: 1–5 stars, 1–4000 characters of plain text that passed
/// screening.
pub struct ReviewInput {
    pub rating: i16,
    pub text: String,
}

impl ReviewInput {
    /// Checks the form first (422 `validation-failed`), then screens the text (422
    /// `text-screened-out`, one error per finding, each saying what to remove).
    pub fn parse(rating: i64, text: String) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let rating = i16::try_from(rating)
            .ok()
            .filter(|r| (MIN_RATING..=MAX_RATING).contains(r));
        if rating.is_none() {
            errors.push(field("/rating", "must be a whole number from 1 to 5"));
        }
        if let Err(message) = check_text(&text) {
            errors.push(field("/text", &message));
        }
        match rating {
            Some(rating) if errors.is_empty() => {
                screened(&text, "/text")?;
                Ok(Self {
                    rating,
                    text: text.trim().to_owned(),
                })
            }
            _ => Err(ApiError::validation(errors)),
        }
    }
}

/// A clinic's reply text, checked and screened like a review's.
pub struct ReplyInput {
    pub text: String,
}

impl ReplyInput {
    pub fn parse(text: String) -> Result<Self, ApiError> {
        check_text(&text).map_err(|message| ApiError::validation(vec![field("/text", &message)]))?;
        screened(&text, "/text")?;
        Ok(Self {
            text: text.trim().to_owned(),
        })
    }
}

/// The red flags the claims in `text` raise, in the stored (wire) shape. Only the text rules can
/// fire: a review states no listing facts, so the structured rules have nothing to judge.
pub fn red_flags_of(rules: &RuleBook, text: &str) -> serde_json::Value {
    let subject = Subject {
        texts: vec![("/text".to_owned(), text)],
        facts: Facts::default(),
    };
    let flags: Vec<RedFlag> = engine::evaluate(rules, &subject)
        .into_iter()
        .map(RedFlag::from)
        .collect();
    serde_json::to_value(flags).unwrap_or_else(|_| serde_json::Value::Array(Vec::new()))
}

fn field(pointer: &str, message: &str) -> FieldError {
    FieldError {
        pointer: pointer.to_owned(),
        message: message.to_owned(),
    }
}

fn check_text(text: &str) -> Result<(), String> {
    if crate::text::is_text(text, MAX_TEXT) {
        Ok(())
    } else {
        Err(format!(
            "must be 1 to {MAX_TEXT} characters of plain text, not blank, without control characters"
        ))
    }
}

/// The 422 listing every screening finding, or `Ok` for a clean text.
fn screened(text: &str, pointer: &str) -> Result<(), ApiError> {
    let findings = screening::screen(text);
    if findings.is_empty() {
        return Ok(());
    }
    Err(screened_out(&findings, pointer))
}

fn screened_out(findings: &[Finding], pointer: &str) -> ApiError {
    let mut error = ApiError::new(
        ProblemKind::TextScreenedOut,
        format!(
            "the text was not published: {} thing(s) must be removed first (see errors); nothing \
             was stored",
            findings.len()
        ),
    );
    for finding in findings {
        error = error.with_field(pointer, finding.message());
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn reviews_open_fourteen_days_after_treatment() {
        let facts = ReviewFacts {
            treated: true,
            erased: false,
            treated_on: Some(date("2027-03-10")),
        };
        let refused = may_review(&facts, date("2027-03-23")).expect_err("day 13 refused");
        assert_eq!(refused.kind, ProblemKind::ReviewNotOpen);
        assert!(refused.detail.contains("2027-03-24"), "{}", refused.detail);
        assert_eq!(
            may_review(&facts, date("2027-03-24")).ok(),
            Some(date("2027-03-10"))
        );
    }

    #[test]
    fn only_treated_and_not_erased_quotes_may_be_reviewed() {
        let untreated = ReviewFacts {
            treated: false,
            erased: false,
            treated_on: None,
        };
        let refused = may_review(&untreated, date("2030-01-01")).expect_err("refused");
        assert_eq!(refused.kind, ProblemKind::ReviewNotOpen);
        let erased = ReviewFacts {
            treated: true,
            erased: true,
            treated_on: Some(date("2027-03-10")),
        };
        assert_eq!(
            may_review(&erased, date("2030-01-01")).err().map(|e| e.kind),
            Some(ProblemKind::Conflict)
        );
    }

    #[test]
    fn edits_are_allowed_for_thirty_days() {
        let written: DateTime<Utc> = "2027-04-01T12:00:00Z".parse().expect("instant");
        assert!(may_edit(written, written + Duration::days(29)).is_ok());
        let late = may_edit(written, written + Duration::days(30)).expect_err("closed");
        assert_eq!(late.kind, ProblemKind::ReviewEditWindowClosed);
        assert!(late.detail.contains("2027-05-01T12:00:00Z"), "{}", late.detail);
    }

    #[test]
    fn the_reviewer_is_shown_by_month_only() {
        assert_eq!(treated_month(date("2027-03-17")), date("2027-03-01"));
        assert_eq!(
            reviewer_label(date("2027-03-01")),
            "verified patient, treated March 2027"
        );
        assert_eq!(
            reviewer_label(date("2026-12-01")),
            "verified patient, treated December 2026"
        );
    }

    #[test]
    fn input_is_checked_then_screened() {
        assert!(ReviewInput::parse(5, "  Kind staff.  ".into()).is_ok_and(|r| r.text == "Kind staff."));
        let invalid = ReviewInput::parse(6, " ".into()).err().expect("invalid");
        assert_eq!(invalid.kind, ProblemKind::ValidationFailed);
        assert_eq!(invalid.errors.len(), 2);
        let screened = ReviewInput::parse(4, "Mail me at a@b.com".into())
            .err()
            .expect("screened");
        assert_eq!(screened.kind, ProblemKind::TextScreenedOut);
        assert_eq!(screened.errors[0].pointer, "/text");
        assert!(screened.errors[0].message.contains("\"a@b.com\""));
        assert!(ReplyInput::parse("Thank you; call +1 415 555 0100".into()).is_err());
    }
}
