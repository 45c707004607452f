//! Unit tests of the certainty rule (`grading.rs`), on constructed study sets and on the seeds.

use super::*;

fn study(design: Design, participants: i32, control: bool) -> StudyFacts {
    StudyFacts {
        design,
        primary_source: true,
        participants: Some(participants),
        has_control_group: Some(control),
        follow_up_months: Some(24),
        outcome_measures: vec![
            "Oswestry Disability Index (ODI)".to_owned(),
            "VAS (pain)".to_owned(),
        ],
    }
}

#[test]
fn no_study_is_none_with_its_badge() {
    let grade = grade(&[]);
    assert_eq!(grade.certainty, Certainty::None);
    assert_eq!(grade.certainty.badge(), "No studies found");
    assert!(grade.reasons.is_empty());
}

#[test]
fn randomised_trials_grade_higher_than_case_series() {
    let rcts = grade(&[
        study(Design::RandomisedControlledTrial, 300, true),
        study(Design::RandomisedControlledTrial, 250, true),
    ]);
    let series = grade(&[
        study(Design::CaseSeries, 300, false),
        study(Design::CaseSeries, 250, false),
    ]);
    assert_eq!(rcts.certainty, Certainty::High);
    assert_eq!(rcts.certainty.badge(), "Strong evidence");
    assert!(rcts.certainty > series.certainty);
    let small_rct = grade(&[study(Design::RandomisedControlledTrial, 60, true)]);
    assert_eq!(
        small_rct.certainty,
        Certainty::Moderate,
        "imprecision lowers one level"
    );
    assert!(small_rct
        .reasons
        .iter()
        .any(|r| r.domain == "imprecision" && r.downgrade == 1));
}

#[test]
fn uncontrolled_designs_are_capped_at_very_low() {
    for design in [Design::SingleArmTrial, Design::CaseSeries, Design::Registry] {
        let grade = grade(&[study(design, 5000, false), study(design, 4000, false)]);
        assert_eq!(grade.certainty, Certainty::VeryLow, "{design:?}");
        assert_eq!(grade.certainty.badge(), "Very uncertain / experimental");
        assert!(grade
            .reasons
            .iter()
            .any(|r| r.domain == "risk_of_bias" && r.downgrade == 1));
    }
}

#[test]
fn reviews_news_and_opinion_do_not_raise_certainty() {
    let base = vec![study(Design::CaseSeries, 26, false)];
    let without = grade(&base);
    for extra in [
        Design::SystematicReview,
        Design::NarrativeReview,
        Design::NewsReport,
        Design::ExpertOpinion,
        Design::Unknown,
    ] {
        let mut with = base.clone();
        with.push(study(extra, 10_000, true));
        assert_eq!(grade(&with).certainty, without.certainty, "{extra:?}");
    }
    let mut paraphrased_rct = study(Design::RandomisedControlledTrial, 500, true);
    paraphrased_rct.primary_source = false;
    assert_eq!(grade(&[paraphrased_rct]).certainty, Certainty::VeryLow);
    let reviews_only = grade(&[study(Design::SystematicReview, 1000, true)]);
    assert_eq!(reviews_only.certainty, Certainty::VeryLow);
}

#[test]
fn observational_controlled_studies_start_low() {
    let grade = grade(&[study(Design::Cohort, 400, true), study(Design::Cohort, 300, true)]);
    assert_eq!(grade.certainty, Certainty::Low);
    assert_eq!(grade.certainty.badge(), "Limited evidence");
}

#[test]
fn counts_sum_known_participants() {
    let mut unknown = study(Design::Unknown, 0, false);
    unknown.participants = None;
    let grade = grade(&[study(Design::Registry, 33, false), unknown]);
    assert_eq!(grade.study_count, 2);
    assert_eq!(grade.participants_known, 33);
}

#[test]
fn every_seeded_summary_grades_as_its_expected_certainty() {
    let studies: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../seeds/evidence/studies.json")).expect("studies.json");
    let summaries: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../seeds/evidence/evidence_summaries.json"))
            .expect("evidence_summaries.json");
    let facts = |slug: &str| -> StudyFacts {
        let s = studies
            .iter()
            .find(|s| s["slug"] == slug)
            .expect("cited study exists");
        StudyFacts {
            design: Design::parse(s["design"].as_str().expect("design")),
            primary_source: s["reported_via"] == "primary_source",
            participants: s["participants"].as_i64().map(|n| n as i32),
            has_control_group: s["has_control_group"].as_bool(),
            follow_up_months: s["follow_up_months"].as_i64().map(|n| n as i32),
            outcome_measures: s["outcome_measures"]
                .as_array()
                .expect("outcome_measures")
                .iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect(),
        }
    };
    assert_eq!(summaries.len(), 10);
    for summary in &summaries {
        let cited: Vec<StudyFacts> = summary["study_slugs"]
            .as_array()
            .expect("study_slugs")
            .iter()
            .map(|s| facts(s.as_str().expect("slug")))
            .collect();
        assert_eq!(
            grade(&cited).certainty.as_str(),
            summary["expected_certainty"],
            "{}",
            summary["slug"]
        );
    }
}
