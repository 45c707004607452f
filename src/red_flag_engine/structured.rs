//! Structured rules: evaluated from [`Facts`] (and, for `SAME_CELLS_MANY_CONDITIONS`, also from
//! the conditions a patient reads in the texts).

use regex::Regex;

use super::text::{AnalysedText, Sentence};
use super::types::{
    DepositTerms, DepositTiming, Disclosed, Facts, PackageFacts, PractitionerFacts, ReviewHosting, Severity,
};

pub(super) const SAME_CELLS_MANY_CONDITIONS: &str = "SAME_CELLS_MANY_CONDITIONS";
pub(super) const CELL_SOURCE_UNDOCUMENTED: &str = "CELL_SOURCE_UNDOCUMENTED";
pub(super) const HIDDEN_COST: &str = "HIDDEN_COST";
pub(super) const UNLICENSED_PRODUCT_TYPE: &str = "UNLICENSED_PRODUCT_TYPE";
pub(super) const ACCREDITATION_UNVERIFIED: &str = "ACCREDITATION_UNVERIFIED";
pub(super) const NO_PROTOCOL: &str = "NO_PROTOCOL";
pub(super) const NO_IRB_OR_REGULATOR: &str = "NO_IRB_OR_REGULATOR";
pub(super) const DEPOSIT_BEFORE_CONSULT: &str = "DEPOSIT_BEFORE_CONSULT";
pub(super) const REVIEWS_ONLY_SELF_HOSTED: &str = "REVIEWS_ONLY_SELF_HOSTED";
pub(super) const NO_NAMED_DOCTOR: &str = "NO_NAMED_DOCTOR";

/// Threshold of `SAME_CELLS_MANY_CONDITIONS`, as the reference states it: stem cells offered for
/// conditions in at least this many unrelated body systems.
pub(super) const MANY_CONDITIONS_MIN_SYSTEMS: usize = 3;

/// Keyword table mapping a condition to a body system (`SAME_CELLS_MANY_CONDITIONS`).
///
/// A condition is lowercased and mapped to the FIRST system (in this order, which is also the
/// order used in evidence texts) having a keyword found at the start of a word. Keywords are word
/// prefixes ("neurolog" matches "neurological"), except those ending in `$`, which must also end
/// at a word end ("disc$" matches "disc" but not "discount"). Strings matching no keyword (e.g.
/// "chronic diseases") map to no system.
pub(super) const BODY_SYSTEMS: &[(&str, &[&str])] = &[
    (
        "musculoskeletal",
        &[
            "back pain",
            "neck pain",
            "back problems",
            "spine$",
            "disc$",
            "discs$",
            "herniat",
            "sciatica",
            "stenosis",
            "joint",
            "muscular",
            "musculoskeletal",
            "sports injur",
            "osteoarthritis",
            "arthritis",
            "orthop",
            "knee",
            "hip$",
            "hips$",
            "shoulder",
            "tendon",
            "ligament",
            "cartilage",
        ],
    ),
    (
        "neurodevelopmental",
        &[
            "autism",
            "autistic",
            "adhd",
            "cerebral palsy",
            "down syndrome",
            "developmental",
        ],
    ),
    (
        "nervous",
        &[
            "neurolog",
            "parkinson",
            "alzheimer",
            "multiple sclerosis",
            "ms$",
            "als$",
            "stroke",
            "spinal cord",
            "dementia",
            "neuropath",
            "epilep",
            "brain injur",
            "nerve damage",
            "huntington",
            "motor neuron",
        ],
    ),
    (
        "oncology",
        &[
            "cancer",
            "tumor",
            "tumour",
            "leukemia",
            "leukaemia",
            "lymphoma",
            "oncolog",
        ],
    ),
    (
        "immune",
        &[
            "autoimmune",
            "lupus",
            "immun",
            "rheumatoid",
            "psoria",
            "hiv$",
            "scleroderma",
        ],
    ),
    (
        "cardiovascular",
        &["cardio", "heart$", "hearts$", "angina", "arter", "circulat"],
    ),
    (
        "respiratory",
        &[
            "pulmonary",
            "copd",
            "lung",
            "asthma",
            "emphysema",
            "covid",
            "respirat",
        ],
    ),
    (
        "endocrine_metabolic",
        &["diabet", "metabolic", "endocrin", "obesity", "thyroid"],
    ),
    (
        "digestive",
        &[
            "liver",
            "digestive",
            "crohn",
            "colitis",
            "cirrhosis",
            "bowel",
            "ibd$",
            "hepat",
        ],
    ),
    ("renal", &["kidney", "renal$"]),
    (
        "eye",
        &[
            "macular",
            "glaucoma",
            "blindness",
            "retin",
            "vision loss",
            "optic nerve",
        ],
    ),
    ("skin_hair", &["hair loss", "alopecia", "wrinkle", "skin$"]),
    (
        "reproductive",
        &["erectile", "fertility", "infertility", "impotence", "ovarian"],
    ),
    (
        "anti_aging",
        &[
            "anti-aging",
            "anti aging",
            "anti-ageing",
            "anti ageing",
            "longevity",
        ],
    ),
];

/// A stem cell product named in a sentence: its conditions count toward
/// `SAME_CELLS_MANY_CONDITIONS`.
pub(super) const CELL_THERAPY_PATTERN: &str = r"(?i)\b(stem[- ]cells?|mscs?|mesenchymal|cell[- ](therapy|therapies|treatments?|based|injections?|products?)|exosomes?|secretome|cord (blood |tissue )?cells|cord blood|svf|stromal vascular|cellular therap\w*|(the same|our|these) cells)\b";

/// `cell_type` fragments (lowercased) and the product class each names. The first five classes are
/// the FDA 2021 consumer warning's own list (SVF, cord blood, amniotic fluid, Wharton's jelly,
/// exosomes); `uc-msc` is the catalogue's slug for umbilical cord blood MSCs; the others are
/// products made from the same birth tissues or cell secretions.
const UNLICENSED_CLASSES: &[(&str, &str)] = &[
    ("svf", "stromal vascular fraction (SVF)"),
    ("stromal vascular", "stromal vascular fraction (SVF)"),
    ("uc-msc", "umbilical cord blood cells"),
    ("cord blood", "umbilical cord blood cells"),
    ("umbilical", "umbilical cord blood cells"),
    ("amniotic", "amniotic fluid or membrane"),
    ("amnion", "amniotic fluid or membrane"),
    ("wharton", "Wharton's jelly (umbilical cord tissue)"),
    ("cord tissue", "Wharton's jelly (umbilical cord tissue)"),
    ("exosome", "exosomes"),
    ("extracellular vesicle", "exosomes"),
    ("secretome", "secretome (cell-conditioned medium)"),
    ("conditioned medi", "secretome (cell-conditioned medium)"),
    ("placenta", "placental tissue"),
];

/// True when `keyword` occurs in `lower` at a word start (and, with a trailing `$`, a word end).
fn keyword_at(lower: &str, keyword: &str) -> Option<(usize, usize)> {
    let (word, whole) = match keyword.strip_suffix('$') {
        Some(w) => (w, true),
        None => (keyword, false),
    };
    lower
        .match_indices(word)
        .map(|(i, _)| (i, i + word.len()))
        .find(|&(i, e)| {
            let starts = !lower[..i].chars().next_back().is_some_and(char::is_alphanumeric);
            let ends = !whole || !lower[e..].chars().next().is_some_and(char::is_alphanumeric);
            starts && ends
        })
}

/// Index in [`BODY_SYSTEMS`] of the system a condition maps to, if any.
pub(super) fn body_system(condition: &str) -> Option<usize> {
    let lower = condition.to_lowercase();
    BODY_SYSTEMS
        .iter()
        .position(|(_, keywords)| keywords.iter().any(|k| keyword_at(&lower, k).is_some()))
}

/// The conditions named in asserted sentences that also name a stem cell product, as
/// `(system index, condition words)`. A name of a medical field ("neurology", "orthopaedics") is
/// not a condition.
fn text_conditions<'t>(cell_therapy: &Regex, texts: &[AnalysedText<'t>]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for sentence in texts.iter().flat_map(|t| &t.sentences) {
        let lower = sentence.text.to_lowercase();
        if lower.len() != sentence.text.len() {
            continue; // offsets would not line up; such text is rare in listings
        }
        for (clause_start, clause_end) in clauses(&lower) {
            let clause = &sentence.text[clause_start..clause_end];
            let names_product = cell_therapy
                .find_iter(clause)
                .any(|m| sentence.asserts_at(clause_start + m.start()));
            if names_product {
                found.extend(clause_conditions(sentence, &lower, clause_start, clause_end));
            }
        }
    }
    found
}

/// Byte ranges of the clauses of a lowercased sentence: a new clause starts after `;`, a dash, or
/// a contrastive conjunction ("The hospital treats cancer; our stem cells treat only back pain").
fn clauses(lower: &str) -> Vec<(usize, usize)> {
    let mut cuts: Vec<(usize, usize)> = lower
        .char_indices()
        .filter(|(_, c)| matches!(c, ';' | '—' | '–'))
        .map(|(i, c)| (i, i + c.len_utf8()))
        .collect();
    for word in [" but ", " while ", " whereas ", " however ", " although "] {
        cuts.extend(lower.match_indices(word).map(|(i, w)| (i, i + w.len())));
    }
    cuts.sort_unstable();
    let mut ranges = Vec::new();
    let mut start = 0;
    for (cut_start, cut_end) in cuts {
        if cut_start >= start {
            ranges.push((start, cut_start));
            start = cut_end;
        }
    }
    ranges.push((start, lower.len()));
    ranges
}

/// Conditions named in the clause `[clause_start, clause_end)` of a sentence, outside negation
/// and hypothetical scopes, as `(system index, condition words)`. A name of a medical field
/// ("neurology", "orthopaedics") or a treatment ("immunotherapy") is not a condition.
fn clause_conditions(
    sentence: &Sentence,
    lower: &str,
    clause_start: usize,
    clause_end: usize,
) -> Vec<(usize, String)> {
    let clause = &lower[clause_start..clause_end];
    let mut found = Vec::new();
    for (system, (_, keywords)) in BODY_SYSTEMS.iter().enumerate() {
        for keyword in *keywords {
            let Some((start, end)) = keyword_at(clause, keyword) else {
                continue;
            };
            let (start, end) = (start + clause_start, end + clause_start);
            let word_end = lower[end..]
                .find(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
                .map_or(lower.len(), |n| end + n);
            let word = &sentence.text[start..word_end];
            let field = [
                "ology",
                "ologist",
                "ologists",
                "ics",
                "ogy",
                "therapy",
                "therapies",
            ]
            .iter()
            .any(|suffix| word.to_lowercase().ends_with(suffix));
            if !field && sentence.asserts_at(start) {
                found.push((system, word.to_owned()));
                break;
            }
        }
    }
    found
}

/// `SAME_CELLS_MANY_CONDITIONS`: structured indications plus conditions named in the texts.
pub(super) fn many_conditions_evidence(
    cell_therapy: &Regex,
    indications: &[String],
    texts: &[AnalysedText],
) -> Option<String> {
    // First condition of each system, indexed like BODY_SYSTEMS.
    let mut first: Vec<Option<String>> = vec![None; BODY_SYSTEMS.len()];
    for indication in indications {
        if let Some(slot) = body_system(indication).and_then(|i| first.get_mut(i)) {
            slot.get_or_insert_with(|| indication.trim().to_owned());
        }
    }
    for (system, words) in text_conditions(cell_therapy, texts) {
        if let Some(slot) = first.get_mut(system) {
            slot.get_or_insert(words);
        }
    }
    let spanned: Vec<String> = BODY_SYSTEMS
        .iter()
        .zip(&first)
        .filter_map(|((system, _), ind)| ind.as_ref().map(|ind| format!("{system} ({ind})")))
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

pub(super) fn cell_source_evidence(package: &PackageFacts) -> Option<String> {
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

pub(super) fn hidden_cost_evidence(package: &PackageFacts) -> Option<String> {
    let mut reasons = Vec::new();
    if !package.exclusions_stated {
        reasons.push("Exclusions (what the price does not cover) are not stated");
    }
    if package.price_open_ended {
        reasons.push("Price is open-ended (\"from\" a minimum, with no maximum)");
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

pub(super) fn unlicensed_type_evidence(package: &PackageFacts) -> Option<String> {
    let cell_type = package.cell_type.as_deref()?.trim();
    let lower = cell_type.to_lowercase();
    let (_, class) = UNLICENSED_CLASSES.iter().find(|(k, _)| lower.contains(k))?;
    Some(format!(
        "Cell product type \"{cell_type}\" is {class}: a product class the FDA has not licensed for this use \
         (its 2021 consumer warning names SVF, cord blood, amniotic fluid, Wharton's jelly and exosomes)"
    ))
}

pub(super) fn accreditation_evidence(names: &[String]) -> Option<String> {
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

/// The four disclosure rules. `None` when the subject has no disclosures (not a listing) or the
/// listing discloses what the rule asks for; otherwise the detection's severity (which may be
/// below the rule's: "not stated" is informational) and its evidence.
pub(super) fn disclosure_evidence(
    code: &str,
    facts: &Facts,
    rule_severity: Severity,
) -> Option<(Severity, String)> {
    let disclosures = facts.disclosures.as_ref()?;
    let not_stated = |what: &str| Some((Severity::Info, format!("{what}: not stated")));
    match code {
        NO_PROTOCOL => match &disclosures.protocol {
            Disclosed::NotStated => not_stated("Written treatment protocol"),
            Disclosed::None => Some((
                rule_severity,
                "The listing states there is no written treatment protocol".into(),
            )),
            Disclosed::Given(_) => None,
        },
        NO_IRB_OR_REGULATOR => match &disclosures.ethics_approval {
            Disclosed::NotStated => not_stated("Ethics committee (IRB/ERB) or regulator approval reference"),
            Disclosed::None => Some((
                rule_severity,
                "The listing states there is no ethics committee (IRB/ERB) or regulator approval".into(),
            )),
            Disclosed::Given(_) => None,
        },
        DEPOSIT_BEFORE_CONSULT => match &disclosures.deposit {
            Disclosed::NotStated => not_stated("Deposit terms (when a deposit is due, how much is refunded)"),
            Disclosed::None => None,
            Disclosed::Given(terms) => deposit_evidence(terms).map(|e| (rule_severity, e)),
        },
        REVIEWS_ONLY_SELF_HOSTED => match &disclosures.reviews {
            Disclosed::NotStated => not_stated("Where the listing's reviews are hosted"),
            Disclosed::Given(ReviewHosting::SelfHostedOnly) => Some((
                rule_severity.min(Severity::Info),
                "Only testimonials the clinic publishes itself; no reviews on an independent platform with \
                 verified bookings"
                    .into(),
            )),
            Disclosed::None | Disclosed::Given(_) => None,
        },
        _ => None,
    }
}

fn deposit_evidence(terms: &DepositTerms) -> Option<String> {
    if terms.due != DepositTiming::BeforeMedicalReview {
        return None;
    }
    match terms.refund_pct {
        Some(pct) if pct >= 100 => None,
        Some(pct) => Some(format!(
            "A deposit is due before a doctor has reviewed the patient's records, and only {pct}% of it is \
             refunded on withdrawal"
        )),
        None => Some(
            "A deposit is due before a doctor has reviewed the patient's records, and its refund is not stated"
                .into(),
        ),
    }
}

/// `NO_NAMED_DOCTOR` fires unless at least one doctor's licence is confirmed by a current
/// verification record: a clinic that names nobody, and one whose named doctors are only claimed
/// by the clinic, both leave the patient without a physician they can check.
pub(super) fn named_doctor_evidence(facts: PractitionerFacts) -> Option<String> {
    match (facts.named, facts.verified_doctor_licences) {
        (_, 1..) => None,
        (0, _) => Some("The clinic names no practitioner".to_owned()),
        (n, _) => Some(format!(
            "The clinic names {n} practitioner(s), but no doctor's licence is verified against its issuing body: \
             the names and licences are claimed by the clinic"
        )),
    }
}
