//! Values of the trial finder: the registry status filter and where a mirrored trial comes from.

crate::text_enum! {
    /// A study's overall status, as ClinicalTrials.gov spells it (API v2 `Status`).
    pub enum TrialStatus {
        ActiveNotRecruiting => "ACTIVE_NOT_RECRUITING",
        Completed => "COMPLETED",
        EnrollingByInvitation => "ENROLLING_BY_INVITATION",
        NotYetRecruiting => "NOT_YET_RECRUITING",
        Recruiting => "RECRUITING",
        Suspended => "SUSPENDED",
        Terminated => "TERMINATED",
        Withdrawn => "WITHDRAWN",
        Available => "AVAILABLE",
        NoLongerAvailable => "NO_LONGER_AVAILABLE",
        TemporarilyNotAvailable => "TEMPORARILY_NOT_AVAILABLE",
        ApprovedForMarketing => "APPROVED_FOR_MARKETING",
        Withheld => "WITHHELD",
        Unknown => "UNKNOWN",
    }
}

crate::text_enum! {
    /// Where a mirrored trial's record comes from (the `trials_origin` CHECK).
    pub enum TrialOrigin {
        /// Fetched from ClinicalTrials.gov by the mirror refresh.
        Registry => "registry",
        /// Seeded from a source StemCare cites (`seeds/trials/trials.json`); replaced by the
        /// registry's record when the refresh finds the study.
        Seed => "seed",
    }
}

/// The registry's words on what a listing there means, and the FDA's warning about paying for
/// unapproved products: shown beside every registry link (registries.md §4, "Our rule").
pub const REGISTRY_NOTICE: &str = "\"The U.S. government does not review or approve the safety and science of all \
studies listed in the ClinicalTrials.gov database\" (ClinicalTrials.gov FAQ). \"Please know that if you are being \
charged for these products or offered these products outside of a clinical trial, you are likely being deceived and \
offered a product illegally\" (US FDA, 3 June 2021).";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_the_registry_enum() {
        let ours: Vec<&str> = TrialStatus::ALL.iter().map(|s| s.as_str()).collect();
        let mut registry = crate::trial_registry::domain::OVERALL_STATUSES.to_vec();
        let mut sorted = ours.clone();
        sorted.sort();
        registry.sort();
        assert_eq!(sorted, registry);
    }
}
