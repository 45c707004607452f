//! What clinic detail says of each trial a listing cites: the registry's record, the registry
//! flags on it and a coordinator's verification, as of the server's `today`. Pure, so the rules
//! are unit-tested below.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::clinic_detail::dto::{RegistryRecordView, TrialClaim, TrialRegistryCheck};
use crate::red_flags::registry::{registry_url, RegistryRecord, REGISTRY_CODES};
use crate::red_flags::repo::DetectionRow;
use crate::red_flags::RedFlag;
use crate::trial_registry::repo::CitedStudy;
use crate::verifications::dto::ClaimStanding;
use crate::verifications::model::Verification;

/// Most severe first, as every list of red flags is ordered.
fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 0,
        "warn" => 1,
        _ => 2,
    }
}

/// The registry flags among `detections` (the clinic's and its packages') that name `nct_id`,
/// most severe first, each once.
fn flags_naming(nct_id: &str, detections: &HashMap<Uuid, Vec<DetectionRow>>) -> Vec<RedFlag> {
    let mut found: Vec<&DetectionRow> = detections
        .values()
        .flatten()
        .filter(|d| REGISTRY_CODES.contains(&d.code.as_str()) && d.evidence_text.contains(nct_id))
        .collect();
    found.sort_by(|a, b| {
        severity_rank(&a.severity)
            .cmp(&severity_rank(&b.severity))
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.evidence_text.cmp(&b.evidence_text))
    });
    // The same rule on the clinic and on a package reads the same to a patient: show it once.
    found.dedup_by(|a, b| a.code == b.code && a.evidence_text == b.evidence_text);
    found.into_iter().cloned().map(RedFlag::from).collect()
}

/// How the clinic's claim about `nct_id` stands on `today`, from its newest record.
fn claim_standing(nct_id: &str, newest: Option<&Verification>, today: NaiveDate) -> ClaimStanding {
    ClaimStanding::of(newest, nct_id, today)
}

/// Every cited study as a trial claim: `records` are the newest verification records of the
/// clinic's trial claims by NCT id, `detections` the stored flags of the clinic and its packages.
pub fn trial_claims(
    cited: &[CitedStudy],
    records: &HashMap<String, Verification>,
    detections: &HashMap<Uuid, Vec<DetectionRow>>,
    today: NaiveDate,
) -> Vec<TrialClaim> {
    cited
        .iter()
        .map(|study| {
            let registry_check = match study.fetched.as_ref().map(|f| f.record) {
                None => TrialRegistryCheck::NotYetChecked,
                Some(RegistryRecord::Found) => TrialRegistryCheck::Found,
                Some(RegistryRecord::NotFound) => TrialRegistryCheck::NotFound,
            };
            TrialClaim {
                nct_id: study.nct_id.clone(),
                registry_url: registry_url(&study.nct_id),
                registry_check,
                registry_record: study.fetched.as_ref().map(|f| RegistryRecordView {
                    title: f.title.clone(),
                    overall_status: f.overall_status.clone(),
                    lead_sponsor: f.lead_sponsor.clone(),
                    last_update_date: f.last_update_date,
                    fetched_at: f.fetched_at,
                }),
                red_flags: flags_naming(&study.nct_id, detections),
                verification: claim_standing(&study.nct_id, records.get(&study.nct_id), today),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::red_flags::verified::{SubjectKind, VerificationResult};
    use crate::trial_registry::repo::FetchedRecord;
    use crate::verifications::domain::Standing;

    const NCT: &str = "NCT03308565";

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, d).unwrap_or_default()
    }

    fn detection(subject: Uuid, code: &str, severity: &str, evidence: &str) -> DetectionRow {
        DetectionRow {
            subject_id: subject,
            code: code.to_owned(),
            rule_version: 1,
            severity: severity.to_owned(),
            evidence_text: evidence.to_owned(),
            source_url: Some(registry_url(NCT)),
        }
    }

    fn record(key: &str, result: VerificationResult, until: Option<NaiveDate>) -> Verification {
        Verification {
            id: Uuid::nil(),
            sequence: 1,
            subject_kind: SubjectKind::TrialClaim,
            subject_id: Uuid::nil(),
            subject_key: key.to_owned(),
            clinic_id: Uuid::nil(),
            source_url: registry_url(key),
            checked_at: Utc::now(),
            checked_by_key: Uuid::nil(),
            checked_by_role: "coordinator".to_owned(),
            result,
            valid_until: until,
            note: None,
            recorded_at: Utc::now(),
        }
    }

    fn cited(fetched: Option<RegistryRecord>) -> Vec<CitedStudy> {
        vec![CitedStudy {
            nct_id: NCT.to_owned(),
            fetched: fetched.map(|record| FetchedRecord {
                record,
                title: Some("A study".to_owned()),
                overall_status: Some("RECRUITING".to_owned()),
                lead_sponsor: Some("Mayo Clinic".to_owned()),
                last_update_date: Some(day(1)),
                fetched_at: Utc::now(),
            }),
        }]
    }

    #[test]
    fn an_unfetched_id_is_not_yet_checked_and_claimed_by_the_clinic() {
        let claims = trial_claims(&cited(None), &HashMap::new(), &HashMap::new(), day(2));
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].registry_check, TrialRegistryCheck::NotYetChecked);
        assert!(claims[0].registry_record.is_none());
        assert_eq!(
            claims[0].registry_url,
            "https://clinicaltrials.gov/study/NCT03308565"
        );
        assert_eq!(claims[0].verification.status, Standing::ClaimedByClinic);
        assert!(claims[0].verification.verification.is_none());
    }

    #[test]
    fn a_fetched_record_is_shown_with_the_flags_naming_its_id_most_severe_first() {
        let (clinic, package) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut detections = HashMap::new();
        detections.insert(
            clinic,
            vec![
                detection(
                    clinic,
                    "REGISTRY_STUDY_NOT_AT_CLINIC",
                    "warn",
                    "NCT03308565 is run by X.",
                ),
                detection(
                    clinic,
                    "REGISTRY_STUDY_NOT_FOUND",
                    "critical",
                    "NCT00000404 does not exist.",
                ),
                detection(clinic, "NO_NAMED_DOCTOR", "warn", "NCT03308565 named in passing"),
            ],
        );
        detections.insert(
            package,
            vec![detection(
                package,
                "PAY_TO_PARTICIPATE",
                "critical",
                "cites NCT03308565 and charges",
            )],
        );
        let claims = trial_claims(
            &cited(Some(RegistryRecord::Found)),
            &HashMap::new(),
            &detections,
            day(2),
        );
        assert_eq!(claims[0].registry_check, TrialRegistryCheck::Found);
        let shown = claims[0]
            .registry_record
            .as_ref()
            .map(|r| r.overall_status.clone());
        assert_eq!(shown, Some(Some("RECRUITING".to_owned())));
        let codes: Vec<&str> = claims[0].red_flags.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["PAY_TO_PARTICIPATE", "REGISTRY_STUDY_NOT_AT_CLINIC"]);
    }

    #[test]
    fn a_verification_holds_through_its_date_for_its_own_id_only() {
        let mut records = HashMap::new();
        records.insert(
            NCT.to_owned(),
            record(NCT, VerificationResult::Verified, Some(day(10))),
        );
        let on_the_day = trial_claims(
            &cited(Some(RegistryRecord::Found)),
            &records,
            &HashMap::new(),
            day(10),
        );
        assert_eq!(on_the_day[0].verification.status, Standing::Verified);
        let after = trial_claims(
            &cited(Some(RegistryRecord::Found)),
            &records,
            &HashMap::new(),
            day(11),
        );
        assert_eq!(after[0].verification.status, Standing::ClaimedByClinic);
        assert!(
            after[0].verification.verification.is_some(),
            "the expired record is still shown"
        );
        records.insert(
            NCT.to_owned(),
            record(NCT, VerificationResult::Contradicted, None),
        );
        let contradicted = trial_claims(&cited(None), &records, &HashMap::new(), day(2));
        assert_eq!(contradicted[0].verification.status, Standing::Contradicted);
    }

    #[test]
    fn a_missing_study_says_not_found() {
        let claims = trial_claims(
            &cited(Some(RegistryRecord::NotFound)),
            &HashMap::new(),
            &HashMap::new(),
            day(2),
        );
        assert_eq!(claims[0].registry_check, TrialRegistryCheck::NotFound);
    }
}
