//! Unit tests of the engine: seed rules, text rules, scope, figures, evidence and order. The
//! structured rules are tested in `tests_structured.rs`; the labelled corpus in
//! `tests/data/red_flag_corpus.tsv` is measured here (pure) and over HTTP in
//! `tests/api/red_flag_corpus.rs`.

use super::text::{sentence_bounds, MAX_EVIDENCE_CHARS};
use super::*;

// Seed rules, relative to src/red_flags/engine/tests.rs.
pub(super) fn rules_json() -> String {
    include_str!("../../../seeds/catalogue/red_flag_rules.json").to_owned()
}

// Seed clinics, relative to src/red_flags/engine/tests.rs.
pub(super) fn clinics_json() -> String {
    include_str!("../../../seeds/catalogue/clinics.json").to_owned()
}

pub(super) fn seed_rules() -> Vec<Rule> {
    serde_json::from_str(&rules_json()).expect("rules seed deserializes into Vec<Rule>")
}

pub(super) fn book() -> RuleBook {
    RuleBook::compile(seed_rules()).expect("seed rules compile")
}

pub(super) fn texts(texts: &[&'static str]) -> Subject<'static> {
    Subject {
        texts: texts
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("/claims/{i}/text"), *t))
            .collect(),
        facts: Facts::default(),
    }
}

pub(super) fn with_facts(facts: Facts) -> Subject<'static> {
    Subject {
        texts: Vec::new(),
        facts,
    }
}

pub(super) fn codes(detections: &[Detection]) -> Vec<&str> {
    detections.iter().map(|d| d.code.as_str()).collect()
}

pub(super) fn find<'d>(detections: &'d [Detection], code: &str) -> Option<&'d Detection> {
    detections.iter().find(|d| d.code == code)
}

#[test]
fn all_seed_rules_compile() {
    let rules = seed_rules();
    assert_eq!(rules.len(), 21);
    let book = RuleBook::compile(rules).expect("compile");
    for (rule, compiled) in book.rules().iter().zip(&book.patterns) {
        assert_eq!(
            rule.patterns.len(),
            compiled.triggers.len() + compiled.exceptions.len(),
            "{}",
            rule.code
        );
        if rule.detection == DetectionKind::Text && rule.code != OUTCOME_CLAIM_UNSOURCED {
            assert!(
                !compiled.triggers.is_empty(),
                "text rule {} has no patterns",
                rule.code
            );
        }
        assert!(rule.source_url.is_some(), "{} has a source_url", rule.code);
    }
}

#[test]
fn evaluated_status_matches_seed() {
    let not_evaluated = ["PAY_TO_PARTICIPATE", "NO_NAMED_DOCTOR"];
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
    assert_eq!(guarantee.rule_version, 2);
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
            stem_cell_indications: vec!["back pain".into(), "COPD".into(), "autism".into()],
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
    let text = "Welcome to the clinic.  We are the best!Really? Yes. e.g.x\n  Patients say it works  \nBye";
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
/// commas; lines starting with `#` and blank lines are skipped.
pub(super) fn corpus() -> Vec<CorpusLine> {
    include_str!("../../../tests/data/red_flag_corpus.tsv")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
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
