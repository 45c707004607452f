//! The engine's public types: rules, the subject being checked and its facts, and detections.

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
    /// Regex patterns (Rust `regex` syntax, matched case-insensitively, sentence by sentence);
    /// empty for non-text rules. A pattern starting with `!` is an exception: a sentence it matches
    /// raises nothing for this rule (e.g. "guaranteed" about a price, not an outcome). A match inside
    /// the scope of a negation or hypothetical ("we do not promise …", "be wary of clinics that …")
    /// never fires; see the `context` module.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Source cited for the rule, copied onto each detection.
    pub source_url: Option<String>,
    /// Free-text note on the sources behind the rule.
    pub source_note: Option<String>,
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
    /// The clinic's named practitioners and how many of their licences a current verification
    /// record confirms (the input of `NO_NAMED_DOCTOR`). `None` when the subject is not a clinic
    /// (a package, an offer, free text), so the rule does not apply.
    pub practitioners: Option<PractitionerFacts>,
}

/// What a clinic says about who treats, and what StemCare verified of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PractitionerFacts {
    /// Practitioners the clinic names (published, not deleted), any role.
    pub named: usize,
    /// Doctors (physician, surgeon, anaesthetist) among them whose licence a verification record
    /// confirms today.
    pub verified_doctor_licences: usize,
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
    /// Severity of this detection: the rule's, or lower when the rule says so (a structured rule
    /// whose input is merely "not stated" raises an `info` detection of a `warn` rule).
    pub severity: Severity,
    /// Why it fired: the matched sentence for text rules, an explanation otherwise (max 300 chars
    /// for text rules).
    pub evidence_text: String,
    /// Source of the rule.
    pub source_url: Option<String>,
}
