//! The follow-up schedule and its rules, pure: windows from the acceptance and treatment dates,
//! the state of each time point on a given day, and the parsed answer.
//!
//! Windows (our rule; `shared/reference/outcomes.md` names the time points but no window): the
//! baseline is open from the day the offer was accepted until the treatment date (inclusive);
//! each later time point is open from 30 days before to 30 days after the date that many months
//! after the treatment date (inclusive). A late answer inside the window counts.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, FieldError, ProblemKind};
pub use crate::outcome_registry::domain::{TimePoint, AFTER_TREATMENT};
pub use crate::treatments::domain::FOLLOW_UP_WINDOW_DAYS as WINDOW_DAYS;
use crate::treatments::domain::{follow_up_schedule, AdverseEventCategory, AdverseEventSeverity};

/// Where the treatment of an accepted quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// Accepted, not yet recorded.
    Pending,
    /// Treated on this date.
    Treated(NaiveDate),
    /// Recorded as not treated: there is nothing to follow up.
    NotTreated,
}

crate::text_enum! {
    /// Where a quote stands for follow-up (shown with its schedule).
    pub enum FollowUpStage {
        /// No offer accepted yet: nothing to follow up.
        NotAccepted => "not_accepted",
        /// The patient erased the quote's data.
        Erased => "erased",
        /// Accepted; the treatment is not recorded yet.
        Pending => "pending",
        /// Treated: the schedule has dates.
        Treated => "treated",
        /// Recorded as not treated: nothing to follow up.
        NotTreated => "not_treated",
    }
}

/// One time point's window; `None` dates are not known yet (no treatment date) or open-ended
/// (a baseline before the treatment is recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub time_point: TimePoint,
    pub opens_on: Option<NaiveDate>,
    /// The target date (for the baseline: the treatment date).
    pub due_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
}

/// The schedule of a quote accepted on `accepted_on`: every time point in order, or nothing
/// when the patient was not treated. Once treated, the dates are the treatment record's
/// [`follow_up_schedule`]; before, the baseline is open-ended and the rest has no dates.
pub fn schedule(accepted_on: NaiveDate, treatment: Treatment) -> Vec<Window> {
    match treatment {
        Treatment::NotTreated => Vec::new(),
        Treatment::Pending => std::iter::once(TimePoint::Baseline)
            .chain(AFTER_TREATMENT)
            .map(|time_point| Window {
                time_point,
                opens_on: (time_point == TimePoint::Baseline).then_some(accepted_on),
                due_on: None,
                closes_on: None,
            })
            .collect(),
        Treatment::Treated(on) => follow_up_schedule(on)
            .into_iter()
            .map(|s| Window {
                time_point: s.time_point,
                // The baseline opens at acceptance (the record leaves it to us).
                opens_on: s.window_opens.or(Some(accepted_on)),
                due_on: Some(s.due_on),
                closes_on: Some(s.window_closes),
            })
            .collect(),
    }
}

crate::text_enum! {
    /// What the patient did with a time point (the `follow_up_responses_state` CHECK).
    pub enum ResponseState {
        /// Answered (the answer is stored encrypted).
        Answered => "answered",
        /// The patient chose to skip it.
        Skipped => "skipped",
    }
}

crate::text_enum! {
    /// A time point's state on a given day.
    pub enum FollowUpState {
        /// Its window has not opened (or the treatment date is not known yet).
        Upcoming => "upcoming",
        /// Its window is open and it is not answered.
        Due => "due",
        /// Answered (inside its window).
        Answered => "answered",
        /// Skipped by the patient.
        Skipped => "skipped",
        /// Its window closed without an answer.
        Missed => "missed",
    }
}

/// Whether `today` falls inside the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Openness {
    NotOpen,
    Open,
    Closed,
}

impl Window {
    pub fn openness(&self, today: NaiveDate) -> Openness {
        match (self.opens_on, self.closes_on) {
            (None, _) => Openness::NotOpen,
            (Some(opens), _) if today < opens => Openness::NotOpen,
            (_, Some(closes)) if today > closes => Openness::Closed,
            _ => Openness::Open,
        }
    }

    /// The state on `today`, given what the patient did.
    pub fn state(&self, response: Option<ResponseState>, today: NaiveDate) -> FollowUpState {
        match (response, self.openness(today)) {
            (Some(ResponseState::Answered), _) => FollowUpState::Answered,
            (Some(ResponseState::Skipped), _) => FollowUpState::Skipped,
            (None, Openness::NotOpen) => FollowUpState::Upcoming,
            (None, Openness::Open) => FollowUpState::Due,
            (None, Openness::Closed) => FollowUpState::Missed,
        }
    }

    /// `Ok` when an answer or a skip is accepted on `today`; else a 409 with a stable type.
    pub fn check_open(&self, today: NaiveDate) -> Result<(), ApiError> {
        match self.openness(today) {
            Openness::Open => Ok(()),
            Openness::NotOpen => Err(ApiError::new(
                ProblemKind::FollowUpWindowNotOpen,
                match self.opens_on {
                    Some(opens) => format!("the {} follow-up opens on {opens}", self.time_point),
                    None => format!(
                        "the {} follow-up opens once the treatment date is recorded",
                        self.time_point
                    ),
                },
            )),
            Openness::Closed => Err(ApiError::new(
                ProblemKind::FollowUpWindowClosed,
                format!(
                    "the {} follow-up closed on {}",
                    self.time_point,
                    self.closes_on.map(|d| d.to_string()).unwrap_or_default()
                ),
            )),
        }
    }
}

crate::text_enum! {
    /// Which 7-point PGIC wording the patient answered (outcomes.md §4: never pooled).
    pub enum PgicVersion {
        /// PhenX / Farrar 2001: 1 very much improved … 7 very much worse.
        Phenx7 => "phenx_7",
        /// The descriptive 7-category wording.
        Descriptive7 => "descriptive_7",
    }
}

crate::text_enum! {
    /// What care an adverse event needed.
    pub enum CareNeeded {
        /// None.
        None => "none",
        /// Seen by a doctor, not admitted.
        Outpatient => "outpatient",
        /// Emergency department.
        Emergency => "emergency",
        /// Admitted to hospital.
        Hospitalised => "hospitalised",
    }
}

crate::text_enum! {
    /// A further procedure since the last answer.
    pub enum ProcedureKind {
        /// Spine surgery.
        Surgery => "surgery",
        /// Another injection of cells or other products.
        RepeatInjection => "repeat_injection",
        /// Anything else.
        Other => "other",
    }
}

crate::text_enum! {
    /// Work status (ICHOM asks about work status; its item wording is not confirmed, so this is
    /// our own coarse question).
    pub enum WorkStatus {
        /// Back at work.
        Returned => "returned",
        /// Not back at work.
        NotReturned => "not_returned",
        /// Not working for reasons unrelated to the back, or retired.
        NotApplicable => "not_applicable",
    }
}

/// The CTCAE version whose general grades `severity` uses (outcomes.md §6).
pub const CTCAE_VERSION: &str = "5.0";

/// An adverse event since the last answer, in the treatment record's vocabulary.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AdverseEvent {
    pub category: AdverseEventCategory,
    pub severity: AdverseEventSeverity,
    pub description: Option<String>,
    pub care_needed: CareNeeded,
}

/// A further procedure since the last answer.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct FurtherProcedure {
    pub kind: ProcedureKind,
    pub description: Option<String>,
}

/// A checked answer: health data, stored only encrypted, never logged (no `Debug`).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub back_pain_nrs: u8,
    pub leg_pain_nrs: u8,
    pub odi_score: Option<f64>,
    pub pgic: Option<u8>,
    pub pgic_version: Option<PgicVersion>,
    pub adverse_events: Vec<AdverseEvent>,
    pub ctcae_version: String,
    pub further_procedures: Vec<FurtherProcedure>,
    pub work_status: Option<WorkStatus>,
}

/// The most adverse events or procedures one answer lists.
pub const MAX_ITEMS: usize = 20;
/// The longest description, in characters.
pub const MAX_DESCRIPTION: usize = 500;

/// The raw values of an answer as received, before checks.
pub struct RawAnswer {
    pub back_pain_nrs: i64,
    pub leg_pain_nrs: i64,
    pub odi_score: Option<f64>,
    pub pgic: Option<i64>,
    pub pgic_version: Option<PgicVersion>,
    pub adverse_events: Vec<AdverseEvent>,
    pub further_procedures: Vec<(ProcedureKind, Option<String>)>,
    pub work_status: Option<WorkStatus>,
}

fn error(pointer: &str, message: &str) -> FieldError {
    FieldError {
        pointer: pointer.to_owned(),
        message: message.to_owned(),
    }
}

impl Answer {
    /// Checks ranges and the rules of the time point: the baseline (before treatment) has no
    /// PGIC and no adverse events; a PGIC names its wording.
    pub fn parse(raw: RawAnswer, time_point: TimePoint) -> Result<Answer, Vec<FieldError>> {
        let mut errors = Vec::new();
        let nrs = |value: i64, pointer: &str, errors: &mut Vec<FieldError>| {
            u8::try_from(value).ok().filter(|v| *v <= 10).unwrap_or_else(|| {
                errors.push(error(pointer, "must be an integer from 0 to 10"));
                0
            })
        };
        let back_pain_nrs = nrs(raw.back_pain_nrs, "/back_pain_nrs", &mut errors);
        let leg_pain_nrs = nrs(raw.leg_pain_nrs, "/leg_pain_nrs", &mut errors);
        if raw.odi_score.is_some_and(|s| !(0.0..=100.0).contains(&s)) {
            errors.push(error("/odi_score", "must be from 0 to 100"));
        }
        let pgic = raw.pgic.map(|p| {
            u8::try_from(p)
                .ok()
                .filter(|p| (1..=7).contains(p))
                .unwrap_or_else(|| {
                    errors.push(error("/pgic", "must be an integer from 1 to 7"));
                    0
                })
        });
        if pgic.is_some() != raw.pgic_version.is_some() {
            errors.push(error("/pgic_version", "give pgic and pgic_version together"));
        }
        let baseline = time_point == TimePoint::Baseline;
        if baseline && pgic.is_some() {
            errors.push(error(
                "/pgic",
                "the baseline is before treatment: no impression of change",
            ));
        }
        if baseline && !raw.adverse_events.is_empty() {
            errors.push(error("/adverse_events", "the baseline is before treatment"));
        }
        if raw.adverse_events.len() > MAX_ITEMS {
            errors.push(error("/adverse_events", "at most 20"));
        }
        if raw.further_procedures.len() > MAX_ITEMS {
            errors.push(error("/further_procedures", "at most 20"));
        }
        let mut adverse_events = Vec::new();
        for (i, mut event) in raw.adverse_events.into_iter().enumerate() {
            event.description = event
                .description
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty());
            match &event.description {
                Some(d) if crate::text::has_forbidden_control(d) => {
                    errors.push(error(
                        &format!("/adverse_events/{i}/description"),
                        "must not contain control characters",
                    ));
                }
                Some(d) if d.chars().count() > MAX_DESCRIPTION => {
                    errors.push(error(
                        &format!("/adverse_events/{i}/description"),
                        "at most 500 characters",
                    ));
                }
                None if event.category == AdverseEventCategory::Other => {
                    errors.push(error(
                        &format!("/adverse_events/{i}/description"),
                        "required for category `other`",
                    ));
                }
                _ => {}
            }
            adverse_events.push(event);
        }
        let mut further_procedures = Vec::new();
        for (i, (kind, description)) in raw.further_procedures.into_iter().enumerate() {
            let description = description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
            if description
                .as_ref()
                .is_some_and(|d| !crate::text::is_free_text(d, MAX_DESCRIPTION))
            {
                errors.push(error(
                    &format!("/further_procedures/{i}/description"),
                    "at most 500 characters",
                ));
            }
            further_procedures.push(FurtherProcedure { kind, description });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Answer {
            back_pain_nrs,
            leg_pain_nrs,
            odi_score: raw.odi_score,
            pgic,
            pgic_version: raw.pgic_version,
            adverse_events,
            ctcae_version: CTCAE_VERSION.to_owned(),
            further_procedures,
            work_status: raw.work_status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn windows_are_thirty_days_around_each_month_mark() {
        let plan = schedule(day("2027-01-10"), Treatment::Treated(day("2027-02-15")));
        let times: Vec<_> = plan.iter().map(|w| w.time_point).collect();
        assert_eq!(
            times,
            [
                TimePoint::Baseline,
                TimePoint::Month3,
                TimePoint::Month6,
                TimePoint::Month12,
                TimePoint::Month24
            ]
        );
        assert_eq!(plan[0].opens_on, Some(day("2027-01-10")));
        assert_eq!(plan[0].closes_on, Some(day("2027-02-15")));
        assert_eq!(plan[1].due_on, Some(day("2027-05-15")));
        assert_eq!(plan[1].opens_on, Some(day("2027-04-15")));
        assert_eq!(plan[1].closes_on, Some(day("2027-06-14")));
        assert_eq!(plan[4].due_on, Some(day("2029-02-15")));
    }

    #[test]
    fn states_follow_the_calendar() {
        let plan = schedule(day("2027-01-10"), Treatment::Treated(day("2027-02-15")));
        let m3 = plan[1];
        assert_eq!(m3.state(None, day("2027-04-14")), FollowUpState::Upcoming);
        assert_eq!(m3.state(None, day("2027-04-15")), FollowUpState::Due);
        assert_eq!(
            m3.state(None, day("2027-06-14")),
            FollowUpState::Due,
            "late but inside"
        );
        assert_eq!(m3.state(None, day("2027-06-15")), FollowUpState::Missed);
        assert_eq!(
            m3.state(Some(ResponseState::Skipped), day("2027-05-01")),
            FollowUpState::Skipped
        );
        assert!(m3.check_open(day("2027-04-14")).is_err());
        assert!(m3.check_open(day("2027-06-14")).is_ok());
        assert_eq!(
            m3.check_open(day("2027-06-15")).unwrap_err().kind,
            ProblemKind::FollowUpWindowClosed
        );
    }

    #[test]
    fn before_treatment_the_baseline_stays_open_and_the_rest_waits() {
        let plan = schedule(day("2027-01-10"), Treatment::Pending);
        assert_eq!(plan[0].state(None, day("2028-01-01")), FollowUpState::Due);
        assert_eq!(plan[1].state(None, day("2028-01-01")), FollowUpState::Upcoming);
        assert_eq!(
            plan[1].check_open(day("2028-01-01")).unwrap_err().kind,
            ProblemKind::FollowUpWindowNotOpen
        );
        assert!(schedule(day("2027-01-10"), Treatment::NotTreated).is_empty());
    }

    fn raw() -> RawAnswer {
        RawAnswer {
            back_pain_nrs: 6,
            leg_pain_nrs: 4,
            odi_score: Some(32.0),
            pgic: Some(2),
            pgic_version: Some(PgicVersion::Phenx7),
            adverse_events: vec![AdverseEvent {
                category: AdverseEventCategory::Other,
                severity: AdverseEventSeverity::Mild,
                description: Some("injection site pain".into()),
                care_needed: CareNeeded::None,
            }],
            further_procedures: vec![],
            work_status: None,
        }
    }

    #[test]
    fn answers_are_range_checked_and_the_baseline_has_no_change_items() {
        assert!(Answer::parse(raw(), TimePoint::Month3).is_ok());
        let errors = Answer::parse(raw(), TimePoint::Baseline).err().unwrap();
        let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/pgic", "/adverse_events"]);
        let bad = RawAnswer {
            back_pain_nrs: 11,
            leg_pain_nrs: -1,
            odi_score: Some(100.5),
            pgic: Some(8),
            pgic_version: None,
            ..raw()
        };
        let errors = Answer::parse(bad, TimePoint::Month6).err().unwrap();
        assert_eq!(errors.len(), 5);
    }
}
