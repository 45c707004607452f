//! What the red-flag endpoints need to know of ClinicalTrials.gov checks, kept below both them and
//! `trial_registry` (which evaluates the rules): the rule codes, the NCT id pattern, what the
//! registry answered, and a study's registry page.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

crate::text_enum! {
    /// What the registry answered for an NCT id (the `trial_registry_snapshots_record` CHECK).
    pub enum RegistryRecord {
        /// The registry returned the study.
        Found => "found",
        /// The registry answered 404: no study has this identifier.
        NotFound => "not_found",
    }
}

/// The study's page on the registry, the source of every registry flag and trial.
pub fn registry_url(nct_id: &str) -> String {
    format!("https://clinicaltrials.gov/study/{nct_id}")
}

static NCT_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bNCT(\d{8})\b").expect("valid regex"));

/// Every distinct NCT identifier in `texts` (`NCT` and eight digits, as the engine recognises
/// them), upper-cased and sorted.
pub fn cited_ids<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut ids = BTreeSet::new();
    for text in texts {
        for found in NCT_ID.captures_iter(text) {
            ids.insert(format!("NCT{}", &found[1]));
        }
    }
    ids.into_iter().collect()
}

/// The cited id is not in the registry (critical).
pub const STUDY_NOT_FOUND: &str = "REGISTRY_STUDY_NOT_FOUND";
/// Neither the lead sponsor nor a location country matches the clinic.
pub const STUDY_NOT_AT_CLINIC: &str = "REGISTRY_STUDY_NOT_AT_CLINIC";
/// The listing says it recruits; the registry says the study does not.
pub const NOT_RECRUITING: &str = "REGISTRY_NOT_RECRUITING";
/// Completed more than a year ago and no results posted.
pub const RESULTS_OVERDUE: &str = "REGISTRY_RESULTS_OVERDUE";
/// Cited but not yet checked against the registry.
pub const CHECK_PENDING: &str = "REGISTRY_CHECK_PENDING";
/// The listing charges for taking part in a registered study (the published rule).
pub const PAY_TO_PARTICIPATE: &str = "PAY_TO_PARTICIPATE";

/// The registry rules a claim check of a free text evaluates.
pub const CLAIM_CHECK_CODES: [&str; 2] = [STUDY_NOT_FOUND, CHECK_PENDING];

/// Every rule code the registry checks evaluate (rules of `red_flag_rules.json`).
pub const REGISTRY_CODES: [&str; 6] = [
    STUDY_NOT_FOUND,
    STUDY_NOT_AT_CLINIC,
    NOT_RECRUITING,
    RESULTS_OVERDUE,
    CHECK_PENDING,
    PAY_TO_PARTICIPATE,
];

crate::text_enum! {
    /// Where the ClinicalTrials.gov check of one cited NCT id stands.
    pub enum RegistryCheckStatus {
        /// Not looked up yet: "not yet checked against ClinicalTrials.gov".
        Pending => "pending",
        /// The registry has the study.
        Found => "found",
        /// The registry has no study with this id.
        NotFound => "not_found",
    }
}

/// One NCT id a checked text cites, and what StemCare last learnt of it from the registry.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RegistryCheck {
    #[schema(example = "NCT03308565")]
    pub nct_id: String,
    pub status: RegistryCheckStatus,
    /// The study's registry page.
    #[schema(example = "https://clinicaltrials.gov/study/NCT03308565")]
    pub registry_url: String,
    /// The registry's overall status, when found.
    #[schema(example = "RECRUITING")]
    pub overall_status: Option<String>,
    /// The registry's lead sponsor, when found.
    pub lead_sponsor: Option<String>,
    /// When StemCare last fetched the record; null while pending.
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The registry checks of `cited` ids from the stored snapshots, and the flags they raise on a
/// free text: `REGISTRY_STUDY_NOT_FOUND` for ids the registry does not know and
/// `REGISTRY_CHECK_PENDING` for ids not looked up yet. (The rules that need a clinic, its packages
/// or the listing's wording are evaluated on listings, by `trial_registry`.)
pub fn claim_checks(
    book: &crate::red_flag_engine::RuleBook,
    cited: &[String],
    snapshots: &[super::repo::RegistrySnapshotRow],
) -> (Vec<super::RedFlag>, Vec<RegistryCheck>) {
    let mut checks = Vec::new();
    let (mut missing, mut pending) = (Vec::new(), Vec::new());
    for nct_id in cited {
        let snapshot = snapshots.iter().find(|s| &s.nct_id == nct_id);
        let status = match snapshot {
            None => RegistryCheckStatus::Pending,
            Some(s) if s.record == RegistryRecord::NotFound.as_str() => RegistryCheckStatus::NotFound,
            Some(_) => RegistryCheckStatus::Found,
        };
        match status {
            RegistryCheckStatus::Pending => pending.push(nct_id.as_str()),
            RegistryCheckStatus::NotFound => missing.push(nct_id.as_str()),
            RegistryCheckStatus::Found => {}
        }
        checks.push(RegistryCheck {
            nct_id: nct_id.clone(),
            status,
            registry_url: registry_url(nct_id),
            overall_status: snapshot.and_then(|s| s.overall_status.clone()),
            lead_sponsor: snapshot.and_then(|s| s.lead_sponsor.clone()),
            checked_at: snapshot.map(|s| s.fetched_at),
        });
    }
    let mut flags = Vec::new();
    let mut raise = |code: &str, ids: &[&str], says: &str| {
        let (Some(first), Some(rule)) = (ids.first(), book.rules().iter().find(|r| r.code == code)) else {
            return;
        };
        flags.push(super::RedFlag {
            code: code.to_owned(),
            severity: rule.severity.as_str().to_owned(),
            evidence_text: ids
                .iter()
                .map(|id| format!("{id}: {says}"))
                .collect::<Vec<_>>()
                .join(" "),
            source_url: Some(registry_url(first)),
            rule_version: rule.version,
        });
    };
    raise(STUDY_NOT_FOUND, &missing, "does not exist in ClinicalTrials.gov.");
    raise(
        CHECK_PENDING,
        &pending,
        "not yet checked against ClinicalTrials.gov.",
    );
    (flags, checks)
}
