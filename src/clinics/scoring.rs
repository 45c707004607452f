//! The clinic scorecard: a transparent score out of 100 built only from what is known.
//!
//! | factor | max | rule |
//! |---|---|---|
//! | `accreditation` | 20 | 20 with at least one claimed accreditation that a current verification record confirms (`red_flags::verified`), else 0: a claim alone scores nothing |
//! | `treatment_volume` | 15 | stem cell patients per year that StemCare verified: under 1,000 → 5, under 3,000 → 10, else 15; a figure that counts all care (or does not say what it counts), or that is only the clinic's claim, is shown in the reason and scores 0 |
//! | `price_transparency` | 25 | +10 a package priced by the clinic itself (not a regional estimate); +10 every package states its exclusions; +5 a package lists its inclusions |
//! | `claims` | 30 | 30, minus 20 per critical and 5 per warning red flag on the clinic or its packages (informational flags cost nothing), never below 0; `NO_NAMED_DOCTOR` (no doctor with a verified licence) and `ACCREDITATION_UNVERIFIED` are such warnings |
//! | `responsiveness` | 10 | median time from a quote being shared with the clinic to its first offer: unknown 0, up to 24 hours 10, up to 72 hours 5, longer 0 |
//!
//! Missing information scores zero rather than being guessed, so a sparse listing ranks low
//! until the clinic supplies verifiable facts.

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::red_flags::engine::Severity;

/// One factor of a clinic's score.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct ScorePart {
    /// `accreditation`, `treatment_volume`, `price_transparency`, `claims` or `responsiveness`.
    #[schema(example = "treatment_volume")]
    pub factor: String,
    /// Points earned.
    #[schema(example = 15)]
    pub points: u32,
    /// Points available.
    #[schema(example = 15)]
    pub max_points: u32,
    /// Why, in plain words.
    #[schema(example = "4000 patients a year")]
    pub reason: String,
}

/// What one package contributes to transparency.
#[derive(Debug, Clone)]
pub struct PackageTransparency {
    pub priced_by_clinic: bool,
    pub exclusions_stated: bool,
    pub lists_inclusions: bool,
}

/// Everything the score is computed from.
#[derive(Debug, Clone, Default)]
pub struct ScoreInput {
    pub verified_accreditations: usize,
    pub patients_per_year: Option<i32>,
    /// What `patients_per_year` counts (`stem_cell_treatment`, `all_care`); None when not stated.
    pub patients_per_year_scope: Option<String>,
    /// Whether StemCare verified `patients_per_year`.
    pub patients_per_year_verified: bool,
    pub packages: Vec<PackageTransparency>,
    /// Severities of every red flag on the clinic and its packages.
    pub flags: Vec<(String, Severity)>,
    /// Median hours from a quote being shared with the clinic to its first offer, if any offer was made.
    pub median_hours_to_first_offer: Option<f64>,
}

/// The total (0–100) and its parts.
pub fn score(input: &ScoreInput) -> (Decimal, Vec<ScorePart>) {
    let accreditation = if input.verified_accreditations > 0 {
        part(
            "accreditation",
            20,
            20,
            format!("{} verified accreditation(s)", input.verified_accreditations),
        )
    } else {
        part(
            "accreditation",
            0,
            20,
            "No accreditation verified by StemCare (claimed ones count only once verified)".into(),
        )
    };

    let volume = treatment_volume(input);

    let mut transparency = 0;
    let mut reasons = Vec::new();
    if input.packages.iter().any(|p| p.priced_by_clinic) {
        transparency += 10;
        reasons.push("priced by the clinic itself");
    } else {
        reasons.push("only a regional indicative price is known");
    }
    if !input.packages.is_empty() && input.packages.iter().all(|p| p.exclusions_stated) {
        transparency += 10;
        reasons.push("exclusions stated explicitly");
    } else {
        reasons.push("exclusions not fully stated");
    }
    if input.packages.iter().any(|p| p.lists_inclusions) {
        transparency += 5;
        reasons.push("inclusions listed");
    }
    let transparency = part(
        "price_transparency",
        transparency,
        25,
        capitalise(&reasons.join("; ")),
    );

    let critical: Vec<&str> = input
        .flags
        .iter()
        .filter(|(_, s)| *s == Severity::Critical)
        .map(|(c, _)| c.as_str())
        .collect();
    let warnings: Vec<&str> = input
        .flags
        .iter()
        .filter(|(_, s)| *s == Severity::Warn)
        .map(|(c, _)| c.as_str())
        .collect();
    let penalty = 20 * critical.len() as u32 + 5 * warnings.len() as u32;
    let claims_reason = if critical.is_empty() && warnings.is_empty() {
        "No critical or warning red flags".to_owned()
    } else {
        let mut listed: Vec<&str> = critical.iter().chain(warnings.iter()).copied().collect();
        listed.sort_unstable();
        listed.dedup();
        format!("Red flags: {}", listed.join(", "))
    };
    let claims = part("claims", 30u32.saturating_sub(penalty), 30, claims_reason);

    let responsiveness = match input.median_hours_to_first_offer {
        None => part("responsiveness", 0, 10, "No offers made yet".into()),
        Some(hours) => {
            let points = if hours <= 24.0 {
                10
            } else if hours <= 72.0 {
                5
            } else {
                0
            };
            part(
                "responsiveness",
                points,
                10,
                format!("Median first offer after {hours:.1} hours"),
            )
        }
    };

    let parts = vec![accreditation, volume, transparency, claims, responsiveness];
    let total: u32 = parts.iter().map(|p| p.points).sum();
    (Decimal::from(total), parts)
}

/// Only stem cell treatment figures that StemCare verified earn points: a clinic's own count is
/// shown as claimed, and a count of all its patients says nothing about stem cell experience.
fn treatment_volume(input: &ScoreInput) -> ScorePart {
    let Some(n) = input.patients_per_year else {
        return part(
            "treatment_volume",
            0,
            15,
            "Patients per year not published".into(),
        );
    };
    let reason = match (input.patients_per_year_scope.as_deref(), input.patients_per_year_verified) {
        (Some("stem_cell_treatment"), true) => {
            let points = match n {
                ..1000 => 5,
                1000..3000 => 10,
                _ => 15,
            };
            return part(
                "treatment_volume",
                points,
                15,
                format!("{n} stem cell patients a year, verified by StemCare"),
            );
        }
        (Some("stem_cell_treatment"), false) => format!(
            "{n} stem cell patients a year, claimed by the clinic and not verified by StemCare: not scored until verified"
        ),
        (scope, verified) => {
            let what = if scope == Some("all_care") {
                "for all the clinic's care, not stem cell treatments"
            } else {
                "not stated to be stem cell treatments"
            };
            let checked = if verified { "verified" } else { "claimed, not verified" };
            format!("{n} patients a year {what} ({checked}): not scored")
        }
    };
    part("treatment_volume", 0, 15, reason)
}

fn part(factor: &str, points: u32, max_points: u32, reason: String) -> ScorePart {
    ScorePart {
        factor: factor.to_owned(),
        points,
        max_points,
        reason,
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknowns_score_zero_and_flags_cost_points() {
        let (total, parts) = score(&ScoreInput::default());
        assert_eq!(total, Decimal::from(30));
        assert_eq!(parts[1].reason, "Patients per year not published");

        let flagged = ScoreInput {
            patients_per_year: Some(4000),
            patients_per_year_scope: Some("stem_cell_treatment".into()),
            patients_per_year_verified: true,
            flags: vec![
                ("GUARANTEED_OUTCOME".into(), Severity::Critical),
                ("NOT_APPROVED_INDICATION".into(), Severity::Info),
            ],
            ..Default::default()
        };
        let (total, parts) = score(&flagged);
        assert_eq!(parts[1].points, 15);
        assert_eq!(parts[3].points, 10);
        assert_eq!(total, Decimal::from(25));
        let quick = ScoreInput {
            median_hours_to_first_offer: Some(5.0),
            ..ScoreInput::default()
        };
        assert_eq!(score(&quick).1[4].points, 10);
        let slow = ScoreInput {
            median_hours_to_first_offer: Some(100.0),
            ..ScoreInput::default()
        };
        assert_eq!(score(&slow).1[4].points, 0);
    }

    #[test]
    fn only_verified_stem_cell_volumes_score() {
        let volume = |scope: Option<&str>, verified: bool| {
            let input = ScoreInput {
                patients_per_year: Some(4000),
                patients_per_year_scope: scope.map(str::to_owned),
                patients_per_year_verified: verified,
                ..ScoreInput::default()
            };
            score(&input).1[1].clone()
        };
        assert_eq!(volume(Some("stem_cell_treatment"), true).points, 15);
        let claimed = volume(Some("stem_cell_treatment"), false);
        assert_eq!(claimed.points, 0);
        assert!(claimed.reason.contains("claimed") && claimed.reason.contains("4000"));
        for (scope, verified) in [(Some("all_care"), true), (Some("all_care"), false), (None, false)] {
            let part = volume(scope, verified);
            assert_eq!(part.points, 0, "{scope:?}");
            assert!(part.reason.contains("not scored"), "{}", part.reason);
        }
    }
}
