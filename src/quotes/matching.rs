//! Ranking packages for a quote request: a documented score out of 100, with its parts and
//! plain-language reasons, so a patient sees why a package ranks where it does.
//!
//! | factor | max | rule |
//! |---|---|---|
//! | `condition` | 20 | the package covers the requested condition (packages that do not are not ranked) |
//! | `country` | 20 | 20 in a preferred country or when none is preferred, else 0 |
//! | `cell_type` | 10 | 10 when the package's cell type is preferred or none is preferred; 0 when it differs or is not stated |
//! | `budget` | 25 | no budget 12; whole price range within budget 25; only the lower end within 12; over budget 0 |
//! | `clinic_score` | 15 | the clinic's score (0–100) × 0.15, rounded down |
//! | `evidence` | 10 | certainty of the evidence for the condition (for the package's cell type when a summary exists for it): high 10, moderate 7, low 4, very low 1, none 0 |
//!
//! Ties are broken by the lower price, then by package id. Budget fit compares the packages' stored
//! USD prices (`price_min_usd`, `price_max_usd`, kept at the current rates by `listings`) with the
//! budget converted to USD at the dated rate; the estimate shows the price in the budget's currency.
//!
//! The same score is computed twice on purpose: in SQL ([`SQL_SCORE`]), so Postgres returns only
//! the best few candidates instead of every package for the condition (tens of thousands at scale),
//! and in Rust ([`rank`]), which explains each part. Both read the same stored numbers, so they
//! agree; `tests/api/quotes.rs` checks the SQL ranking against [`rank`] over every candidate.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::clinics::scoring::ScorePart;
use crate::money::Rates;
use crate::quotes::dto::{Estimate, MoneyInput};
use crate::treatment_packages::model::TreatmentPackage;
use crate::treatment_packages::present::PackagePrice;

/// What the request asks for.
pub struct Wishes<'a> {
    pub condition: &'a str,
    pub preferred_countries: &'a [String],
    pub preferred_cell_types: &'a [String],
    pub budget: Option<&'a MoneyInput>,
    /// The budget in USD at the dated rate (None without a budget or without a rate).
    pub budget_usd: Option<Decimal>,
    /// Certainty of the evidence for the condition: `(cell type or None, certainty)` pairs.
    pub evidence: &'a [(Option<String>, String)],
}

/// Points for a certainty level.
fn evidence_points(certainty: &str) -> u32 {
    match certainty {
        "high" => 10,
        "moderate" => 7,
        "low" => 4,
        "very_low" => 1,
        _ => 0,
    }
}

/// A candidate package and its clinic.
pub struct Candidate<'a> {
    pub package: &'a TreatmentPackage,
    pub clinic_name: &'a str,
    pub clinic_score: Decimal,
}

/// The match score in SQL over `m` (a `package_matching` row: the package's country, cell type,
/// USD prices and its clinic's score), for the binds of [`ScoreBinds`] in order starting at `$2`
/// (`$1` is the condition). The evidence points are those of the first listed cell type equal to
/// the package's, else the general points. Keep in step with [`rank`].
pub const SQL_SCORE: &str = "
    20
    + CASE WHEN cardinality($2::text[]) = 0 OR m.country_code = ANY($2::text[]) THEN 20 ELSE 0 END
    + CASE WHEN cardinality($3::text[]) = 0 OR m.cell_type = ANY($3::text[]) THEN 10 ELSE 0 END
    + CASE WHEN $4::numeric IS NULL THEN CASE WHEN $5 THEN 12 ELSE 0 END
           WHEN m.price_max_usd <= $4::numeric THEN 25
           WHEN m.price_min_usd <= $4::numeric THEN 12
           ELSE 0 END
    + LEAST(floor(m.clinic_score * 0.15), 15)::int
    + COALESCE(($7::int[])[array_position($6::text[], m.cell_type)], $8::int)";

/// The values [`SQL_SCORE`] reads, derived from the wishes.
pub struct ScoreBinds {
    pub preferred_countries: Vec<String>,
    pub preferred_cell_types: Vec<String>,
    pub budget_usd: Option<Decimal>,
    /// True when no budget was given (12 points), false when one was given but has no rate (0).
    pub no_budget: bool,
    pub evidence_cells: Vec<String>,
    pub evidence_points: Vec<i32>,
    pub general_evidence_points: i32,
}

impl ScoreBinds {
    pub fn of(wishes: &Wishes<'_>) -> Self {
        let (cells, points): (Vec<String>, Vec<i32>) = wishes
            .evidence
            .iter()
            .filter_map(|(cell, certainty)| {
                let points = i32::try_from(evidence_points(certainty)).unwrap_or(0);
                cell.clone().map(|cell| (cell, points))
            })
            .unzip();
        let general_evidence_points = wishes
            .evidence
            .iter()
            .find(|(cell, _)| cell.is_none())
            .map_or(0, |(_, certainty)| {
                i32::try_from(evidence_points(certainty)).unwrap_or(0)
            });
        Self {
            preferred_countries: wishes.preferred_countries.to_vec(),
            preferred_cell_types: wishes.preferred_cell_types.to_vec(),
            budget_usd: wishes.budget_usd,
            no_budget: wishes.budget.is_none(),
            evidence_cells: cells,
            evidence_points: points,
            general_evidence_points,
        }
    }
}

fn part(factor: &str, points: u32, max_points: u32, reason: String) -> ScorePart {
    ScorePart {
        factor: factor.to_owned(),
        points,
        max_points,
        reason,
    }
}

/// Scores and ranks the candidates; at most `limit` estimates.
pub fn rank(wishes: &Wishes<'_>, candidates: &[Candidate<'_>], rates: &Rates, limit: usize) -> Vec<Estimate> {
    let display_currency = wishes.budget.map_or("USD", |b| b.currency.as_str());
    let mut scored: Vec<(Estimate, Decimal)> = candidates
        .iter()
        .filter(|c| c.package.conditions.iter().any(|slug| slug == wishes.condition))
        .map(|c| {
            let price = PackagePrice::of(c.package);
            let converted = price.convert(rates, display_currency);
            let mut parts = vec![part("condition", 20, 20, format!("Covers {}", wishes.condition))];
            let mut reasons = Vec::new();

            if wishes.preferred_countries.is_empty() {
                parts.push(part("country", 20, 20, "No country preference".into()));
            } else if wishes.preferred_countries.contains(&c.package.country_code) {
                parts.push(part("country", 20, 20, "Country preferred".into()));
                reasons.push("country preferred".to_owned());
            } else {
                parts.push(part("country", 0, 20, "Not in your preferred countries".into()));
                reasons.push("not in your preferred countries".to_owned());
            }

            match (&c.package.cell_type, wishes.preferred_cell_types.is_empty()) {
                (_, true) => parts.push(part("cell_type", 10, 10, "No cell type preference".into())),
                (Some(cell), false) if wishes.preferred_cell_types.contains(cell) => {
                    parts.push(part(
                        "cell_type",
                        10,
                        10,
                        format!("Uses {cell}, which you prefer"),
                    ));
                    reasons.push("cell type preferred".to_owned());
                }
                (Some(cell), false) => {
                    parts.push(part(
                        "cell_type",
                        0,
                        10,
                        format!("Uses {cell}, not a preferred cell type"),
                    ));
                    reasons.push("different cell type".to_owned());
                }
                (None, false) => {
                    parts.push(part(
                        "cell_type",
                        0,
                        10,
                        "The clinic does not state the cell type".into(),
                    ));
                    reasons.push("cell type not stated".to_owned());
                }
            }

            let (budget_points, budget_reason) = match (wishes.budget, wishes.budget_usd) {
                (None, _) => (12, "No budget given".to_owned()),
                (Some(_), None) => (0, "Your budget's currency has no exchange rate".to_owned()),
                (Some(budget), Some(budget_usd)) => {
                    if c.package.price_max_usd.is_some_and(|max| max <= budget_usd) {
                        (25, "Within budget".to_owned())
                    } else if c.package.price_min_usd <= budget_usd {
                        (
                            12,
                            "Within budget only at the lower end of the price range".to_owned(),
                        )
                    } else {
                        let over = converted
                            .as_ref()
                            .map(|price| price.min - budget.amount)
                            .filter(|over| over.is_sign_positive() && !over.is_zero());
                        match over {
                            Some(over) => (0, format!("Over budget by {over} {}", budget.currency)),
                            None => (0, "Over budget".to_owned()),
                        }
                    }
                }
            };
            reasons.push(budget_reason.to_lowercase());
            parts.push(part("budget", budget_points, 25, budget_reason));

            let clinic_points = (c.clinic_score * Decimal::new(15, 2))
                .floor()
                .to_u32()
                .unwrap_or(0)
                .min(15);
            parts.push(part(
                "clinic_score",
                clinic_points,
                15,
                format!("Clinic score {}/100", c.clinic_score.normalize()),
            ));
            let certainty = wishes
                .evidence
                .iter()
                .find(|(cell, _)| cell.is_some() && cell.as_ref() == c.package.cell_type.as_ref())
                .or_else(|| wishes.evidence.iter().find(|(cell, _)| cell.is_none()))
                .map_or("none", |(_, certainty)| certainty.as_str());
            let evidence_reason = match certainty {
                "none" => "No study found for this condition".to_owned(),
                level => format!("Evidence certainty: {}", level.replace('_', " ")),
            };
            // "No study" is a stronger warning than "very uncertain": say which one it is.
            match certainty {
                "none" => reasons.push("no study found for this condition".to_owned()),
                "very_low" => reasons.push("evidence is very uncertain".to_owned()),
                _ => {}
            }
            parts.push(part("evidence", evidence_points(certainty), 10, evidence_reason));
            if c.package.price_provenance == "regional_indicative" {
                reasons.push("indicative regional price, not the clinic's own".to_owned());
            }

            let match_score = parts.iter().map(|p| p.points).sum();
            let sort_price = c.package.price_min_usd;
            let estimate = Estimate {
                rank: 0,
                package_id: c.package.id,
                clinic_id: c.package.clinic_id,
                clinic_name: c.clinic_name.to_owned(),
                country: c.package.country_code.clone(),
                match_score,
                score_parts: parts,
                reasons,
                price_provenance: c.package.price_provenance.clone(),
                price,
                price_in_budget_currency: converted,
            };
            (estimate, sort_price)
        })
        .collect();
    scored.sort_by(|(a, price_a), (b, price_b)| {
        b.match_score
            .cmp(&a.match_score)
            .then(price_a.cmp(price_b))
            .then(a.package_id.cmp(&b.package_id))
    });
    scored
        .into_iter()
        .take(limit)
        .enumerate()
        .map(|(i, (mut estimate, _))| {
            estimate.rank = i + 1;
            estimate
        })
        .collect()
}
