//! Codes of the rules evaluated from ClinicalTrials.gov records by `trial_registry` (not by the
//! engine): listed here, below both, so the rule list can say they are evaluated.

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

/// Every rule code the registry checks evaluate (rules of `red_flag_rules.json`).
pub const REGISTRY_CODES: [&str; 6] = [
    STUDY_NOT_FOUND,
    STUDY_NOT_AT_CLINIC,
    NOT_RECRUITING,
    RESULTS_OVERDUE,
    CHECK_PENDING,
    PAY_TO_PARTICIPATE,
];
