//! Red-flag detection engine.
//!
//! Evaluates the published red-flag rules (`seeds/catalogue/red_flag_rules.json`, defined in
//! `shared/reference/red-flags.md`) against a [`Subject`]: a set of labelled free texts plus a few
//! structured [`Facts`]. The engine is pure (no I/O, no clock, no randomness), so a re-run with the
//! same rule versions and the same subject gives the same detections in the same order.
//!
//! Rule kinds:
//! - `text` rules fire when one of their patterns (compiled case-insensitively) matches a sentence
//!   of a text outside a negation or hypothetical scope (`context`: ConText-style trigger terms
//!   whose scope ends at punctuation or a conjunction) and no exception pattern (`!…`) matches the
//!   sentence; the evidence is the sentence holding the first match. A rhetorical question with a
//!   short answer ("Side effects? None.") is also read as the claim it makes (`answers`), and its
//!   evidence is the pair. `GUARANTEED_OUTCOME` and
//!   `OUTCOME_CLAIM_UNSOURCED` also fire on numeric outcome claims (`figures`: percentages and
//!   "N out of M" about an outcome, not cited in the same text).
//! - the `always` rule `NOT_APPROVED_INDICATION` fires for every spine / back-pain indication.
//! - `structured` rules are evaluated from [`Facts`]; `SAME_CELLS_MANY_CONDITIONS` also counts the
//!   conditions the texts name next to a stem cell product. `NO_NAMED_DOCTOR` is evaluated from
//!   [`Facts::practitioners`] (clinics only); `PAY_TO_PARTICIPATE` is published but not evaluated
//!   yet (see [`RuleBook::is_evaluated`]).

mod answers;
mod context;
mod figures;
mod structured;
mod text;
mod triggers;
mod types;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_corpus;
#[cfg(test)]
mod tests_structured;

use regex::Regex;

pub use types::{
    DepositTerms, DepositTiming, Detection, DetectionKind, Disclosed, Disclosures, Facts, PackageFacts,
    PractitionerFacts, ReviewHosting, Rule, Severity, Subject,
};

use figures::FigureLexicon;
use structured::*;
use text::{AnalysedText, CompiledPatterns};

/// Code of the `always` rule for spine / back-pain indications.
const NOT_APPROVED_INDICATION: &str = "NOT_APPROVED_INDICATION";
const GUARANTEED_OUTCOME: &str = "GUARANTEED_OUTCOME";
const OUTCOME_CLAIM_UNSOURCED: &str = "OUTCOME_CLAIM_UNSOURCED";

/// Numeric outcome claims of at least this percentage are unrealistic (`GUARANTEED_OUTCOME`).
const GUARANTEE_MIN_PERCENT: f64 = 90.0;

/// Rule codes the engine evaluates. Text rules are evaluated generically from their patterns, but
/// are listed here so that [`RuleBook::is_evaluated`] never claims more than the engine does; a
/// new text rule in the seed needs its code added here (a unit test checks the seed).
const EVALUATED_CODES: &[&str] = &[
    // text
    "TESTIMONIAL_AS_EVIDENCE",
    "NO_RISK_CLAIM",
    GUARANTEED_OUTCOME,
    "FALSE_APPROVAL_CLAIM",
    "REGENERATE_AVOID_SURGERY",
    "CELEBRITY_OR_ATHLETE",
    "URGENCY_PRESSURE",
    "MSC_TRANSDIFFERENTIATION_CLAIM",
    OUTCOME_CLAIM_UNSOURCED,
    // always
    NOT_APPROVED_INDICATION,
    // structured
    SAME_CELLS_MANY_CONDITIONS,
    CELL_SOURCE_UNDOCUMENTED,
    HIDDEN_COST,
    UNLICENSED_PRODUCT_TYPE,
    ACCREDITATION_UNVERIFIED,
    NO_PROTOCOL,
    NO_IRB_OR_REGULATOR,
    DEPOSIT_BEFORE_CONSULT,
    REVIEWS_ONLY_SELF_HOSTED,
    NO_NAMED_DOCTOR,
];

/// Rules raised from StemCare's own records about a stored clinic (its practitioners and their
/// verification records), not from what a listing says: evaluated for clinics, never for free
/// text sent to `POST /v1/claim-checks`, and they never hold a listing in moderation (a partner
/// cannot clear them by editing; a coordinator's verification does).
pub const RECORD_BASED_CODES: &[&str] = &[NO_NAMED_DOCTOR];

/// Citation ids: DOI, PubMed id, PubMed Central id, ClinicalTrials.gov id.
const CITATION_PATTERN: &str =
    r"(?i)\b10\.\d{4,9}/\S+|\bPMID:?\s*\d+|\bPMC\s?\d+|\bNCT\d{8}|pubmed\.ncbi\.nlm\.nih\.gov/\d+";

/// Evidence text of `NOT_APPROVED_INDICATION`.
const NOT_APPROVED_EVIDENCE: &str =
    "No stem cell product is approved by the US FDA for back pain, disc disease or neck pain (FDA, 2021).";

/// The rules with their patterns compiled, ready for [`evaluate`].
#[derive(Debug, Clone)]
pub struct RuleBook {
    rules: Vec<Rule>,
    /// `patterns[i]` holds the compiled patterns of `rules[i]`.
    patterns: Vec<CompiledPatterns>,
    citation: Regex,
    cell_therapy: Regex,
    figures: FigureLexicon,
}

impl RuleBook {
    /// Compiles every pattern case-insensitively (`(?i)` prefix); a pattern written `!…` is an
    /// exception of its rule. The `Err` names the rule code and the pattern that failed to compile.
    pub fn compile(rules: Vec<Rule>) -> Result<RuleBook, String> {
        let patterns = rules
            .iter()
            .map(|rule| {
                let mut compiled = CompiledPatterns::default();
                for pattern in &rule.patterns {
                    let (exception, source) = match pattern.strip_prefix('!') {
                        Some(rest) => (true, rest),
                        None => (false, pattern.as_str()),
                    };
                    let re = Regex::new(&format!("(?i){source}")).map_err(|err| {
                        format!(
                            "red-flag rule {} (v{}): pattern {pattern:?} does not compile: {err}",
                            rule.code, rule.version
                        )
                    })?;
                    if exception {
                        compiled.exceptions.push(re);
                    } else {
                        compiled.triggers.push(re);
                    }
                }
                Ok(compiled)
            })
            .collect::<Result<Vec<_>, String>>()?;
        let citation = Regex::new(CITATION_PATTERN)
            .map_err(|err| format!("citation pattern does not compile: {err}"))?;
        let cell_therapy = Regex::new(CELL_THERAPY_PATTERN)
            .map_err(|err| format!("cell therapy pattern does not compile: {err}"))?;
        Ok(RuleBook {
            rules,
            patterns,
            citation,
            cell_therapy,
            figures: FigureLexicon::compile()?,
        })
    }

    /// The rules, in the order they were given to [`RuleBook::compile`].
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether the engine evaluates this rule: every text rule, the `always` rule
    /// `NOT_APPROVED_INDICATION`, and the structured rules `SAME_CELLS_MANY_CONDITIONS`,
    /// `CELL_SOURCE_UNDOCUMENTED`, `HIDDEN_COST`, `UNLICENSED_PRODUCT_TYPE`,
    /// `ACCREDITATION_UNVERIFIED`, `NO_PROTOCOL`, `NO_IRB_OR_REGULATOR`, `DEPOSIT_BEFORE_CONSULT`
    /// and `REVIEWS_ONLY_SELF_HOSTED` (the last four from [`Facts::disclosures`], when the subject
    /// is a listing), and `NO_NAMED_DOCTOR` (from [`Facts::practitioners`], when the subject is a
    /// clinic). `PAY_TO_PARTICIPATE` and any unknown code are published but not evaluated yet,
    /// because StemCare does not verify the fields they need.
    pub fn is_evaluated(code: &str) -> bool {
        EVALUATED_CODES.contains(&code)
    }
}

/// The version of the detection code itself (negation scope, figures, structured rules): bump it
/// whenever a change there can change a detection without any rule's version changing, so every
/// stored detection is re-evaluated at the next start-up (it is part of the rule book fingerprint).
pub const ENGINE_VERSION: u32 = 4;

/// Runs every evaluated rule of `book` against `subject`.
///
/// At most one [`Detection`] per rule code (if the book holds a code twice, the first rule that
/// fires wins). The output is deterministic: by severity descending, then by code ascending.
pub fn evaluate(book: &RuleBook, subject: &Subject) -> Vec<Detection> {
    let texts: Vec<AnalysedText> = subject
        .texts
        .iter()
        .map(|(_, text)| AnalysedText::new(text, &book.citation))
        .collect();
    let mut detections: Vec<Detection> = Vec::new();
    for (rule, patterns) in book.rules.iter().zip(&book.patterns) {
        if !RuleBook::is_evaluated(&rule.code) || detections.iter().any(|d| d.code == rule.code) {
            continue;
        }
        let found = match rule.detection {
            DetectionKind::Text => text_evidence(book, rule, patterns, &texts).map(|e| (rule.severity, e)),
            DetectionKind::Always => always_evidence(rule, &subject.facts).map(|e| (rule.severity, e)),
            DetectionKind::Structured => structured_evidence(book, rule, &subject.facts, &texts),
        };
        if let Some((severity, evidence_text)) = found {
            detections.push(Detection {
                code: rule.code.clone(),
                rule_version: rule.version,
                severity,
                evidence_text,
                source_url: rule.source_url.clone(),
            });
        }
    }
    detections.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.code.cmp(&b.code)));
    detections
}

/// Evidence of a text rule: the sentence holding the earliest asserted match (of a pattern, or a
/// numeric outcome figure for the two numeric rules) in the first text that has one.
fn text_evidence(
    book: &RuleBook,
    rule: &Rule,
    patterns: &CompiledPatterns,
    texts: &[AnalysedText],
) -> Option<String> {
    let min_percent = match rule.code.as_str() {
        GUARANTEED_OUTCOME => Some(GUARANTEE_MIN_PERCENT),
        OUTCOME_CLAIM_UNSOURCED => Some(0.0),
        _ => None,
    };
    texts.iter().find_map(|text| {
        let pattern = text::first_match(patterns, text);
        let figure = min_percent.and_then(|min| {
            book.figures
                .outcome_figures(text)
                .into_iter()
                .find(|f| f.percent >= min)
                .map(|f| (f.start, f.end))
        });
        let (start, end) = match (pattern, figure) {
            (Some(p), Some(f)) => p.min(f),
            (p, f) => p.or(f)?,
        };
        Some(text::sentence_evidence(text, start, end))
    })
}

/// Evidence of an `always` rule.
fn always_evidence(rule: &Rule, facts: &Facts) -> Option<String> {
    (rule.code == NOT_APPROVED_INDICATION && facts.spine_indication).then(|| NOT_APPROVED_EVIDENCE.to_owned())
}

/// Severity and evidence of a structured rule.
fn structured_evidence(
    book: &RuleBook,
    rule: &Rule,
    facts: &Facts,
    texts: &[AnalysedText],
) -> Option<(Severity, String)> {
    let clinic_package = facts.package.as_ref().filter(|p| p.authored_by_clinic);
    let evidence = match rule.code.as_str() {
        SAME_CELLS_MANY_CONDITIONS => {
            many_conditions_evidence(&book.cell_therapy, &facts.stem_cell_indications, texts)
        }
        CELL_SOURCE_UNDOCUMENTED => clinic_package.and_then(cell_source_evidence),
        HIDDEN_COST => clinic_package.and_then(hidden_cost_evidence),
        UNLICENSED_PRODUCT_TYPE => facts.package.as_ref().and_then(unlicensed_type_evidence),
        ACCREDITATION_UNVERIFIED => accreditation_evidence(&facts.unverified_accreditations),
        NO_NAMED_DOCTOR => facts.practitioners.and_then(named_doctor_evidence),
        code => return disclosure_evidence(code, facts, rule.severity),
    };
    evidence.map(|e| (rule.severity, e))
}
