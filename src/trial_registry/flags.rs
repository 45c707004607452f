//! Registry flags: what the NCT citations of a listing or an offer look like against the
//! registry's records. Pure (no database, no clock: `today` is passed in), so each rule is
//! unit-tested below. One core ([`check_citation`]) checks one citation for both.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{Months, NaiveDate};
use regex::Regex;
use uuid::Uuid;

use super::domain::{cited_ids, country_code, RegistryRecord, StudyRecord, TAKING_PARTICIPANTS};

pub use crate::red_flags::registry::{
    CHECK_PENDING, NOT_RECRUITING, PAY_TO_PARTICIPATE, REGISTRY_CODES, RESULTS_OVERDUE, STUDY_NOT_AT_CLINIC,
    STUDY_NOT_FOUND,
};

/// What the rules need to know about a clinic's listing.
#[derive(Debug, Clone, Default)]
pub struct ListingFacts {
    pub clinic_id: Uuid,
    pub clinic_name: String,
    /// ISO 3166 alpha-2.
    pub country_code: String,
    /// The clinic's description and claims.
    pub clinic_texts: Vec<String>,
    pub packages: Vec<PackageFacts>,
}

/// A package of the listing.
#[derive(Debug, Clone, Default)]
pub struct PackageFacts {
    pub id: Uuid,
    pub title: String,
    /// Published with a price above zero.
    pub charges: bool,
}

/// A stored registry answer for one NCT id.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub record: RegistryRecord,
    pub study: StudyRecord,
    pub fetched_on: NaiveDate,
}

/// One registry flag on one subject (the clinic or a package), about one NCT id.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryFlag {
    pub subject_id: Uuid,
    pub code: &'static str,
    pub nct_id: String,
    pub evidence: String,
}

static SAYS_RECRUITING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(now recruiting|recruiting|we recruit|enrolling|now enrolling|accepting (new )?(patients|participants|volunteers)|join (our|the|this) (clinical )?(study|trial)|take part in (our|the|this) (clinical )?(study|trial)|participate in (our|the|this) (clinical )?(study|trial)|enrol(l)? (in|into) (our|the|this) (clinical )?(study|trial))\b",
    )
    .expect("valid regex")
});
static NOT_RECRUITING_WORDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bnot (yet )?(recruiting|enrolling)\b").expect("valid regex"));

/// Whether a listing text says the listing takes participants now.
pub fn says_recruiting(texts: &[&str]) -> bool {
    texts
        .iter()
        .any(|t| SAYS_RECRUITING.is_match(t) && !NOT_RECRUITING_WORDS.is_match(t))
}

/// Words too common in clinic and sponsor names to show they are the same organisation.
const GENERIC_NAME_WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "for",
    "de",
    "la",
    "del",
    "stem",
    "cell",
    "cells",
    "clinic",
    "clinics",
    "clinica",
    "hospital",
    "center",
    "centre",
    "centro",
    "medical",
    "medicine",
    "institute",
    "instituto",
    "health",
    "healthcare",
    "international",
    "regenerative",
    "therapy",
    "therapies",
    "university",
    "research",
    "foundation",
    "group",
    "inc",
    "ltd",
    "llc",
    "sa",
    "cv",
    "gmbh",
    "co",
    "company",
    "corporation",
];

fn significant_words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() > 2 && !GENERIC_NAME_WORDS.contains(&w.as_str()))
        .collect()
}

/// Whether the lead sponsor looks like the clinic: a distinctive word of the clinic's name is a
/// word of the sponsor's name ("Mayo Clinic" and "Mayo Clinic Rochester").
pub fn sponsor_matches(clinic_name: &str, sponsor: &str) -> bool {
    let sponsor_words = significant_words(sponsor);
    significant_words(clinic_name)
        .iter()
        .any(|w| sponsor_words.contains(w))
}

/// The clinic a claim is made for: the listing's clinic, or the clinic making an offer.
#[derive(Debug, Clone, Copy)]
pub struct Claimant<'a> {
    pub clinic_name: &'a str,
    /// ISO 3166 alpha-2.
    pub country_code: &'a str,
}

/// One subject (a clinic's texts, a package, an offer) citing an NCT id, as the rules read it.
#[derive(Debug, Clone, Copy)]
pub struct Citer {
    pub subject_id: Uuid,
    /// How the evidence names the subject: `listing` or `offer`.
    pub noun: &'static str,
    /// Its text says it takes participants now ([`says_recruiting`]).
    pub recruits: bool,
    /// It charges patients for what cites the study (`PAY_TO_PARTICIPATE`).
    pub charges: bool,
}

/// The flags one citation raises: the core shared by listings ([`evaluate`]) and offers
/// ([`evaluate_offer`]). `snapshot` is the stored registry answer (`None`: not yet checked);
/// `today` is `None` when the caller has no clock, and then `RESULTS_OVERDUE` is not evaluated.
pub fn check_citation(
    claimant: Claimant<'_>,
    citer: Citer,
    nct_id: &str,
    snapshot: Option<&Snapshot>,
    today: Option<NaiveDate>,
) -> Vec<RegistryFlag> {
    let noun = citer.noun;
    let mut flags = Vec::new();
    let mut flag = |code: &'static str, evidence: String| {
        flags.push(RegistryFlag {
            subject_id: citer.subject_id,
            code,
            nct_id: nct_id.to_owned(),
            evidence,
        })
    };
    // Paying to take part is a warning sign whatever the registry says about the study.
    if citer.charges {
        flag(
            PAY_TO_PARTICIPATE,
            format!("The {noun} cites the registered study {nct_id} and charges patients for its treatment."),
        );
    }
    let Some(snapshot) = snapshot else {
        flag(
            CHECK_PENDING,
            format!("{nct_id}: not yet checked against ClinicalTrials.gov."),
        );
        return flags;
    };
    let checked = snapshot.fetched_on;
    let study = &snapshot.study;
    match snapshot.record {
        RegistryRecord::NotFound => {
            flag(
                STUDY_NOT_FOUND,
                format!("{nct_id} does not exist in ClinicalTrials.gov (checked {checked})."),
            );
            return flags;
        }
        RegistryRecord::Found => {}
    }
    let sponsor = study.lead_sponsor.as_deref().unwrap_or_default();
    let at_clinic_sponsor = sponsor_matches(claimant.clinic_name, sponsor);
    let in_clinic_country = study
        .location_countries
        .iter()
        .any(|c| country_code(c).is_some_and(|code| code.eq_ignore_ascii_case(claimant.country_code)));
    if !at_clinic_sponsor && !in_clinic_country {
        let places = if study.location_countries.is_empty() {
            "no locations listed".to_owned()
        } else {
            format!("locations in {}", study.location_countries.join(", "))
        };
        flag(
            STUDY_NOT_AT_CLINIC,
            format!(
                "{nct_id} is registered by {} with {places}, not this clinic (checked {checked}).",
                if sponsor.is_empty() {
                    "an unnamed sponsor"
                } else {
                    sponsor
                }
            ),
        );
    }
    let status = study.overall_status.as_deref().unwrap_or("UNKNOWN");
    if citer.recruits && !TAKING_PARTICIPANTS.contains(&status) {
        flag(
            NOT_RECRUITING,
            format!("The {noun} says it recruits, but {nct_id} has status {status} in ClinicalTrials.gov (checked {checked})."),
        );
    }
    if let (Some(today), Some(completed)) = (today, study.completion_day()) {
        let a_year_after = completed.checked_add_months(Months::new(12)).unwrap_or(completed);
        if status == "COMPLETED" && study.results_posted == Some(false) && a_year_after < today {
            flag(
                RESULTS_OVERDUE,
                format!("{nct_id} was completed in {} and has no results posted in ClinicalTrials.gov (checked {checked}).",
                    study.completion_date.as_deref().unwrap_or_default()),
            );
        }
    }
    flags
}

/// The flags of one clinic's listing. `citations` are `(subject id, NCT id)` pairs where the
/// subject is the clinic or one of its packages; `today` is `None` when the caller has no clock,
/// and then `RESULTS_OVERDUE` is not evaluated (the caller keeps what is stored).
pub fn evaluate(
    listing: &ListingFacts,
    citations: &[(Uuid, String)],
    snapshots: &HashMap<String, Snapshot>,
    today: Option<NaiveDate>,
) -> Vec<RegistryFlag> {
    let claimant = Claimant {
        clinic_name: &listing.clinic_name,
        country_code: &listing.country_code,
    };
    let clinic_texts: Vec<&str> = listing.clinic_texts.iter().map(String::as_str).collect();
    let listing_charges = listing.packages.iter().any(|p| p.charges);
    let mut flags = Vec::new();
    for (subject_id, nct_id) in citations {
        let package = listing.packages.iter().find(|p| p.id == *subject_id);
        let recruits = match package {
            Some(p) => says_recruiting(&[p.title.as_str()]),
            None => says_recruiting(&clinic_texts),
        };
        let citer = Citer {
            subject_id: *subject_id,
            noun: "listing",
            recruits,
            // A priced package sells what its title cites; the clinic's own texts charge when
            // they recruit while the clinic sells priced packages.
            charges: match package {
                Some(p) => p.charges,
                None => recruits && listing_charges,
            },
        };
        flags.extend(check_citation(
            claimant,
            citer,
            nct_id,
            snapshots.get(nct_id),
            today,
        ));
    }
    flags
}

/// What the rules need to know about an offer.
#[derive(Debug, Clone, Default)]
pub struct OfferFacts {
    pub offer_id: Uuid,
    /// The offering clinic.
    pub clinic_name: String,
    /// The offering clinic's country, ISO 3166 alpha-2.
    pub country_code: String,
    /// Every free text of the offer.
    pub texts: Vec<String>,
    /// The offer's total is above zero.
    pub charges: bool,
}

/// The flags of one offer: every NCT id its texts cite, checked against the offering clinic. An
/// offer is a price for a treatment, so, as for a priced package, citing a registered study in a
/// priced offer is `PAY_TO_PARTICIPATE`.
pub fn evaluate_offer(
    offer: &OfferFacts,
    snapshots: &HashMap<String, Snapshot>,
    today: NaiveDate,
) -> Vec<RegistryFlag> {
    let texts: Vec<&str> = offer.texts.iter().map(String::as_str).collect();
    let claimant = Claimant {
        clinic_name: &offer.clinic_name,
        country_code: &offer.country_code,
    };
    let citer = Citer {
        subject_id: offer.offer_id,
        noun: "offer",
        recruits: says_recruiting(&texts),
        charges: offer.charges,
    };
    cited_ids(texts.iter().copied())
        .iter()
        .flat_map(|nct_id| check_citation(claimant, citer, nct_id, snapshots.get(nct_id), Some(today)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing() -> (ListingFacts, Uuid) {
        let package = Uuid::from_u128(2);
        let facts = ListingFacts {
            clinic_id: Uuid::from_u128(1),
            clinic_name: "Sunrise Stem Cell Clinic".into(),
            country_code: "MX".into(),
            clinic_texts: vec!["Join our trial NCT00000001, now recruiting.".into()],
            packages: vec![PackageFacts {
                id: package,
                title: "MSC injection".into(),
                charges: true,
            }],
        };
        (facts, package)
    }

    fn found(status: &str, sponsor: &str, countries: &[&str]) -> Snapshot {
        Snapshot {
            record: RegistryRecord::Found,
            study: StudyRecord {
                nct_id: "NCT00000001".into(),
                overall_status: Some(status.into()),
                lead_sponsor: Some(sponsor.into()),
                location_countries: countries.iter().map(|c| (*c).to_owned()).collect(),
                results_posted: Some(false),
                completion_date: Some("2024-01".into()),
                ..StudyRecord::default()
            },
            fetched_on: NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"),
        }
    }

    fn codes(flags: &[RegistryFlag]) -> Vec<&'static str> {
        flags.iter().map(|f| f.code).collect()
    }

    #[test]
    fn an_unchecked_citation_is_pending_and_paying_to_join_is_flagged_at_once() {
        let (facts, _) = listing();
        let citations = vec![(facts.clinic_id, "NCT00000001".to_owned())];
        let flags = evaluate(&facts, &citations, &HashMap::new(), None);
        assert_eq!(codes(&flags), [PAY_TO_PARTICIPATE, CHECK_PENDING]);
    }

    #[test]
    fn a_missing_study_is_only_not_found() {
        let (facts, package) = listing();
        let snapshots = HashMap::from([(
            "NCT00000001".to_owned(),
            Snapshot {
                record: RegistryRecord::NotFound,
                ..found("RECRUITING", "", &[])
            },
        )]);
        let flags = evaluate(&facts, &[(package, "NCT00000001".to_owned())], &snapshots, None);
        assert_eq!(codes(&flags), [PAY_TO_PARTICIPATE, STUDY_NOT_FOUND]);
    }

    #[test]
    fn a_study_elsewhere_not_recruiting_and_overdue_raises_each_rule() {
        let (facts, _) = listing();
        let snapshots = HashMap::from([(
            "NCT00000001".to_owned(),
            found("COMPLETED", "Allist Pharmaceuticals, Inc.", &["China"]),
        )]);
        let citations = vec![(facts.clinic_id, "NCT00000001".to_owned())];
        let today = NaiveDate::from_ymd_opt(2026, 12, 7);
        let flags = evaluate(&facts, &citations, &snapshots, today);
        assert_eq!(
            codes(&flags),
            [
                PAY_TO_PARTICIPATE,
                STUDY_NOT_AT_CLINIC,
                NOT_RECRUITING,
                RESULTS_OVERDUE
            ]
        );
        // Without a clock the time rule is left to the worker.
        let flags = evaluate(&facts, &citations, &snapshots, None);
        assert!(!codes(&flags).contains(&RESULTS_OVERDUE));
        // Completed ten months before today: not yet overdue.
        let early = NaiveDate::from_ymd_opt(2024, 11, 30);
        assert!(!codes(&evaluate(&facts, &citations, &snapshots, early)).contains(&RESULTS_OVERDUE));
    }

    #[test]
    fn the_clinic_sponsor_or_country_means_at_this_clinic() {
        let (facts, _) = listing();
        let citations = vec![(facts.clinic_id, "NCT00000001".to_owned())];
        for snapshot in [
            found("RECRUITING", "Sunrise Clinic S.A. de C.V.", &["United States"]),
            found("RECRUITING", "Someone Else", &["Mexico"]),
        ] {
            let snapshots = HashMap::from([("NCT00000001".to_owned(), snapshot)]);
            assert_eq!(
                codes(&evaluate(&facts, &citations, &snapshots, None)),
                [PAY_TO_PARTICIPATE]
            );
        }
        assert!(!sponsor_matches("Stem Cell Clinic", "Stem Cell Institute"));
    }

    fn offer(notes: &str, charges: bool) -> OfferFacts {
        OfferFacts {
            offer_id: Uuid::from_u128(9),
            clinic_name: "Sunrise Stem Cell Clinic".into(),
            country_code: "MX".into(),
            texts: vec![notes.to_owned()],
            charges,
        }
    }

    #[test]
    fn an_offer_is_checked_like_a_listing_against_the_offering_clinic() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        let cited = offer("Now recruiting for our study nct00000001.", true);
        let pending = evaluate_offer(&cited, &HashMap::new(), today);
        assert_eq!(codes(&pending), [PAY_TO_PARTICIPATE, CHECK_PENDING]);
        assert!(pending
            .iter()
            .all(|f| f.subject_id == cited.offer_id && f.nct_id == "NCT00000001"));
        assert!(pending[0].evidence.starts_with("The offer cites"));
        let snapshots = HashMap::from([(
            "NCT00000001".to_owned(),
            found("COMPLETED", "Allist Pharmaceuticals, Inc.", &["China"]),
        )]);
        assert_eq!(
            codes(&evaluate_offer(&cited, &snapshots, today)),
            [
                PAY_TO_PARTICIPATE,
                STUDY_NOT_AT_CLINIC,
                NOT_RECRUITING,
                RESULTS_OVERDUE
            ]
        );
        // Free of charge, run by the offering clinic, and no claim to recruit: nothing to flag.
        let snapshots = HashMap::from([(
            "NCT00000001".to_owned(),
            found("RECRUITING", "Sunrise Clinic", &["Mexico"]),
        )]);
        let free = offer("Results of NCT00000001 were published.", false);
        assert!(evaluate_offer(&free, &snapshots, today).is_empty());
        assert!(evaluate_offer(&offer("No study cited.", true), &snapshots, today).is_empty());
    }

    #[test]
    fn recruiting_words_outside_a_negation() {
        assert!(says_recruiting(&["Now enrolling patients in our trial."]));
        assert!(!says_recruiting(&["This study is not recruiting."]));
        assert!(!says_recruiting(&["Results of NCT00000001 were published."]));
    }
}
