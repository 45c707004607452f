//! A treatment record's values: the outcome and its vocabularies, the request parsed into a
//! [`NewTreatment`] (only [`NewTreatment::parse`] makes one), the clinical details that are stored
//! encrypted, and the follow-up schedule that follows from the treatment date.
//!
//! Adverse events use the complication list of the ICHOM low back pain set and the five CTCAE
//! severity levels (`shared/reference/outcomes.md` §1 and §6); nothing else is invented here.

use chrono::{Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::openapi::items::is_slug;
use crate::reference::Reference;
use crate::text::{is_free_text, is_text};
use crate::treatments::dto::{AdverseEventEntry, RecordTreatmentRequest};

crate::text_enum! {
    /// What happened after the patient accepted an offer (the `treatment_records_outcome` CHECK).
    pub enum TreatmentOutcome {
        /// The clinic delivered the treatment.
        Treated => "treated",
        /// The treatment did not happen.
        NotTreated => "not_treated",
    }
}

crate::text_enum! {
    /// Where the cells came from.
    pub enum CellSource {
        /// The patient's own cells.
        Autologous => "autologous",
        /// A donor's cells.
        Allogeneic => "allogeneic",
    }
}

crate::text_enum! {
    /// Why an accepted offer was not followed by treatment.
    pub enum NotTreatedReason {
        /// The patient did not travel to the clinic.
        PatientDidNotTravel => "patient_did_not_travel",
        /// The clinic declined to treat after examining the patient.
        DeclinedAfterExamination => "declined_after_examination",
        /// The patient withdrew.
        PatientWithdrew => "patient_withdrew",
        /// Another reason, told in `note`.
        Other => "other",
    }
}

crate::text_enum! {
    /// An adverse event's category: the complications of the ICHOM low back pain standard set, or
    /// `other` (described in `description`).
    pub enum AdverseEventCategory {
        /// Nerve root injury, including cauda equina.
        NerveRootInjury => "nerve_root_injury",
        /// Deep wound infection.
        DeepWoundInfection => "deep_wound_infection",
        /// Pulmonary embolus.
        PulmonaryEmbolus => "pulmonary_embolus",
        /// Wrong site procedure.
        WrongSiteProcedure => "wrong_site_procedure",
        /// Vascular injury.
        VascularInjury => "vascular_injury",
        /// Dural tear.
        DuralTear => "dural_tear",
        /// Need for rehospitalisation.
        Rehospitalisation => "rehospitalisation",
        /// Any other event, described in `description`.
        Other => "other",
    }
}

crate::text_enum! {
    /// An adverse event's severity: the five general levels of the NCI CTCAE (grades 1 to 5).
    pub enum AdverseEventSeverity {
        /// Grade 1: asymptomatic or mild symptoms; intervention not indicated.
        Mild => "mild",
        /// Grade 2: minimal, local or non-invasive intervention indicated.
        Moderate => "moderate",
        /// Grade 3: severe or medically significant, not immediately life-threatening.
        Severe => "severe",
        /// Grade 4: life-threatening consequences; urgent intervention indicated.
        LifeThreatening => "life_threatening",
        /// Grade 5: death related to the event.
        Death => "death",
    }
}

/// How many days before the acceptance date a treatment date may lie (time zones and a clinic
/// recording the day of arrival); earlier dates are refused as a likely typo.
pub const DAYS_BEFORE_ACCEPTANCE: i64 = 1;
/// At most this many sites, medications and adverse events.
pub const MAX_SITES: usize = 20;
pub const MAX_MEDICATIONS: usize = 30;
pub const MAX_ADVERSE_EVENTS: usize = 20;
/// Text bounds (characters).
pub const MAX_SHORT_TEXT: usize = 200;
pub const MAX_LOT: usize = 100;
pub const MAX_COA: usize = 300;
pub const MAX_DESCRIPTION: usize = 1000;
pub const MAX_NOTE: usize = 2000;
/// The largest cell count accepted (10^12 cells).
pub const MAX_CELL_COUNT: i64 = 1_000_000_000_000;

/// Everything clinical about a treatment: stored only encrypted, shown only to the patient, the
/// treating clinic and staff. No `Debug`: it is health data and must never reach a log.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct TreatmentDetails {
    pub cell_count: Option<i64>,
    pub administration_method: Option<String>,
    pub sites: Vec<String>,
    pub product_lot: Option<String>,
    pub certificate_of_analysis: Option<String>,
    pub medications: Vec<String>,
    pub adverse_events: Vec<AdverseEventEntry>,
    /// The free text of a not-treated reason.
    pub note: Option<String>,
}

/// What checking a record needs besides the request.
pub struct TreatmentChecks<'a> {
    pub reference: &'a Reference,
    /// Slugs of the administration methods in the catalogue.
    pub administration_methods: &'a [String],
    /// Today, by the server's clock.
    pub today: NaiveDate,
    /// The day the patient accepted the offer.
    pub accepted_on: NaiveDate,
}

/// A record that passed every check.
pub struct NewTreatment {
    pub outcome: TreatmentOutcome,
    pub treated_on: Option<NaiveDate>,
    pub cell_type: Option<String>,
    pub cell_source: Option<CellSource>,
    pub reason: Option<NotTreatedReason>,
    pub details: TreatmentDetails,
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, pointer: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    fn absent<T>(&mut self, value: &Option<T>, pointer: &str, only_for: &str) {
        if value.is_some() {
            self.add(pointer, format!("is only for outcome `{only_for}`"));
        }
    }

    fn text(&mut self, value: &Option<String>, pointer: &str, max: usize) {
        if value.as_deref().is_some_and(|v| !is_text(v, max)) {
            self.add(
                pointer,
                format!("must be 1 to {max} characters without control characters"),
            );
        }
    }

    fn list(&mut self, items: &[String], pointer: &str, max_items: usize) {
        if items.len() > max_items {
            self.add(pointer, format!("at most {max_items} items"));
        }
        for (i, item) in items.iter().enumerate() {
            if !is_text(item, MAX_SHORT_TEXT) {
                self.add(
                    &format!("{pointer}/{i}"),
                    format!("must be 1 to {MAX_SHORT_TEXT} characters without control characters"),
                );
            }
        }
    }
}

impl NewTreatment {
    /// Checks the request; the errors point at the fields.
    pub fn parse(
        request: RecordTreatmentRequest,
        checks: &TreatmentChecks<'_>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Errors(Vec::new());
        match request.outcome {
            TreatmentOutcome::Treated => check_treated(&request, checks, &mut errors),
            TreatmentOutcome::NotTreated => check_not_treated(&request, &mut errors),
        }
        if !errors.0.is_empty() {
            return Err(errors.0);
        }
        Ok(Self {
            outcome: request.outcome,
            treated_on: request.treated_on,
            cell_type: request.cell_type,
            cell_source: request.cell_source,
            reason: request.reason,
            details: TreatmentDetails {
                cell_count: request.cell_count,
                administration_method: request.administration_method,
                sites: request.sites,
                product_lot: request.product_lot,
                certificate_of_analysis: request.certificate_of_analysis,
                medications: request.medications,
                adverse_events: request.adverse_events,
                note: request.note,
            },
        })
    }
}

fn check_treated(request: &RecordTreatmentRequest, checks: &TreatmentChecks<'_>, errors: &mut Errors) {
    let earliest = checks.accepted_on - Duration::days(DAYS_BEFORE_ACCEPTANCE);
    match request.treated_on {
        None => errors.add("/treated_on", "is required when the outcome is `treated`"),
        Some(day) if day > checks.today => errors.add("/treated_on", "must not be in the future"),
        Some(day) if day < earliest => errors.add(
            "/treated_on",
            format!("must not be before the offer was accepted ({earliest} at the earliest)"),
        ),
        Some(_) => {}
    }
    match request.cell_type.as_deref() {
        None => errors.add("/cell_type", "is required when the outcome is `treated`"),
        Some(slug) if !is_slug(slug) || !checks.reference.is_cell_type(slug) => errors.add(
            "/cell_type",
            "is not a known cell type slug (see GET /v1/cell-types)",
        ),
        Some(_) => {}
    }
    if request.cell_source.is_none() {
        errors.add("/cell_source", "is required when the outcome is `treated`");
    }
    if request
        .cell_count
        .is_some_and(|n| !(1..=MAX_CELL_COUNT).contains(&n))
    {
        errors.add("/cell_count", format!("must be between 1 and {MAX_CELL_COUNT}"));
    }
    match request.administration_method.as_deref() {
        None => errors.add(
            "/administration_method",
            "is required when the outcome is `treated`",
        ),
        Some(slug) if !checks.administration_methods.iter().any(|m| m == slug) => errors.add(
            "/administration_method",
            "is not a known administration method slug (see GET /v1/administration-methods)",
        ),
        Some(_) => {}
    }
    if request.sites.is_empty() {
        errors.add("/sites", "name at least one site when the outcome is `treated`");
    }
    errors.list(&request.sites, "/sites", MAX_SITES);
    errors.list(&request.medications, "/medications", MAX_MEDICATIONS);
    errors.text(&request.product_lot, "/product_lot", MAX_LOT);
    errors.text(
        &request.certificate_of_analysis,
        "/certificate_of_analysis",
        MAX_COA,
    );
    if request.adverse_events.len() > MAX_ADVERSE_EVENTS {
        errors.add("/adverse_events", format!("at most {MAX_ADVERSE_EVENTS} items"));
    }
    for (i, event) in request.adverse_events.iter().enumerate() {
        let pointer = format!("/adverse_events/{i}/description");
        match event.description.as_deref() {
            None if event.category == AdverseEventCategory::Other => {
                errors.add(&pointer, "is required when the category is `other`")
            }
            Some(text) if !is_free_text(text, MAX_DESCRIPTION) || text.trim().is_empty() => errors.add(
                &pointer,
                format!("must be 1 to {MAX_DESCRIPTION} characters without control characters"),
            ),
            _ => {}
        }
    }
    errors.absent(&request.reason, "/reason", TreatmentOutcome::NotTreated.as_str());
    errors.absent(&request.note, "/note", TreatmentOutcome::NotTreated.as_str());
}

fn check_not_treated(request: &RecordTreatmentRequest, errors: &mut Errors) {
    let treated = TreatmentOutcome::Treated.as_str();
    match request.reason {
        None => errors.add("/reason", "is required when the outcome is `not_treated`"),
        Some(NotTreatedReason::Other) if request.note.is_none() => {
            errors.add("/note", "is required when the reason is `other`")
        }
        Some(_) => {}
    }
    errors.text(&request.note, "/note", MAX_NOTE);
    errors.absent(&request.treated_on, "/treated_on", treated);
    errors.absent(&request.cell_type, "/cell_type", treated);
    errors.absent(&request.cell_source, "/cell_source", treated);
    errors.absent(&request.cell_count, "/cell_count", treated);
    errors.absent(&request.administration_method, "/administration_method", treated);
    errors.absent(&request.product_lot, "/product_lot", treated);
    errors.absent(
        &request.certificate_of_analysis,
        "/certificate_of_analysis",
        treated,
    );
    for (list, pointer) in [
        (request.sites.is_empty(), "/sites"),
        (request.medications.is_empty(), "/medications"),
        (request.adverse_events.is_empty(), "/adverse_events"),
    ] {
        if !list {
            errors.add(pointer, format!("is only for outcome `{treated}`"));
        }
    }
}

crate::text_enum! {
    /// A point of the outcome follow-up: the baseline before treatment, then 3, 6, 12 and 24
    /// months after it (ICHOM low back pain set: 6, 12 and 24 months core, 3 months optional).
    pub enum FollowUpTimePoint {
        /// Before treatment: from acceptance until the treatment date.
        Baseline => "baseline",
        /// 3 months after treatment.
        Month3 => "month_3",
        /// 6 months after treatment.
        Month6 => "month_6",
        /// 12 months after treatment.
        Month12 => "month_12",
        /// 24 months after treatment.
        Month24 => "month_24",
    }
}

impl FollowUpTimePoint {
    /// Months after the treatment date (0 for the baseline).
    pub const fn months(self) -> u32 {
        match self {
            Self::Baseline => 0,
            Self::Month3 => 3,
            Self::Month6 => 6,
            Self::Month12 => 12,
            Self::Month24 => 24,
        }
    }
}

/// Days either side of a follow-up's due date in which an answer still counts.
pub const FOLLOW_UP_WINDOW_DAYS: i64 = 30;

/// One scheduled follow-up with its answer window (both ends inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledFollowUp {
    pub time_point: FollowUpTimePoint,
    /// The baseline's due date is the treatment date; the others are calendar months after it
    /// (a day past the end of a shorter month becomes its last day).
    pub due_on: NaiveDate,
    /// `None` for the baseline: it opens when the offer is accepted.
    pub window_opens: Option<NaiveDate>,
    pub window_closes: NaiveDate,
}

/// The follow-up schedule of a treatment given on `treated_on`: the baseline (closing on the
/// treatment date), then 3, 6, 12 and 24 months after it, each ± [`FOLLOW_UP_WINDOW_DAYS`].
pub fn follow_up_schedule(treated_on: NaiveDate) -> Vec<ScheduledFollowUp> {
    let window = Duration::days(FOLLOW_UP_WINDOW_DAYS);
    FollowUpTimePoint::ALL
        .iter()
        .map(|&time_point| {
            if time_point == FollowUpTimePoint::Baseline {
                return ScheduledFollowUp {
                    time_point,
                    due_on: treated_on,
                    window_opens: None,
                    window_closes: treated_on,
                };
            }
            // Adding months to a real date only fails past year 262,143.
            let due_on = treated_on
                .checked_add_months(Months::new(time_point.months()))
                .unwrap_or(NaiveDate::MAX);
            ScheduledFollowUp {
                time_point,
                due_on,
                window_opens: Some(due_on - window),
                window_closes: due_on + window,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn the_schedule_is_baseline_then_3_6_12_24_months_with_30_day_windows() {
        let schedule = follow_up_schedule(day("2027-01-31"));
        let due: Vec<NaiveDate> = schedule.iter().map(|s| s.due_on).collect();
        assert_eq!(
            due,
            [
                day("2027-01-31"),
                day("2027-04-30"),
                day("2027-07-31"),
                day("2028-01-31"),
                day("2029-01-31")
            ]
        );
        assert_eq!(schedule[0].window_opens, None);
        assert_eq!(schedule[0].window_closes, day("2027-01-31"));
        assert_eq!(schedule[1].window_opens, Some(day("2027-03-31")));
        assert_eq!(schedule[1].window_closes, day("2027-05-30"));
        assert_eq!(schedule[4].time_point, FollowUpTimePoint::Month24);
    }
}
