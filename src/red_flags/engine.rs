//! Red-flag detection engine.
//!
//! Evaluates the published red-flag rules (`seeds/catalogue/red_flag_rules.json`, defined in
//! `shared/reference/red-flags.md`) against a [`Subject`]: a set of labelled free texts plus a few
//! structured [`Facts`]. The engine is pure (no I/O, no clock, no randomness), so a re-run with the
//! same rule versions and the same subject gives the same detections in the same order.
//!
//! Rule kinds:
//! - `text` rules fire when any of their patterns (compiled case-insensitively) matches any text;
//!   the evidence is the sentence holding the first match.
//! - the `always` rule `NOT_APPROVED_INDICATION` fires for every spine / back-pain indication.
//! - a few `structured` rules are evaluated from [`Facts`]; the others are published but not
//!   evaluated yet, because StemCare does not model the fields they need (see
//!   [`RuleBook::is_evaluated`]).

use regex::Regex;
use serde::{Deserialize, Serialize};

/// How serious a red flag is. The order matters: `Info < Warn < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Context for the reader (for example a regulatory fact); not a penalty.
    Info,
    /// A warning sign the reader should check before booking.
    Warn,
    /// A serious warning sign; listings with one are hidden from default search.
    Critical,
}

impl Severity {
    /// The wire and database spelling: `info`, `warn` or `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Critical => "critical",
        }
    }
}

/// How a rule is detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectionKind {
    /// Regex patterns over free text (claims, descriptions, offer texts).
    Text,
    /// Structured facts about the clinic, package or offer.
    Structured,
    /// Shown whenever its condition applies (context, not a penalty).
    Always,
}

/// One rule as stored in `seeds/catalogue/red_flag_rules.json` (that file deserializes into
/// `Vec<Rule>`). Unknown fields are tolerated so the seed can grow without breaking the engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    /// Stable rule code, e.g. `GUARANTEED_OUTCOME`.
    pub code: String,
    /// Rule version; stored with every detection so a re-run is reproducible.
    pub version: i32,
    /// Short human-readable title.
    pub title: String,
    /// What triggers the rule.
    pub description: String,
    /// Severity given to every detection of this rule.
    pub severity: Severity,
    /// How the rule is detected.
    pub detection: DetectionKind,
    /// Regex patterns (Rust `regex` syntax, matched case-insensitively); empty for non-text rules.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Source cited for the rule, copied onto each detection.
    pub source_url: Option<String>,
    /// Free-text note on the sources behind the rule.
    pub source_note: Option<String>,
}

/// Code of the `always` rule for spine / back-pain indications.
const NOT_APPROVED_INDICATION: &str = "NOT_APPROVED_INDICATION";
const SAME_CELLS_MANY_CONDITIONS: &str = "SAME_CELLS_MANY_CONDITIONS";
const CELL_SOURCE_UNDOCUMENTED: &str = "CELL_SOURCE_UNDOCUMENTED";
const HIDDEN_COST: &str = "HIDDEN_COST";
const UNLICENSED_PRODUCT_TYPE: &str = "UNLICENSED_PRODUCT_TYPE";
const ACCREDITATION_UNVERIFIED: &str = "ACCREDITATION_UNVERIFIED";
const GUARANTEED_OUTCOME: &str = "GUARANTEED_OUTCOME";
const OUTCOME_CLAIM_UNSOURCED: &str = "OUTCOME_CLAIM_UNSOURCED";

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
    // structured (v1)
    SAME_CELLS_MANY_CONDITIONS,
    CELL_SOURCE_UNDOCUMENTED,
    HIDDEN_COST,
    UNLICENSED_PRODUCT_TYPE,
    ACCREDITATION_UNVERIFIED,
];

/// Text rules whose match is ignored when the same text carries a citation.
const CITATION_EXEMPT_CODES: &[&str] = &[GUARANTEED_OUTCOME, OUTCOME_CLAIM_UNSOURCED];

/// Text rules whose match is ignored when a negation stands just before it
/// ("not FDA approved", "we cannot guarantee", "has not been proven to be safe").
const NEGATABLE_CODES: &[&str] = &["FALSE_APPROVAL_CLAIM", GUARANTEED_OUTCOME, "NO_RISK_CLAIM"];

/// Words that negate the claim right after them (checked within the two preceding words).
const NEGATORS: &[&str] = &[
    "not", "no", "never", "cannot", "can't", "isn't", "aren't", "without", "nor",
];

/// True when one of the two words before byte `start` is a negator.
fn is_negated(text: &str, start: usize) -> bool {
    text[..start]
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .rev()
        .take(2)
        .any(|w| NEGATORS.contains(&w.to_lowercase().as_str()))
}

/// Citation ids: DOI, PubMed id, PubMed Central id, ClinicalTrials.gov id.
const CITATION_PATTERN: &str = r"(?i)10\.\d{4,9}/\S+|PMID:?\s*\d+|PMC\d+|NCT\d{8}";

/// Evidence text of `NOT_APPROVED_INDICATION`.
const NOT_APPROVED_EVIDENCE: &str =
    "No stem cell product is approved by the US FDA for back pain, disc disease or neck pain (FDA, 2021).";

/// Longest evidence text, in characters (including any "…").
const MAX_EVIDENCE_CHARS: usize = 300;

/// Characters of context kept before a match when a long sentence has to be cut around it.
const CONTEXT_BEFORE_MATCH: usize = 60;

/// v1 threshold of `SAME_CELLS_MANY_CONDITIONS`: stem cells offered for indications in at least this
/// many distinct body systems. The reference table says ">= 3"; v1 uses 2 because one product
/// offered for back pain plus e.g. autism already spans unrelated systems.
const MANY_CONDITIONS_MIN_SYSTEMS: usize = 2;

/// Keyword table mapping a stem-cell indication to a body system (`SAME_CELLS_MANY_CONDITIONS`).
///
/// An indication is lowercased and mapped to the FIRST system (in this order, which is also the
/// order used in evidence texts) having a keyword that occurs at the start of a word of the
/// indication (keywords are word prefixes: "neurolog" matches "neurological"). Strings matching no
/// keyword (e.g. "chronic diseases") map to no system.
const BODY_SYSTEMS: &[(&str, &[&str])] = &[
    (
        "musculoskeletal",
        &[
            "back pain",
            "neck pain",
            "spine",
            "disc",
            "sciatica",
            "stenosis",
            "joint",
            "muscular",
            "sports injur",
            "osteoarthritis",
            "arthritis",
            "orthop",
        ],
    ),
    (
        "neurodevelopmental",
        &["autism", "autistic", "adhd", "cerebral palsy"],
    ),
    (
        "nervous",
        &[
            "neurolog",
            "parkinson",
            "alzheimer",
            "multiple sclerosis",
            "stroke",
            "spinal cord",
        ],
    ),
    (
        "oncology",
        &["cancer", "tumor", "tumour", "leukemia", "leukaemia"],
    ),
    ("immune", &["autoimmune", "lupus", "immun"]),
    ("cardiovascular", &["cardio", "heart"]),
    ("respiratory", &["pulmonary", "copd", "lung"]),
    ("endocrine_metabolic", &["diabet", "metabolic", "endocrin"]),
    ("digestive", &["liver", "digestive", "crohn", "colitis"]),
    ("reproductive", &["erectile", "fertility"]),
    ("anti_aging", &["anti-aging", "anti aging", "longevity"]),
];

/// `cell_type` fragments (lowercased) of product classes the FDA has not licensed for this use.
const UNLICENSED_TYPE_KEYWORDS: &[&str] = &[
    "svf",
    "stromal vascular",
    "cord blood",
    "amniotic",
    "wharton",
    "exosome",
];

/// The rules with their patterns compiled, ready for [`evaluate`].
#[derive(Debug, Clone)]
pub struct RuleBook {
    rules: Vec<Rule>,
    /// `patterns[i]` holds the compiled patterns of `rules[i]`.
    patterns: Vec<Vec<Regex>>,
    citation: Regex,
}

impl RuleBook {
    /// Compiles every pattern case-insensitively (`(?i)` prefix). The `Err` names the rule code and
    /// the pattern that failed to compile.
    pub fn compile(rules: Vec<Rule>) -> Result<RuleBook, String> {
        let patterns = rules
            .iter()
            .map(|rule| {
                rule.patterns
                    .iter()
                    .map(|pattern| {
                        Regex::new(&format!("(?i){pattern}")).map_err(|err| {
                            format!(
                                "red-flag rule {} (v{}): pattern {pattern:?} does not compile: {err}",
                                rule.code, rule.version
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let citation = Regex::new(CITATION_PATTERN)
            .map_err(|err| format!("citation pattern does not compile: {err}"))?;
        Ok(RuleBook {
            rules,
            patterns,
            citation,
        })
    }

    /// The rules, in the order they were given to [`RuleBook::compile`].
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether the engine evaluates this rule: the text rules, the `always` rule
    /// `NOT_APPROVED_INDICATION`, and the structured rules `SAME_CELLS_MANY_CONDITIONS`,
    /// `CELL_SOURCE_UNDOCUMENTED`, `HIDDEN_COST`, `UNLICENSED_PRODUCT_TYPE` and
    /// `ACCREDITATION_UNVERIFIED`. The other rules (`NO_PROTOCOL`, `PAY_TO_PARTICIPATE`,
    /// `NO_IRB_OR_REGULATOR`, `NO_NAMED_DOCTOR`, `DEPOSIT_BEFORE_CONSULT`,
    /// `REVIEWS_ONLY_SELF_HOSTED`, and any unknown code) are published but not evaluated yet,
    /// because StemCare does not model the fields they need.
    pub fn is_evaluated(code: &str) -> bool {
        EVALUATED_CODES.contains(&code)
    }
}

/// What is being checked: labelled free texts plus structured facts.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// Free texts, each with a JSON-Pointer-ish label such as `"/claims/0/text"` or
    /// `"/description"`. Order matters: evidence comes from the first text that matches.
    pub texts: Vec<(String, &'a str)>,
    /// Structured facts about the subject.
    pub facts: Facts,
}

/// Structured facts the structured and `always` rules look at.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// True when the listing offers treatment for a spine / back-pain indication.
    pub spine_indication: bool,
    /// Conditions the provider says it treats WITH STEM CELLS (free strings, e.g. "back pain",
    /// "autism", "cancer", "neurological diseases").
    pub stem_cell_indications: Vec<String>,
    /// Present when the subject is a treatment package or offer.
    pub package: Option<PackageFacts>,
    /// Names of accreditations claimed without a verification date.
    pub unverified_accreditations: Vec<String>,
    /// What the listing discloses about its protocol, ethics approval, deposit and reviews (the
    /// inputs of `NO_PROTOCOL`, `NO_IRB_OR_REGULATOR`, `DEPOSIT_BEFORE_CONSULT` and
    /// `REVIEWS_ONLY_SELF_HOSTED`). `None` when the subject is not a listing (e.g. free text sent to
    /// `POST /v1/claim-checks`), so those rules do not apply.
    pub disclosures: Option<Disclosures>,
}

/// A fact a listing may state, state as absent, or not state at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Disclosed<T> {
    /// The listing says nothing about it: an informational "not stated" flag, never a warning.
    #[default]
    NotStated,
    /// The listing states there is none (e.g. no written protocol).
    None,
    /// The listing gives it (e.g. a protocol URL or reference).
    Given(T),
}

/// When a deposit is due, relative to a medical review of the patient's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepositTiming {
    /// No deposit is asked for.
    NoDeposit,
    /// Due only after a doctor reviewed the patient's records.
    AfterMedicalReview,
    /// Due before any medical review.
    BeforeMedicalReview,
}

/// The deposit terms of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepositTerms {
    /// When the deposit is due.
    pub due: DepositTiming,
    /// Percentage refunded when the patient withdraws (0–100); `None` when not stated.
    pub refund_pct: Option<u8>,
}

/// Where the reviews a listing shows are hosted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewHosting {
    /// Only testimonials the clinic publishes itself.
    SelfHostedOnly,
    /// Reviews on an independent platform with verified bookings (possibly besides its own).
    Independent,
    /// The listing shows no reviews or testimonials at all.
    NoReviews,
}

/// Structured disclosures of a clinic listing (or a package, where it overrides the clinic's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disclosures {
    /// Reference or URL of the written treatment protocol (`NO_PROTOCOL`).
    pub protocol: Disclosed<String>,
    /// Reference of the ethics committee (IRB/ERB) or regulator approval (`NO_IRB_OR_REGULATOR`).
    pub ethics_approval: Disclosed<String>,
    /// Deposit terms (`DEPOSIT_BEFORE_CONSULT`).
    pub deposit: Disclosed<DepositTerms>,
    /// Where reviews are hosted (`REVIEWS_ONLY_SELF_HOSTED`).
    pub reviews: Disclosed<ReviewHosting>,
}

/// Facts about a treatment package or offer.
#[derive(Debug, Clone, Default)]
pub struct PackageFacts {
    /// True when the clinic itself authored the price/package (clinic_listed or firm_offer); false
    /// for StemCare's regional indicative entries, to which structured package rules do not apply.
    pub authored_by_clinic: bool,
    /// Cell type: a slug like "bm-msc", "ad-msc", "uc-msc", or free text like "svf", "exosomes",
    /// "unknown". `None`, blank or "unknown" counts as undocumented.
    pub cell_type: Option<String>,
    /// "autologous" | "allogeneic" | `None`. `None`, blank or "unknown" counts as undocumented.
    pub cell_source: Option<String>,
    /// True when exclusions were stated explicitly (non-empty list, or every vocabulary item is
    /// classified as included/excluded).
    pub exclusions_stated: bool,
    /// True when the price is "from X" with no maximum.
    pub price_open_ended: bool,
}

/// One red flag raised on a subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// Code of the rule that fired.
    pub code: String,
    /// Version of the rule that fired.
    pub rule_version: i32,
    /// Severity of the rule.
    pub severity: Severity,
    /// Why it fired: the matched sentence for text rules, an explanation otherwise (max 300 chars
    /// for text rules).
    pub evidence_text: String,
    /// Source of the rule.
    pub source_url: Option<String>,
}

/// Runs every evaluated rule of `book` against `subject`.
///
/// At most one [`Detection`] per rule code (if the book holds a code twice, the first rule that
/// fires wins). The output is deterministic: by severity descending, then by code ascending.
pub fn evaluate(book: &RuleBook, subject: &Subject) -> Vec<Detection> {
    let mut detections: Vec<Detection> = Vec::new();
    for (rule, patterns) in book.rules.iter().zip(&book.patterns) {
        if !RuleBook::is_evaluated(&rule.code) || detections.iter().any(|d| d.code == rule.code) {
            continue;
        }
        let evidence = match rule.detection {
            DetectionKind::Text => text_evidence(book, rule, patterns, &subject.texts),
            DetectionKind::Always => always_evidence(rule, &subject.facts),
            DetectionKind::Structured => structured_evidence(rule, &subject.facts),
        };
        if let Some(evidence_text) = evidence {
            detections.push(Detection {
                code: rule.code.clone(),
                rule_version: rule.version,
                severity: rule.severity,
                evidence_text,
                source_url: rule.source_url.clone(),
            });
        }
    }
    detections.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.code.cmp(&b.code)));
    detections
}

/// Evidence of a text rule: the sentence holding the earliest match in the first matching text.
fn text_evidence(
    book: &RuleBook,
    rule: &Rule,
    patterns: &[Regex],
    texts: &[(String, &str)],
) -> Option<String> {
    let citation_exempt = CITATION_EXEMPT_CODES.contains(&rule.code.as_str());
    let negatable = NEGATABLE_CODES.contains(&rule.code.as_str());
    texts.iter().find_map(|(_, text)| {
        if citation_exempt && book.citation.is_match(text) {
            return None;
        }
        patterns
            .iter()
            .filter_map(|re| {
                re.find_iter(text)
                    .find(|m| !(negatable && is_negated(text, m.start())))
            })
            .min_by_key(|m| m.start())
            .map(|m| sentence_evidence(text, m.start(), m.end()))
    })
}

/// Byte range of the sentence holding byte offset `pos`. Sentences end at `.`, `!` or `?` followed
/// by whitespace (the mark stays in the sentence), or at a newline.
fn sentence_bounds(text: &str, pos: usize) -> (usize, usize) {
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary = match c {
            '\n' => Some((i, i + 1)),
            '.' | '!' | '?' => match chars.peek() {
                Some(&(_, next)) if next.is_whitespace() => Some((i + 1, i + 1)),
                _ => None,
            },
            _ => None,
        };
        if let Some((end, next_start)) = boundary {
            if pos < next_start {
                return (start, end);
            }
            start = next_start;
        }
    }
    (start, text.len())
}

/// The trimmed sentence holding the match `[start, end)`, cut to [`MAX_EVIDENCE_CHARS`].
fn sentence_evidence(text: &str, start: usize, end: usize) -> String {
    let (s, e) = sentence_bounds(text, start);
    let sentence = text.get(s..e).unwrap_or_default();
    let leading = sentence.len() - sentence.trim_start().len();
    let trimmed = sentence.trim();
    let rel_start = start.saturating_sub(s + leading).min(trimmed.len());
    let rel_end = end.saturating_sub(s + leading).clamp(rel_start, trimmed.len());
    clip(trimmed, rel_start, rel_end)
}

/// Cuts `s` to at most [`MAX_EVIDENCE_CHARS`] characters, marking cuts with "…" and keeping the
/// match `[start, end)` (byte offsets) visible when possible.
fn clip(s: &str, start: usize, end: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= MAX_EVIDENCE_CHARS {
        return s.to_owned();
    }
    let start_c = s.get(..start).map_or(0, |p| p.chars().count());
    let end_c = s.get(..end).map_or(start_c, |p| p.chars().count());
    let keep = MAX_EVIDENCE_CHARS - 1;
    if end_c <= keep {
        let mut out: String = chars[..keep].iter().collect();
        out.push('…');
        return out;
    }
    let from = start_c.saturating_sub(CONTEXT_BEFORE_MATCH);
    let mut out = String::from("…");
    if chars.len() - from <= keep {
        out.extend(&chars[chars.len() - keep..]);
    } else {
        out.extend(&chars[from..from + keep - 1]);
        out.push('…');
    }
    out
}

/// Evidence of an `always` rule.
fn always_evidence(rule: &Rule, facts: &Facts) -> Option<String> {
    (rule.code == NOT_APPROVED_INDICATION && facts.spine_indication).then(|| NOT_APPROVED_EVIDENCE.to_owned())
}

/// Evidence of a structured rule (only the rules evaluated in v1).
fn structured_evidence(rule: &Rule, facts: &Facts) -> Option<String> {
    let clinic_package = facts.package.as_ref().filter(|p| p.authored_by_clinic);
    match rule.code.as_str() {
        SAME_CELLS_MANY_CONDITIONS => many_conditions_evidence(&facts.stem_cell_indications),
        CELL_SOURCE_UNDOCUMENTED => clinic_package.and_then(cell_source_evidence),
        HIDDEN_COST => clinic_package.and_then(hidden_cost_evidence),
        UNLICENSED_PRODUCT_TYPE => facts.package.as_ref().and_then(unlicensed_type_evidence),
        ACCREDITATION_UNVERIFIED => accreditation_evidence(&facts.unverified_accreditations),
        _ => None,
    }
}

/// Index in [`BODY_SYSTEMS`] of the system an indication maps to, if any.
fn body_system(indication: &str) -> Option<usize> {
    let lower = indication.to_lowercase();
    BODY_SYSTEMS.iter().position(|(_, keywords)| {
        keywords.iter().any(|keyword| {
            lower
                .match_indices(keyword)
                .any(|(i, _)| !lower[..i].chars().next_back().is_some_and(char::is_alphanumeric))
        })
    })
}

fn many_conditions_evidence(indications: &[String]) -> Option<String> {
    // First matching indication of each system, indexed like BODY_SYSTEMS.
    let mut first: Vec<Option<&str>> = vec![None; BODY_SYSTEMS.len()];
    for indication in indications {
        if let Some(slot) = body_system(indication).and_then(|i| first.get_mut(i)) {
            slot.get_or_insert(indication.trim());
        }
    }
    let spanned: Vec<String> = BODY_SYSTEMS
        .iter()
        .zip(&first)
        .filter_map(|((system, _), ind)| ind.map(|ind| format!("{system} ({ind})")))
        .collect();
    (spanned.len() >= MANY_CONDITIONS_MIN_SYSTEMS).then(|| {
        format!(
            "Stem cells offered for conditions in {} unrelated body systems: {}",
            spanned.len(),
            spanned.join(", ")
        )
    })
}

/// True when a cell type / source is absent, blank or "unknown".
fn undocumented(value: Option<&str>) -> bool {
    value
        .map(str::trim)
        .is_none_or(|v| v.is_empty() || v.eq_ignore_ascii_case("unknown"))
}

fn cell_source_evidence(package: &PackageFacts) -> Option<String> {
    let no_type = undocumented(package.cell_type.as_deref());
    let no_source = undocumented(package.cell_source.as_deref());
    match (no_type, no_source) {
        (true, true) => {
            Some("Cell type and cell source (autologous or allogeneic) are not documented".into())
        }
        (true, false) => Some("Cell type is not documented".into()),
        (false, true) => Some("Cell source (autologous or allogeneic) is not documented".into()),
        (false, false) => None,
    }
}

fn hidden_cost_evidence(package: &PackageFacts) -> Option<String> {
    let mut reasons = Vec::new();
    if !package.exclusions_stated {
        reasons.push("Exclusions (what the price does not cover) are not stated");
    }
    if package.price_open_ended {
        reasons.push("Price is open-ended (\"from\" a minimum, with no maximum)");
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

fn unlicensed_type_evidence(package: &PackageFacts) -> Option<String> {
    let cell_type = package.cell_type.as_deref()?.trim();
    let lower = cell_type.to_lowercase();
    UNLICENSED_TYPE_KEYWORDS
        .iter()
        .any(|k| lower.contains(k))
        .then(|| {
            format!(
            "Cell product type \"{cell_type}\" is in a product class the FDA has not licensed for this use \
             (SVF, cord blood, amniotic, Wharton's jelly, exosomes; FDA, 2021)"
        )
        })
}

fn accreditation_evidence(names: &[String]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let named: Vec<&str> = names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()).collect();
    Some(if named.is_empty() {
        "Accreditation claimed without a verification date".to_owned()
    } else {
        format!(
            "Accreditation claimed without a verification date: {}",
            named.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Seed rules, relative to src/red_flags/engine.rs.
    fn rules_json() -> String {
        include_str!("../../seeds/catalogue/red_flag_rules.json").to_owned()
    }

    // Seed clinics, relative to src/red_flags/engine.rs.
    fn clinics_json() -> String {
        include_str!("../../seeds/catalogue/clinics.json").to_owned()
    }

    fn seed_rules() -> Vec<Rule> {
        serde_json::from_str(&rules_json()).expect("rules seed deserializes into Vec<Rule>")
    }

    fn book() -> RuleBook {
        RuleBook::compile(seed_rules()).expect("seed rules compile")
    }

    fn texts(texts: &[&'static str]) -> Subject<'static> {
        Subject {
            texts: texts
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("/claims/{i}/text"), *t))
                .collect(),
            facts: Facts::default(),
        }
    }

    fn with_facts(facts: Facts) -> Subject<'static> {
        Subject {
            texts: Vec::new(),
            facts,
        }
    }

    fn codes(detections: &[Detection]) -> Vec<&str> {
        detections.iter().map(|d| d.code.as_str()).collect()
    }

    fn find<'d>(detections: &'d [Detection], code: &str) -> Option<&'d Detection> {
        detections.iter().find(|d| d.code == code)
    }

    #[test]
    fn all_seed_rules_compile() {
        let rules = seed_rules();
        assert_eq!(rules.len(), 21);
        let book = RuleBook::compile(rules).expect("compile");
        for (rule, compiled) in book.rules().iter().zip(&book.patterns) {
            assert_eq!(rule.patterns.len(), compiled.len(), "{}", rule.code);
            if rule.detection == DetectionKind::Text {
                assert!(
                    !rule.patterns.is_empty(),
                    "text rule {} has no patterns",
                    rule.code
                );
            }
        }
    }

    #[test]
    fn evaluated_status_matches_seed() {
        let not_evaluated = [
            "NO_PROTOCOL",
            "PAY_TO_PARTICIPATE",
            "NO_IRB_OR_REGULATOR",
            "NO_NAMED_DOCTOR",
            "DEPOSIT_BEFORE_CONSULT",
            "REVIEWS_ONLY_SELF_HOSTED",
        ];
        for rule in seed_rules() {
            let expected = match rule.detection {
                DetectionKind::Text | DetectionKind::Always => true,
                DetectionKind::Structured => !not_evaluated.contains(&rule.code.as_str()),
            };
            assert_eq!(RuleBook::is_evaluated(&rule.code), expected, "{}", rule.code);
        }
        assert!(!RuleBook::is_evaluated("SOME_FUTURE_RULE"));
    }

    #[test]
    fn compile_error_names_rule_and_pattern() {
        let mut rules = seed_rules();
        rules[0].patterns.push(r"(?<!not )fda approved".to_owned());
        let err = RuleBook::compile(rules).expect_err("look-behind is not supported");
        assert!(err.contains("TESTIMONIAL_AS_EVIDENCE"), "{err}");
        assert!(err.contains("(?<!not )fda approved"), "{err}");
    }

    #[test]
    fn rule_json_is_tolerant_and_severity_ordered() {
        let rule: Rule = serde_json::from_str(
            r#"{"code":"X","version":2,"title":"t","description":"d","severity":"critical",
                "detection":"always","source_url":null,"source_note":null,"future_field":1}"#,
        )
        .expect("unknown fields and missing patterns are tolerated");
        assert_eq!(rule.severity, Severity::Critical);
        assert!(rule.patterns.is_empty());
        assert!(Severity::Info < Severity::Warn && Severity::Warn < Severity::Critical);
        assert_eq!(
            serde_json::to_string(&DetectionKind::Structured).expect("ser"),
            "\"structured\""
        );
    }

    #[test]
    fn cellular_hope_claims_raise_celebrity_and_guarantee() {
        let clinics: serde_json::Value = serde_json::from_str(&clinics_json()).expect("clinics parse");
        let clinic = clinics
            .as_array()
            .and_then(|a| a.iter().find(|c| c["slug"] == "cellular-hope-institute"))
            .expect("Cellular Hope in seed");
        let claims = clinic["claims"].as_array().expect("claims");
        let subject = Subject {
            texts: claims
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("/claims/{i}/text"), c["text"].as_str().expect("text")))
                .collect(),
            facts: Facts::default(),
        };
        let detections = evaluate(&book(), &subject);
        let celeb = find(&detections, "CELEBRITY_OR_ATHLETE").expect("celebrity flag");
        assert_eq!(
            celeb.evidence_text,
            "Among the patients of the clinic are Mike Tyson and Chistiano Ronaldo."
        );
        assert_eq!(celeb.severity, Severity::Warn);
        let guarantee = find(&detections, "GUARANTEED_OUTCOME").expect("guarantee flag");
        assert_eq!(
            guarantee.evidence_text,
            "The doctors have a 100% success rate on getting a result for autistic cases."
        );
        assert_eq!(guarantee.severity, Severity::Critical);
        assert_eq!(guarantee.rule_version, 1);
    }

    #[test]
    fn same_cells_many_conditions_threshold() {
        let book = book();
        let facts = |inds: &[&str]| Facts {
            stem_cell_indications: inds.iter().map(|s| s.to_string()).collect(),
            ..Facts::default()
        };
        let hit = evaluate(&book, &with_facts(facts(&["back pain", "autism"])));
        let d = find(&hit, "SAME_CELLS_MANY_CONDITIONS").expect("fires");
        assert_eq!(d.severity, Severity::Critical);
        assert_eq!(
            d.evidence_text,
            "Stem cells offered for conditions in 2 unrelated body systems: musculoskeletal (back pain), \
             neurodevelopmental (autism)"
        );
        let miss = evaluate(
            &book,
            &with_facts(facts(&["back pain", "sciatica", "chronic diseases"])),
        );
        assert!(find(&miss, "SAME_CELLS_MANY_CONDITIONS").is_none());
        assert!(evaluate(
            &book,
            &with_facts(facts(&["infectious diseases", "chronic diseases"]))
        )
        .is_empty());
        // GIOSTAR's seeded conditions: systems listed in table order, first indication of each.
        let giostar = evaluate(
            &book,
            &with_facts(facts(&[
                "cancer",
                "muscular and joint diseases",
                "neurological diseases",
                "autoimmune diseases",
                "liver and digestive diseases",
                "sports injuries",
            ])),
        );
        assert_eq!(
            find(&giostar, "SAME_CELLS_MANY_CONDITIONS").map(|d| d.evidence_text.as_str()),
            Some(
                "Stem cells offered for conditions in 5 unrelated body systems: musculoskeletal (muscular and \
                 joint diseases), nervous (neurological diseases), oncology (cancer), immune (autoimmune \
                 diseases), digestive (liver and digestive diseases)"
            )
        );
    }

    #[test]
    fn body_system_keywords_match_word_starts() {
        assert_eq!(
            body_system("Spinal cord injury").map(|i| BODY_SYSTEMS[i].0),
            Some("nervous")
        );
        assert_eq!(
            body_system("Degenerative disc disease").map(|i| BODY_SYSTEMS[i].0),
            Some("musculoskeletal")
        );
        assert_eq!(
            body_system("Heart failure").map(|i| BODY_SYSTEMS[i].0),
            Some("cardiovascular")
        );
        assert_eq!(body_system("sweetheart syndrome"), None);
        assert_eq!(body_system(""), None);
    }

    #[test]
    fn citation_suppresses_guarantee_and_unsourced_outcome() {
        let book = book();
        let cited = evaluate(
            &book,
            &texts(&["A cohort reported 95% success at one year (doi:10.1016/j.stem.2016.06.007)."]),
        );
        assert!(find(&cited, "GUARANTEED_OUTCOME").is_none(), "{cited:?}");
        assert!(find(&cited, "OUTCOME_CLAIM_UNSOURCED").is_none(), "{cited:?}");
        let pmid = evaluate(&book, &texts(&["95% success, see PMID: 12345678."]));
        assert!(find(&pmid, "GUARANTEED_OUTCOME").is_none());
        let uncited = evaluate(&book, &texts(&["A cohort reported 95% success at one year."]));
        assert!(find(&uncited, "GUARANTEED_OUTCOME").is_some());
        assert!(find(&uncited, "OUTCOME_CLAIM_UNSOURCED").is_some());
        // The citation must be in the SAME text.
        let split = evaluate(
            &book,
            &texts(&["95% success.", "See 10.1016/j.stem.2016.06.007."]),
        );
        assert!(find(&split, "GUARANTEED_OUTCOME").is_some());
    }

    #[test]
    fn no_side_effects_is_a_no_risk_claim() {
        let d = evaluate(&book(), &texts(&["Our treatment has no side effects at all!"]));
        let flag = find(&d, "NO_RISK_CLAIM").expect("fires");
        assert_eq!(flag.severity, Severity::Critical);
        assert_eq!(flag.evidence_text, "Our treatment has no side effects at all!");
    }

    #[test]
    fn fda_approved_is_a_false_approval_claim() {
        let d = evaluate(&book(), &texts(&["Our stem cell therapy is FDA approved."]));
        assert_eq!(
            find(&d, "FALSE_APPROVAL_CLAIM").map(|f| f.severity),
            Some(Severity::Critical)
        );
    }

    #[test]
    fn spine_indication_is_not_approved_info() {
        let book = book();
        let d = evaluate(
            &book,
            &with_facts(Facts {
                spine_indication: true,
                ..Facts::default()
            }),
        );
        assert_eq!(
            d,
            vec![Detection {
                code: "NOT_APPROVED_INDICATION".into(),
                rule_version: 1,
                severity: Severity::Info,
                evidence_text: NOT_APPROVED_EVIDENCE.into(),
                source_url: None,
            }]
        );
        assert!(evaluate(&book, &with_facts(Facts::default())).is_empty());
    }

    #[test]
    fn package_rules_need_clinic_authorship() {
        let book = book();
        let package = |authored_by_clinic| PackageFacts {
            authored_by_clinic,
            cell_type: Some("SVF".into()),
            cell_source: None,
            exclusions_stated: false,
            price_open_ended: true,
        };
        let indicative = with_facts(Facts {
            package: Some(package(false)),
            ..Facts::default()
        });
        assert_eq!(codes(&evaluate(&book, &indicative)), ["UNLICENSED_PRODUCT_TYPE"]);
        let authored = with_facts(Facts {
            package: Some(package(true)),
            ..Facts::default()
        });
        let d = evaluate(&book, &authored);
        assert_eq!(
            codes(&d),
            [
                "CELL_SOURCE_UNDOCUMENTED",
                "HIDDEN_COST",
                "UNLICENSED_PRODUCT_TYPE"
            ]
        );
        assert_eq!(
            d[0].evidence_text,
            "Cell source (autologous or allogeneic) is not documented"
        );
        assert_eq!(
            d[1].evidence_text,
            "Exclusions (what the price does not cover) are not stated; Price is open-ended (\"from\" a \
             minimum, with no maximum)"
        );
        assert!(d[2].evidence_text.contains("\"SVF\""));
        // A fully documented clinic package raises nothing.
        let clean = PackageFacts {
            authored_by_clinic: true,
            cell_type: Some("bm-msc".into()),
            cell_source: Some("autologous".into()),
            exclusions_stated: true,
            price_open_ended: false,
        };
        assert!(evaluate(
            &book,
            &with_facts(Facts {
                package: Some(clean),
                ..Facts::default()
            })
        )
        .is_empty());
        let unknown_type = PackageFacts {
            authored_by_clinic: true,
            cell_type: Some("unknown".into()),
            cell_source: Some("allogeneic".into()),
            exclusions_stated: true,
            price_open_ended: false,
        };
        let d = evaluate(
            &book,
            &with_facts(Facts {
                package: Some(unknown_type),
                ..Facts::default()
            }),
        );
        assert_eq!(codes(&d), ["CELL_SOURCE_UNDOCUMENTED"]);
        assert_eq!(d[0].evidence_text, "Cell type is not documented");
    }

    #[test]
    fn unverified_accreditation() {
        let facts = Facts {
            unverified_accreditations: vec!["JCI".into(), "ISO 9001".into()],
            ..Facts::default()
        };
        let d = evaluate(&book(), &with_facts(facts));
        assert_eq!(codes(&d), ["ACCREDITATION_UNVERIFIED"]);
        assert_eq!(d[0].severity, Severity::Warn);
        assert_eq!(
            d[0].evidence_text,
            "Accreditation claimed without a verification date: JCI, ISO 9001"
        );
    }

    #[test]
    fn careful_neutral_text_raises_nothing() {
        let d = evaluate(
            &book(),
            &texts(&["Small uncontrolled studies suggest some patients report less pain; results vary."]),
        );
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn order_and_one_detection_per_code() {
        let subject = Subject {
            texts: vec![
                ("/description".into(), "Read our success stories. Book now!"),
                (
                    "/claims/0/text".into(),
                    "Guaranteed results.\nNo side effects. Hear from our patients.",
                ),
                (
                    "/claims/1/text".into(),
                    "Another testimonial. It is a miracle cure.",
                ),
            ],
            facts: Facts {
                spine_indication: true,
                stem_cell_indications: vec!["back pain".into(), "COPD".into()],
                unverified_accreditations: vec!["JCI".into()],
                disclosures: None,
                package: None,
            },
        };
        let d = evaluate(&book(), &subject);
        assert_eq!(
            codes(&d),
            [
                "GUARANTEED_OUTCOME",
                "NO_RISK_CLAIM",
                "SAME_CELLS_MANY_CONDITIONS",
                "ACCREDITATION_UNVERIFIED",
                "TESTIMONIAL_AS_EVIDENCE",
                "URGENCY_PRESSURE",
                "NOT_APPROVED_INDICATION",
            ]
        );
        assert!(d
            .windows(2)
            .all(|w| (w[1].severity, &w[0].code) <= (w[0].severity, &w[1].code)));
        // Evidence comes from the first matching text, and the sentence holding the match.
        assert_eq!(
            find(&d, "TESTIMONIAL_AS_EVIDENCE").map(|x| x.evidence_text.as_str()),
            Some("Read our success stories.")
        );
        assert_eq!(
            find(&d, "GUARANTEED_OUTCOME").map(|x| x.evidence_text.as_str()),
            Some("Guaranteed results.")
        );
        assert_eq!(
            find(&d, "NO_RISK_CLAIM").map(|x| x.evidence_text.as_str()),
            Some("No side effects.")
        );
        assert_eq!(
            find(&d, "TESTIMONIAL_AS_EVIDENCE").and_then(|x| x.source_url.as_deref()),
            Some("http://www.cellmedicinesociety.org/icms-guidelines/treatment-claims")
        );
        // Duplicate codes in the book still give one detection.
        let mut rules = seed_rules();
        rules.extend(seed_rules());
        let doubled = RuleBook::compile(rules).expect("compile");
        assert_eq!(evaluate(&doubled, &subject), d);
    }

    #[test]
    fn sentence_splitting_and_clipping() {
        let text =
            "Welcome to the clinic.  We are the best!Really? Yes. e.g.x\n  Patients say it works  \nBye";
        let d = evaluate(&book(), &texts(&[text]));
        assert_eq!(
            find(&d, "TESTIMONIAL_AS_EVIDENCE").map(|x| x.evidence_text.as_str()),
            Some("Patients say it works")
        );
        assert_eq!(sentence_bounds("A. B", 3), (2, 4));
        assert_eq!(sentence_bounds("A.B", 2), (0, 3));

        let long_head: &'static str =
            Box::leak(format!("Patients say {} end.", "very ".repeat(100)).into_boxed_str());
        let d = evaluate(&book(), &texts(&[long_head]));
        let ev = &find(&d, "TESTIMONIAL_AS_EVIDENCE").expect("fires").evidence_text;
        assert_eq!(ev.chars().count(), MAX_EVIDENCE_CHARS);
        assert!(ev.starts_with("Patients say") && ev.ends_with('…'));

        let long_tail: &'static str =
            Box::leak(format!("We {} — patients say it works.", "ünïcode ".repeat(60)).into_boxed_str());
        let d = evaluate(&book(), &texts(&[long_tail]));
        let ev = &find(&d, "TESTIMONIAL_AS_EVIDENCE").expect("fires").evidence_text;
        assert_eq!(ev.chars().count(), MAX_EVIDENCE_CHARS);
        assert!(
            ev.starts_with('…') && ev.ends_with("patients say it works."),
            "{ev}"
        );

        let long_mid: &'static str =
            Box::leak(format!("We {} patients say {}.", "a ".repeat(200), "b ".repeat(200)).into_boxed_str());
        let d = evaluate(&book(), &texts(&[long_mid]));
        let ev = &find(&d, "TESTIMONIAL_AS_EVIDENCE").expect("fires").evidence_text;
        assert_eq!(ev.chars().count(), MAX_EVIDENCE_CHARS);
        assert!(
            ev.starts_with('…') && ev.ends_with('…') && ev.contains("patients say"),
            "{ev}"
        );
    }
}
