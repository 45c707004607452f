//! The follow-up time points (ICHOM low back pain: 3, 6, 12 and 24 months after treatment, plus
//! a baseline before it), shared by the follow-ups that collect answers and the registry that
//! summarises them.

crate::text_enum! {
    /// A follow-up time point.
    pub enum TimePoint {
        /// Before treatment: from acceptance until the treatment date.
        Baseline => "baseline",
        /// 3 months after the treatment date (ICHOM's optional 3-month point).
        Month3 => "month_3",
        /// 6 months after the treatment date.
        Month6 => "month_6",
        /// 12 months after the treatment date.
        Month12 => "month_12",
        /// 24 months after the treatment date.
        Month24 => "month_24",
    }
}

impl TimePoint {
    /// Months after the treatment date; `None` for the baseline.
    pub fn months_after_treatment(self) -> Option<u32> {
        match self {
            Self::Baseline => None,
            Self::Month3 => Some(3),
            Self::Month6 => Some(6),
            Self::Month12 => Some(12),
            Self::Month24 => Some(24),
        }
    }

    /// The time points after treatment, in order (the registry reports these).
    pub const AFTER_TREATMENT: [TimePoint; 4] = [Self::Month3, Self::Month6, Self::Month12, Self::Month24];
}

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
