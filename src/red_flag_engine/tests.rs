//! Unit tests of the engine: seed rules, text rules, scope, figures, evidence and order. The
//! structured rules are tested in `tests_structured.rs`; the labelled corpus in
//! `tests/data/red_flag_corpus.tsv` is measured here (pure) and over HTTP in
//! `tests/api/red_flag_corpus.rs`.

use super::text::{sentence_bounds, MAX_EVIDENCE_CHARS};
use super::*;

// Seed rules, relative to src/red_flags/engine/tests.rs.
pub(super) fn rules_json() -> String {
    include_str!("../../seeds/catalogue/red_flag_rules.json").to_owned()
}

// Seed clinics, relative to src/red_flags/engine/tests.rs.
pub(super) fn clinics_json() -> String {
    include_str!("../../seeds/catalogue/clinics.json").to_owned()
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
    assert_eq!(rules.len(), 26);
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
    // The REGISTRY_* rules and PAY_TO_PARTICIPATE are evaluated from ClinicalTrials.gov records by
    // `trial_registry`, not by the engine.
    let not_evaluated = [
        "PAY_TO_PARTICIPATE",
        "REGISTRY_STUDY_NOT_FOUND",
        "REGISTRY_STUDY_NOT_AT_CLINIC",
        "REGISTRY_NOT_RECRUITING",
        "REGISTRY_RESULTS_OVERDUE",
        "REGISTRY_CHECK_PENDING",
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
    assert_eq!(guarantee.rule_version, 3);
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
            practitioners: None,
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

#[test]
fn a_rhetorical_question_and_its_short_answer_are_one_claim() {
    let book = book();
    let flagged = |text: &'static str| -> Vec<String> {
        evaluate(&book, &texts(&[text]))
            .into_iter()
            .filter(|d| d.severity >= Severity::Warn)
            .map(|d| d.code)
            .collect()
    };
    // A denial of a harm, and a confirmation of an outcome, are claims; the evidence quotes both.
    let detections = evaluate(
        &book,
        &texts(&["Fast recovery. Side effects? None. Book a call."]),
    );
    let no_risk = find(&detections, "NO_RISK_CLAIM").expect("NO_RISK_CLAIM");
    assert_eq!(no_risk.evidence_text, "Side effects? None.");
    assert_eq!(flagged("Risk of rejection? Zero."), ["NO_RISK_CLAIM"]);
    assert_eq!(flagged("Back pain? Gone."), ["GUARANTEED_OUTCOME"]);
    // A denied benefit stays under the denial's scope; a real question or a long answer is not
    // restated; an answer that neither denies nor confirms restates nothing.
    for honest in [
        "Miracle cure? No.",
        "Guaranteed results? Not from any honest clinic.",
        "Is it completely safe? No.",
        "Side effects? Yes, soreness for a few days is common.",
        "Side effects? Ask your doctor.",
        "A cure? Nobody can promise that.",
    ] {
        assert!(flagged(honest).is_empty(), "{honest}: {:?}", flagged(honest));
    }
}
