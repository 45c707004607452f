//! The engine on the issue's examples and on the labelled corpus
//! (`tests/data/red_flag_corpus.tsv`), measured without HTTP for fast feedback; the same measure
//! runs over HTTP in `tests/api/red_flag_corpus.rs`.

use super::tests::{book, find, texts};
use super::*;

/// Codes of the warn and critical detections of one text.
fn flagged(text: &'static str) -> Vec<String> {
    evaluate(&book(), &texts(&[text]))
        .into_iter()
        .filter(|d| d.severity >= Severity::Warn)
        .map(|d| d.code)
        .collect()
}

#[test]
fn the_issues_missed_claims_are_caught() {
    for (text, code) in [
        ("Our treatment is approved by the FDA.", "FALSE_APPROVAL_CLAIM"),
        ("Approved by COFEPRIS.", "FALSE_APPROVAL_CLAIM"),
        ("Walk out of our clinic pain-free.", "GUARANTEED_OUTCOME"),
        (
            "9 out of 10 patients feel better within weeks.",
            "GUARANTEED_OUTCOME",
        ),
        (
            "9 out of 10 patients feel better within weeks.",
            "OUTCOME_CLAIM_UNSOURCED",
        ),
        ("Our method is clinically proven.", "GUARANTEED_OUTCOME"),
        ("Our cells repair damaged discs.", "REGENERATE_AVOID_SURGERY"),
        ("Zero risk of rejection.", "NO_RISK_CLAIM"),
        ("7 of 9 patients reported less pain.", "OUTCOME_CLAIM_UNSOURCED"),
        ("A 99,5 % success rate.", "GUARANTEED_OUTCOME"),
        ("Nine out of ten patients are satisfied.", "GUARANTEED_OUTCOME"),
    ] {
        assert!(
            flagged(text).iter().any(|c| c == code),
            "{text}: {code} in {:?}",
            flagged(text)
        );
    }
    let d = evaluate(&book(), &texts(&["A 99,5 % success rate."]));
    assert_eq!(
        find(&d, "GUARANTEED_OUTCOME").map(|f| f.severity),
        Some(Severity::Critical)
    );
}

#[test]
fn the_issues_honest_sentences_raise_nothing() {
    for text in [
        "Your deposit is 100% refundable.",
        "98% of cell batches pass sterility testing.",
        "No treatment is completely safe.",
        "Studies have not shown that cells regenerate discs.",
        "We answer 95% of messages within a day.",
        "Be wary of any clinic that promises a cure.",
        "Ask whether the clinic guarantees results.",
        "This treatment is not FDA approved.",
        "In a 2019 trial, 40% of patients reported less pain (PMID: 12345678).",
    ] {
        assert_eq!(flagged(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn exceptions_silence_a_rule_in_their_sentence_only() {
    assert!(flagged("Your quoted price is guaranteed for 30 days.").is_empty());
    let d = flagged("Your quoted price is guaranteed for 30 days. Results are guaranteed.");
    assert_eq!(d, ["GUARANTEED_OUTCOME"]);
}

#[test]
fn figures_need_an_outcome_and_no_logistics() {
    assert!(flagged("About 60% of our patients come from abroad.").is_empty());
    assert!(flagged("Save 20% off the consultation fee.")
        .iter()
        .all(|c| c != "OUTCOME_CLAIM_UNSOURCED"));
    assert_eq!(
        flagged("Around 70% of patients report improvement."),
        ["OUTCOME_CLAIM_UNSOURCED"]
    );
    assert!(
        flagged("Four in five patients walk without pain after treatment.")
            .contains(&"OUTCOME_CLAIM_UNSOURCED".to_owned())
    );
}

/// The rules the corpus must cover: every text rule, and `SAME_CELLS_MANY_CONDITIONS` in text.
pub(super) const CORPUS_RULES: [&str; 10] = [
    "TESTIMONIAL_AS_EVIDENCE",
    "NO_RISK_CLAIM",
    "GUARANTEED_OUTCOME",
    "FALSE_APPROVAL_CLAIM",
    "REGENERATE_AVOID_SURGERY",
    "CELEBRITY_OR_ATHLETE",
    "URGENCY_PRESSURE",
    "OUTCOME_CLAIM_UNSOURCED",
    "SAME_CELLS_MANY_CONDITIONS",
    "MSC_TRANSDIFFERENTIATION_CLAIM",
];

/// One labelled corpus line: the sentence and the codes it must raise (empty = honest).
pub(super) struct CorpusLine {
    pub sentence: String,
    pub codes: Vec<String>,
}

/// Parses `tests/data/red_flag_corpus.tsv`: `sentence<TAB>codes<TAB>comment`, codes separated by
/// commas; comment lines (starting with `# `) and blank lines are skipped.
pub(super) fn corpus() -> Vec<CorpusLine> {
    include_str!("../../tests/data/red_flag_corpus.tsv")
        .lines()
        .filter(|l| !(l.trim().is_empty() || l.starts_with("# ") || l.trim() == "#"))
        .map(|line| {
            let mut columns = line.split('\t');
            let sentence = columns.next().unwrap_or_default().trim().to_owned();
            let codes = columns
                .next()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            CorpusLine { sentence, codes }
        })
        .collect()
}

/// The same measure as the HTTP corpus test, on the engine alone (fast feedback): recall per rule
/// over the sentences labelled with it, false positives over the honest sentences.
#[test]
fn corpus_recall_and_false_positives() {
    let book = book();
    let lines = corpus();
    assert!(lines.len() >= 300, "{} lines", lines.len());
    let mut failures = Vec::new();
    let (mut flagged_total, mut flagged_caught, mut honest_total, mut honest_fp) = (0, 0, 0, 0);
    let mut per_rule: std::collections::BTreeMap<String, (usize, usize, usize)> = Default::default();
    for line in &lines {
        let subject = Subject {
            texts: vec![("/text".into(), line.sentence.as_str())],
            facts: Facts::default(),
        };
        let raised: Vec<Detection> = evaluate(&book, &subject);
        let counted =
            |d: &Detection| d.severity >= Severity::Warn || d.code == "MSC_TRANSDIFFERENTIATION_CLAIM";
        let codes: Vec<&str> = raised
            .iter()
            .filter(|d| counted(d))
            .map(|d| d.code.as_str())
            .collect();
        if line.codes.is_empty() {
            honest_total += 1;
            let warn: Vec<&str> = raised
                .iter()
                .filter(|d| d.severity >= Severity::Warn)
                .map(|d| d.code.as_str())
                .collect();
            if !warn.is_empty() {
                honest_fp += 1;
            }
            for code in &codes {
                per_rule.entry((*code).to_owned()).or_default().2 += 1;
            }
            if !codes.is_empty() {
                failures.push(format!("FP {codes:?}: {}", line.sentence));
            }
        } else {
            flagged_total += 1;
            let mut all = true;
            for code in &line.codes {
                let entry = per_rule.entry(code.clone()).or_default();
                entry.0 += 1;
                if codes.contains(&code.as_str()) {
                    entry.1 += 1;
                } else {
                    all = false;
                    failures.push(format!("FN {code} (got {codes:?}): {}", line.sentence));
                }
            }
            if all {
                flagged_caught += 1;
            }
        }
    }
    let recall = flagged_caught as f64 / flagged_total.max(1) as f64;
    let fp_rate = honest_fp as f64 / honest_total.max(1) as f64;
    let mut report = format!(
        "overall: {flagged_caught}/{flagged_total} flagged caught ({:.1} %), {honest_fp}/{honest_total} honest \
         flagged ({:.1} %)\n",
        100.0 * recall,
        100.0 * fp_rate
    );
    let mut ok = recall >= 0.9 && fp_rate <= 0.05 && flagged_total >= 150 && honest_total >= 150;
    for (code, (labelled, caught, fp)) in &per_rule {
        let rule_recall = *caught as f64 / (*labelled).max(1) as f64;
        let rule_fp = *fp as f64 / honest_total.max(1) as f64;
        report.push_str(&format!(
            "{code}: {caught}/{labelled} caught, {fp} false positives\n"
        ));
        if *labelled >= 5 && rule_recall < 0.9 || rule_fp > 0.05 {
            ok = false;
        }
    }
    for code in CORPUS_RULES {
        if per_rule.get(code).is_none_or(|r| r.0 < 5) {
            report.push_str(&format!("{code}: fewer than 5 labelled sentences\n"));
            ok = false;
        }
    }
    assert!(ok, "{report}{}", failures.join("\n"));
    if std::env::var_os("RED_FLAG_CORPUS_VERBOSE").is_some() {
        println!("{report}{}", failures.join("\n"));
    }
}
