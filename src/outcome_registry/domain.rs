//! The registry's row as the follow-ups hand it over, and the time points it reports (ICHOM low
//! back pain: 3, 6, 12 and 24 months after treatment; the baseline is only their reference).

/// A follow-up time point: the treatment record's (`treatments`), whose schedule the follow-ups use.
pub use crate::treatments::domain::FollowUpTimePoint as TimePoint;

/// The time points after treatment, in order (the registry reports these).
pub const AFTER_TREATMENT: [TimePoint; 4] = [
    TimePoint::Month3,
    TimePoint::Month6,
    TimePoint::Month12,
    TimePoint::Month24,
];

/// One de-identified registry row, as the follow-ups hand it over: where and what (clinic,
/// condition, cell type, country), the time point, and the scores with their baselines when
/// answered. No quote id, no dates.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryEntry {
    pub clinic_id: uuid::Uuid,
    pub condition_slug: String,
    pub cell_type_slug: String,
    pub country_code: String,
    pub time_point: TimePoint,
    /// `None` when the follow-up was due but not answered (skipped, missed or still open).
    pub scores: Option<RegistryScores>,
}

/// The answered scores of one registry row.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryScores {
    pub back_pain_baseline: Option<i16>,
    pub back_pain: i16,
    pub leg_pain_baseline: Option<i16>,
    pub leg_pain: i16,
    pub odi_baseline: Option<f64>,
    pub odi: Option<f64>,
    /// Whether the answer reported any adverse event since the last answer.
    pub adverse_event: bool,
}
