//! Turns registry rows into the published summaries: groups, the cell-size rule, medians with
//! quartiles, MIC shares and Wilson intervals. Pure: no database, no HTTP.

use std::collections::BTreeMap;

use crate::outcome_registry::domain::TimePoint;
use crate::outcome_registry::dto::{Figures, MeasureSummary, Proportion, TimePointSummary};
use crate::outcome_registry::repo::EntryRow;
use crate::outcome_registry::stats::{improvement, quartiles, reaches_mic, wilson, Measure, Z_95};

/// The label every figure carries.
pub const LABEL: &str = "registry: self-reported, unblinded, uncontrolled; very low certainty";

/// What a suppressed cell shows.
pub const TEN_OR_FEWER: &str = "10 or fewer";

/// The largest count that is never published (CMS cell-size rule: 1 to 10).
pub const MAX_SUPPRESSED: u32 = 10;

/// Proportions on this many or fewer are labelled a small sample (outcomes.md §5.3).
pub const SMALL_SAMPLE: u32 = 20;

/// The summaries of one group's rows, one per time point after treatment.
pub fn time_points(rows: &[&EntryRow]) -> Vec<TimePointSummary> {
    crate::outcome_registry::domain::AFTER_TREATMENT
        .into_iter()
        .map(|time_point| {
            let at: Vec<&EntryRow> = rows
                .iter()
                .copied()
                .filter(|r| r.time_point == time_point)
                .collect();
            summarise(time_point, &at)
        })
        .collect()
}

fn summarise(time_point: TimePoint, rows: &[&EntryRow]) -> TimePointSummary {
    let answered: Vec<&EntryRow> = rows.iter().copied().filter(|r| r.answered).collect();
    let n_answered = answered.len() as u32;
    if n_answered <= MAX_SUPPRESSED {
        return TimePointSummary {
            time_point,
            label: LABEL,
            suppressed: true,
            note: Some(TEN_OR_FEWER),
            figures: None,
        };
    }
    let due = rows.len() as u32;
    let pairs = |measure: Measure| -> Vec<(f64, f64)> {
        answered
            .iter()
            .filter_map(|r| match measure {
                Measure::BackPain => Some((f64::from(r.back_pain_baseline?), f64::from(r.back_pain?))),
                Measure::LegPain => Some((f64::from(r.leg_pain_baseline?), f64::from(r.leg_pain?))),
                Measure::Odi => Some((r.odi_baseline?, r.odi?)),
            })
            .collect()
    };
    let adverse = answered.iter().filter(|r| r.adverse_event == Some(true)).count() as u32;
    TimePointSummary {
        time_point,
        label: LABEL,
        suppressed: false,
        note: None,
        figures: Some(Figures {
            due,
            answered: n_answered,
            response_rate: f64::from(n_answered) / f64::from(due),
            back_pain_nrs: measure_summary(Measure::BackPain, &pairs(Measure::BackPain)),
            leg_pain_nrs: measure_summary(Measure::LegPain, &pairs(Measure::LegPain)),
            odi_score: measure_summary(Measure::Odi, &pairs(Measure::Odi)),
            adverse_events: proportion(adverse, n_answered),
        }),
    }
}

fn measure_summary(measure: Measure, pairs: &[(f64, f64)]) -> MeasureSummary {
    let denominator = pairs.len() as u32;
    let changes: Vec<f64> = pairs.iter().map(|(b, f)| improvement(*b, *f)).collect();
    match quartiles(&changes) {
        Some(q) if denominator > MAX_SUPPRESSED => {
            let reached = pairs.iter().filter(|(b, f)| reaches_mic(measure, *b, *f)).count() as u32;
            MeasureSummary {
                denominator,
                suppressed: false,
                note: None,
                median_improvement: Some(q.median),
                q1: Some(q.q1),
                q3: Some(q.q3),
                reached_mic: Some(proportion(reached, denominator)),
            }
        }
        _ => MeasureSummary {
            denominator,
            suppressed: true,
            note: Some(TEN_OR_FEWER),
            median_improvement: None,
            q1: None,
            q3: None,
            reached_mic: None,
        },
    }
}

fn proportion(count: u32, denominator: u32) -> Proportion {
    let (low, high) = wilson(count, denominator, Z_95).unwrap_or((0.0, 0.0));
    Proportion {
        count,
        denominator,
        share: if denominator == 0 {
            0.0
        } else {
            f64::from(count) / f64::from(denominator)
        },
        wilson_95_low: low,
        wilson_95_high: high,
        small_sample: denominator <= SMALL_SAMPLE,
    }
}

/// Groups rows by `key`, in key order (never by outcome).
pub fn group_by<K: Ord>(rows: &[EntryRow], key: impl Fn(&EntryRow) -> K) -> BTreeMap<K, Vec<&EntryRow>> {
    let mut groups: BTreeMap<K, Vec<&EntryRow>> = BTreeMap::new();
    for row in rows {
        groups.entry(key(row)).or_default().push(row);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(answered: bool, back: (i16, i16), adverse: bool) -> EntryRow {
        EntryRow {
            clinic_id: uuid::Uuid::nil(),
            condition_slug: "sciatica".into(),
            cell_type_slug: "bm-msc".into(),
            country_code: "TR".into(),
            time_point: TimePoint::Month3,
            answered,
            back_pain_baseline: answered.then_some(back.0),
            back_pain: answered.then_some(back.1),
            leg_pain_baseline: None,
            leg_pain: answered.then_some(3),
            odi_baseline: None,
            odi: None,
            adverse_event: answered.then_some(adverse),
        }
    }

    #[test]
    fn ten_answers_show_only_ten_or_fewer_and_eleven_show_figures() {
        let mut rows: Vec<EntryRow> = (0..10)
            .map(|i| row(true, (8, 8 - (i % 5) as i16), i == 0))
            .collect();
        rows.push(row(false, (0, 0), false));
        let refs: Vec<&EntryRow> = rows.iter().collect();
        let summary = &time_points(&refs)[0];
        assert!(summary.suppressed && summary.figures.is_none());
        assert_eq!(summary.note, Some(TEN_OR_FEWER));

        rows.push(row(true, (8, 2), false));
        let refs: Vec<&EntryRow> = rows.iter().collect();
        let summary = &time_points(&refs)[0];
        let figures = summary.figures.as_ref().expect("figures");
        assert_eq!((figures.due, figures.answered), (12, 11));
        // Improvements: 0,1,2,3,4 twice, and 6 → sorted [0,0,1,1,2,2,3,3,4,4,6]: median 2, Q1 1, Q3 3.5.
        assert_eq!(figures.back_pain_nrs.median_improvement, Some(2.0));
        assert_eq!(
            (figures.back_pain_nrs.q1, figures.back_pain_nrs.q3),
            (Some(1.0), Some(3.5))
        );
        let mic = figures.back_pain_nrs.reached_mic.as_ref().expect("mic");
        assert_eq!((mic.count, mic.denominator), (7, 11));
        assert!(
            figures.leg_pain_nrs.suppressed,
            "no leg pain baselines: nothing to compare"
        );
        assert_eq!(
            (figures.adverse_events.count, figures.adverse_events.denominator),
            (1, 11)
        );
        assert!((figures.adverse_events.wilson_95_high - 0.377).abs() < 0.0005);
    }
}
