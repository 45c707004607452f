//! Unit tests of the structured rules.

use super::structured::{body_system, BODY_SYSTEMS};
use super::tests::{book, codes, find, texts, with_facts};
use super::*;

/// The FDA consumer page of June 2021 (`seeds/evidence/README.md`).
const FDA_2021: &str = "https://www.fda.gov/vaccines-blood-biologics/consumers-biologics/\
important-patient-and-consumer-information-about-regenerative-medicine-therapies";

#[test]
fn same_cells_many_conditions_threshold() {
    let book = book();
    let facts = |inds: &[&str]| Facts {
        stem_cell_indications: inds.iter().map(|s| s.to_string()).collect(),
        ..Facts::default()
    };
    // The reference's threshold: three unrelated body systems, not two.
    let two = evaluate(&book, &with_facts(facts(&["back pain", "autism"])));
    assert!(find(&two, "SAME_CELLS_MANY_CONDITIONS").is_none(), "{two:?}");
    let hit = evaluate(&book, &with_facts(facts(&["back pain", "autism", "COPD"])));
    let d = find(&hit, "SAME_CELLS_MANY_CONDITIONS").expect("fires");
    assert_eq!(d.severity, Severity::Critical);
    assert_eq!(
        d.evidence_text,
        "Stem cells offered for conditions in 3 unrelated body systems: musculoskeletal (back pain), \
         neurodevelopmental (autism), respiratory (COPD)"
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
            rule_version: 2,
            severity: Severity::Info,
            evidence_text: NOT_APPROVED_EVIDENCE.into(),
            source_url: Some(FDA_2021.into()),
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
fn conditions_named_in_text_next_to_stem_cells_count() {
    let book = book();
    let subject =
        texts(&["Our stem cell therapy helps with back pain, autism, Parkinson's disease and COPD."]);
    let d = evaluate(&book, &subject);
    let flag = find(&d, "SAME_CELLS_MANY_CONDITIONS").expect("fires from text");
    assert!(
        flag.evidence_text.contains("4 unrelated body systems"),
        "{}",
        flag.evidence_text
    );
    assert!(flag.evidence_text.contains("autism") && flag.evidence_text.contains("COPD"));
    // Text and structured indications add up.
    let mut both = texts(&["We treat autism and heart failure with mesenchymal stem cells."]);
    both.facts.stem_cell_indications = vec!["back pain".into()];
    assert!(find(&evaluate(&book, &both), "SAME_CELLS_MANY_CONDITIONS").is_some());
    // A hospital's specialties, with no stem cell product in the sentence, are not indications.
    for honest in [
        "Its doctors specialize in cancer, neurological and cardiovascular treatment.",
        "The clinic works in immunology, neurology, cardiology and stem cell therapy.",
        "We do not use stem cells for autism, multiple sclerosis or heart disease.",
        "Be wary of clinics offering stem cells for autism, COPD and back pain alike.",
    ] {
        let d = evaluate(&book, &texts(&[honest]));
        assert!(
            find(&d, "SAME_CELLS_MANY_CONDITIONS").is_none(),
            "{honest}: {d:?}"
        );
    }
}

#[test]
fn unlicensed_product_classes_include_the_catalogues_slugs() {
    let book = book();
    let package = |cell_type: &str| {
        with_facts(Facts {
            package: Some(PackageFacts {
                authored_by_clinic: true,
                cell_type: Some(cell_type.into()),
                cell_source: Some("allogeneic".into()),
                exclusions_stated: true,
                price_open_ended: false,
            }),
            ..Facts::default()
        })
    };
    for (cell_type, class) in [
        ("uc-msc", "umbilical cord blood"),
        ("Exosomes", "exosomes"),
        ("secretome", "secretome"),
        ("placental MSCs", "placental"),
        ("cord tissue MSC", "Wharton's jelly"),
        ("Amniotic fluid", "amniotic"),
        ("SVF", "SVF"),
    ] {
        let d = evaluate(&book, &package(cell_type));
        let flag = find(&d, "UNLICENSED_PRODUCT_TYPE").unwrap_or_else(|| panic!("{cell_type}: {d:?}"));
        assert!(
            flag.evidence_text.contains(class),
            "{cell_type}: {}",
            flag.evidence_text
        );
        assert_eq!(flag.severity, Severity::Info);
        assert_eq!(flag.source_url.as_deref(), Some(FDA_2021));
    }
    for licensed_context in ["bm-msc", "ad-msc"] {
        assert!(find(
            &evaluate(&book, &package(licensed_context)),
            "UNLICENSED_PRODUCT_TYPE"
        )
        .is_none());
    }
}

fn disclosed(disclosures: Disclosures) -> Vec<(String, Severity, String)> {
    evaluate(
        &book(),
        &with_facts(Facts {
            disclosures: Some(disclosures),
            ..Facts::default()
        }),
    )
    .into_iter()
    .map(|d| (d.code, d.severity, d.evidence_text))
    .collect()
}

#[test]
fn disclosure_rules_apply_only_to_listings() {
    assert!(evaluate(&book(), &with_facts(Facts::default())).is_empty());
}

#[test]
fn not_stated_disclosures_are_informational() {
    let d = disclosed(Disclosures::default());
    let expected = [
        "DEPOSIT_BEFORE_CONSULT",
        "NO_IRB_OR_REGULATOR",
        "NO_PROTOCOL",
        "REVIEWS_ONLY_SELF_HOSTED",
    ];
    assert_eq!(d.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), expected);
    for (code, severity, evidence) in &d {
        assert_eq!(*severity, Severity::Info, "{code}");
        assert!(evidence.ends_with("not stated"), "{code}: {evidence}");
    }
}

#[test]
fn stated_absences_warn_and_given_facts_clear_the_flags() {
    let none = disclosed(Disclosures {
        protocol: Disclosed::None,
        ethics_approval: Disclosed::None,
        deposit: Disclosed::None,
        reviews: Disclosed::None,
    });
    let summary: Vec<(&str, Severity)> = none.iter().map(|x| (x.0.as_str(), x.1)).collect();
    assert_eq!(
        summary,
        [
            ("NO_IRB_OR_REGULATOR", Severity::Warn),
            ("NO_PROTOCOL", Severity::Warn)
        ]
    );
    let given = disclosed(Disclosures {
        protocol: Disclosed::Given("https://example.org/protocol.pdf".into()),
        ethics_approval: Disclosed::Given("IRB 2024-17".into()),
        deposit: Disclosed::Given(DepositTerms {
            due: DepositTiming::AfterMedicalReview,
            refund_pct: Some(0),
        }),
        reviews: Disclosed::Given(ReviewHosting::Independent),
    });
    assert!(given.is_empty(), "{given:?}");
}

#[test]
fn deposit_before_review_warns_unless_fully_refundable() {
    let deposit = |refund_pct| {
        disclosed(Disclosures {
            protocol: Disclosed::Given("p".into()),
            ethics_approval: Disclosed::Given("e".into()),
            deposit: Disclosed::Given(DepositTerms {
                due: DepositTiming::BeforeMedicalReview,
                refund_pct,
            }),
            reviews: Disclosed::Given(ReviewHosting::SelfHostedOnly),
        })
    };
    let partial = deposit(Some(50));
    assert_eq!(partial[0].0, "DEPOSIT_BEFORE_CONSULT");
    assert_eq!(partial[0].1, Severity::Warn);
    assert!(partial[0].2.contains("only 50%"), "{}", partial[0].2);
    assert_eq!(partial[1].0, "REVIEWS_ONLY_SELF_HOSTED");
    assert_eq!(partial[1].1, Severity::Info);
    assert_eq!(deposit(None)[0].1, Severity::Warn);
    let full = deposit(Some(100));
    assert!(full.iter().all(|x| x.0 != "DEPOSIT_BEFORE_CONSULT"), "{full:?}");
}

#[test]
fn no_named_doctor_needs_a_verified_doctor_licence() {
    let with = |named, verified_doctor_licences| {
        evaluate(
            &book(),
            &with_facts(Facts {
                practitioners: Some(PractitionerFacts {
                    named,
                    verified_doctor_licences,
                }),
                ..Facts::default()
            }),
        )
    };
    let nobody = with(0, 0);
    let flag = find(&nobody, "NO_NAMED_DOCTOR").expect("no practitioner named");
    assert_eq!(flag.severity, Severity::Warn);
    assert!(flag.evidence_text.contains("names no practitioner"));
    let claimed = with(2, 0);
    let flag = find(&claimed, "NO_NAMED_DOCTOR").expect("named but unverified");
    assert!(
        flag.evidence_text.contains("claimed by the clinic"),
        "{}",
        flag.evidence_text
    );
    assert!(find(&with(2, 1), "NO_NAMED_DOCTOR").is_none());
    assert!(
        find(
            &evaluate(&book(), &with_facts(Facts::default())),
            "NO_NAMED_DOCTOR"
        )
        .is_none(),
        "not a clinic: the rule does not apply"
    );
}
