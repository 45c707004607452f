//! How StemCare grades the certainty of an evidence summary from the studies it cites
//! (`shared/reference/evidence.md`, rules 1, 3 and 4; `seeds/evidence/README.md`, "Certainty rule").
//!
//! 1. No cited study → `none` ("No studies found").
//! 2. Only *counted* studies set the starting level: records read in their primary source
//!    (`reported_via = primary_source`) whose design carries outcome data of its own — randomised
//!    trials, non-randomised controlled studies, cohorts, case-control studies, registries, case
//!    series and single-arm trials. Article paraphrases, systematic and narrative reviews, news
//!    reports and expert opinion never raise certainty (a review takes the level of the evidence it
//!    includes, and that evidence must be cited itself to count).
//! 3. GRADE start from the best counted design: any randomised trial → `high`; otherwise any
//!    controlled observational design (non-randomised controlled, cohort, case-control) → `low`;
//!    otherwise (only single-arm trials, case series or registries) → `very_low`, the hard cap of
//!    evidence.md rule 3. Cited studies but none counted → `very_low`.
//! 4. GRADE downgrades, one level each, recorded per domain with a sentence:
//!    - `risk_of_bias`: no counted study has a control group;
//!    - `imprecision`: fewer than 100 participants known across the counted studies;
//!    - `indirectness`: every counted study measures pain only, or follows up for less than
//!      12 months (evidence.md rule 3);
//!    - `inconsistency`: a single counted study (consistency cannot be checked) is noted without a
//!      downgrade;
//!    - `publication_bias`: every counted study is small (under 50 participants, or unknown), where
//!      selective publication of favourable results is most likely.
//!
//!    Records that were cited but not counted are noted under `indirectness` with no downgrade. The
//!    level never falls below `very_low`; a reason keeps `downgrade: 1` even at the floor, so a
//!    reader sees every weakness. No upgrades are applied (no cited study reports a large effect
//!    against a control).
//! 5. The consumer badge follows evidence.md rule 4.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How certain it is that the reported effect is close to the true effect (GRADE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// No study was found.
    None,
    /// Very little confidence: the true effect is likely substantially different.
    VeryLow,
    /// Limited confidence: the true effect may be substantially different.
    Low,
    /// The true effect is likely close, but could be substantially different.
    Moderate,
    /// Very confident that the true effect is close to the estimate.
    High,
}

impl Certainty {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::VeryLow => "very_low",
            Self::Low => "low",
            Self::Moderate => "moderate",
            Self::High => "high",
        }
    }

    /// Parses the stored value; anything unknown reads as `none` (never as more certain).
    pub fn parse(raw: &str) -> Self {
        match raw {
            "very_low" => Self::VeryLow,
            "low" => Self::Low,
            "moderate" => Self::Moderate,
            "high" => Self::High,
            _ => Self::None,
        }
    }

    /// The consumer badge (evidence.md rule 4).
    pub fn badge(self) -> &'static str {
        match self {
            Self::High => "Strong evidence",
            Self::Moderate => "Moderate evidence",
            Self::Low => "Limited evidence",
            Self::VeryLow => "Very uncertain / experimental",
            Self::None => "No studies found",
        }
    }

    fn lowered(self, levels: u32) -> Self {
        let rank: u32 = match self {
            Self::High => 3,
            Self::Moderate => 2,
            Self::Low => 1,
            Self::VeryLow | Self::None => return self,
        };
        match rank.saturating_sub(levels) {
            3 => Self::High,
            2 => Self::Moderate,
            1 => Self::Low,
            _ => Self::VeryLow,
        }
    }
}

/// The design of a study as recorded in `studies.design`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Design {
    RandomisedControlledTrial,
    NonRandomisedControlled,
    Cohort,
    CaseControl,
    Registry,
    CaseSeries,
    SingleArmTrial,
    SystematicReview,
    NarrativeReview,
    NewsReport,
    ExpertOpinion,
    Unknown,
}

impl Design {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RandomisedControlledTrial => "randomised_controlled_trial",
            Self::NonRandomisedControlled => "non_randomised_controlled",
            Self::Cohort => "cohort",
            Self::CaseControl => "case_control",
            Self::Registry => "registry",
            Self::CaseSeries => "case_series",
            Self::SingleArmTrial => "single_arm_trial",
            Self::SystematicReview => "systematic_review",
            Self::NarrativeReview => "narrative_review",
            Self::NewsReport => "news_report",
            Self::ExpertOpinion => "expert_opinion",
            Self::Unknown => "unknown",
        }
    }

    /// Parses the stored value; anything unknown reads as `unknown` (which never counts).
    pub fn parse(raw: &str) -> Self {
        serde_json::from_value(serde_json::Value::String(raw.to_owned())).unwrap_or(Self::Unknown)
    }

    /// The GRADE starting level of a counted design; `None` for designs that never count.
    fn start(self) -> Option<Certainty> {
        match self {
            Self::RandomisedControlledTrial => Some(Certainty::High),
            Self::NonRandomisedControlled | Self::Cohort | Self::CaseControl => Some(Certainty::Low),
            Self::Registry | Self::CaseSeries | Self::SingleArmTrial => Some(Certainty::VeryLow),
            _ => None,
        }
    }
}

/// What the rule needs to know about one cited study.
#[derive(Debug, Clone)]
pub struct StudyFacts {
    pub design: Design,
    /// True when read in its primary source (false for article paraphrases).
    pub primary_source: bool,
    pub participants: Option<i32>,
    pub has_control_group: Option<bool>,
    pub follow_up_months: Option<i32>,
    pub outcome_measures: Vec<String>,
}

/// One GRADE domain's finding about a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CertaintyReason {
    /// `risk_of_bias`, `inconsistency`, `indirectness`, `imprecision` or `publication_bias`.
    #[schema(example = "risk_of_bias")]
    pub domain: String,
    /// Levels this finding lowers certainty by (0: noted only).
    #[schema(example = 1)]
    pub downgrade: i32,
    /// The finding in one plain sentence.
    #[schema(
        example = "None of the 4 counted studies had a control group, so the improvement cannot be attributed to the cells."
    )]
    pub reason: String,
}

/// The certainty of a summary with its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    pub certainty: Certainty,
    pub reasons: Vec<CertaintyReason>,
    pub study_count: i32,
    /// Sum of the participants of every cited study that states it.
    pub participants_known: i32,
}

fn reason(domain: &str, downgrade: i32, text: String) -> CertaintyReason {
    CertaintyReason {
        domain: domain.to_owned(),
        downgrade,
        reason: text,
    }
}

fn is_pain_only(study: &StudyFacts) -> bool {
    !study.outcome_measures.is_empty()
        && study
            .outcome_measures
            .iter()
            .all(|m| m.to_lowercase().contains("pain") || m.to_lowercase().starts_with("vas"))
}

/// Grades a summary citing `studies` (see the module documentation for the rule).
pub fn grade(studies: &[StudyFacts]) -> Grade {
    let study_count = i32::try_from(studies.len()).unwrap_or(i32::MAX);
    let participants_known = studies.iter().filter_map(|s| s.participants).sum();
    if studies.is_empty() {
        return Grade {
            certainty: Certainty::None,
            reasons: Vec::new(),
            study_count,
            participants_known,
        };
    }
    let counted: Vec<&StudyFacts> = studies
        .iter()
        .filter(|s| s.primary_source && s.design.start().is_some())
        .collect();
    let start = counted
        .iter()
        .filter_map(|s| s.design.start())
        .max()
        .unwrap_or(Certainty::VeryLow);
    let mut reasons = Vec::new();
    let n = counted.len();
    if n == 0 {
        reasons.push(reason(
            "risk_of_bias",
            1,
            format!("None of the {study_count} cited records reports its own outcome data from a primary source (article paraphrases or reviews only), so nothing can be graded above very low."),
        ));
    } else {
        if counted.iter().all(|s| s.has_control_group != Some(true)) {
            reasons.push(reason(
                "risk_of_bias",
                1,
                format!("None of the {n} counted studies had a control group, so the improvement cannot be attributed to the cells rather than to time, placebo or other care."),
            ));
        }
        if n == 1 {
            reasons.push(reason(
                "inconsistency",
                0,
                "Only one counted study, so whether results agree across studies cannot be checked."
                    .to_owned(),
            ));
        }
        let counted_participants: i32 = counted.iter().filter_map(|s| s.participants).sum();
        if counted_participants < 100 {
            reasons.push(reason(
                "imprecision",
                1,
                format!("Only {counted_participants} participants are known across the counted studies (fewer than 100), so the size of any effect is very imprecise."),
            ));
        }
        if counted
            .iter()
            .all(|s| is_pain_only(s) || s.follow_up_months.is_none_or(|m| m < 12))
        {
            reasons.push(reason(
                "indirectness",
                1,
                "Every counted study measured pain only or followed people for less than 12 months, which says little about lasting benefit.".to_owned(),
            ));
        }
        if counted.iter().all(|s| s.participants.is_none_or(|p| p < 50)) {
            reasons.push(reason(
                "publication_bias",
                1,
                "Every counted study is small (under 50 participants); small studies with favourable results are the most likely to be published.".to_owned(),
            ));
        }
    }
    let not_counted = studies.len() - n;
    if not_counted > 0 {
        reasons.push(reason(
            "indirectness",
            0,
            format!("{not_counted} cited record(s) are article paraphrases, reviews or commentary; they are shown for context and do not raise certainty."),
        ));
    }
    let downgrades: i32 = reasons.iter().map(|r| r.downgrade).sum();
    let certainty = start.lowered(u32::try_from(downgrades).unwrap_or(0));
    Grade {
        certainty,
        reasons,
        study_count,
        participants_known,
    }
}

#[cfg(test)]
#[path = "grading_tests.rs"]
mod tests;
