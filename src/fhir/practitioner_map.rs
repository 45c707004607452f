//! How named practitioners become FHIR R4 `Practitioner` and `PractitionerRole` resources, with
//! their licence checks shown as the directory guides do (`shared/reference/registries.md` §3):
//!
//! - The licence is `Practitioner.qualification`: `identifier` = the licence number, `code` = a
//!   text naming the licence and its issuing body, `issuer` = the issuing body (by name: it is not
//!   a resource here). Its Plan-Net `practitioner-qualification` extension says `status` `active`
//!   only while a current verification confirms the licence, `unknown` otherwise, with `whereValid`
//!   the issuing country. No `period` is given: StemCare does not know the licence's own dates.
//! - Each licence carries a contained `VerificationResult` (R4 element names), targeting the
//!   qualification: `validated` (primary source checked, `lic-board`, `successful`, `nextScheduled`
//!   = the day after the check stops holding), `req-revalid` once that day has come, `val-fail`
//!   when the newest check did not confirm it, and `attested` (by the clinic's `Organization`)
//!   when nothing confirms it now: a clinic's own claim is never `validated`.
//! - `PractitionerRole` (same id) links the practitioner to the clinic's `Organization` and
//!   `Location`, with the role and specialty as text.

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::fhir::practitioner_resources::{HumanName, Practitioner, PractitionerRole};
use crate::fhir::resources::{instant, CodeableConcept, Identifier, Meta, Reference};
use crate::practitioners::model::Practitioner as PractitionerRow;
use crate::red_flags::verified::VerificationResult;
use crate::verifications::domain::{standing, Standing};
use crate::verifications::model::Verification;

/// Identifier system of practitioners (value: the practitioner's id).
pub const PRACTITIONER_SYSTEM: &str = "urn:stemcare:practitioner";
/// The Da Vinci PDex Plan-Net qualification extension on `Practitioner.qualification`.
pub const PLAN_NET_QUALIFICATION: &str =
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/practitioner-qualification";
const TERMINOLOGY: &str = "http://terminology.hl7.org/CodeSystem";

crate::text_enum! {
    /// `VerificationResult.primarySource.validationStatus` codes this directory uses.
    pub enum ValidationStatus {
        Successful => "successful",
        Failed => "failed",
    }
}

fn identifier(p: &PractitionerRow) -> Vec<Identifier> {
    vec![Identifier {
        system: PRACTITIONER_SYSTEM.to_owned(),
        value: p.id.to_string(),
    }]
}

/// The contained `VerificationResult` of the licence, as it stands on `today`.
fn verification_result(
    p: &PractitionerRow,
    newest: Option<&Verification>,
    today: NaiveDate,
    issuer: &str,
) -> Value {
    let key = crate::red_flags::verified::licence_key(
        p.licence_number.as_deref(),
        p.licence_issuer.as_deref(),
        p.licence_country.as_deref(),
    );
    let now = standing(newest, &key, today);
    let record = newest.filter(|r| r.subject_key == key);
    let status = match (now, record.map(|r| r.result)) {
        (Standing::Verified, _) => "validated",
        (Standing::NotVerified | Standing::Contradicted, _) => "val-fail",
        (Standing::ClaimedByClinic, Some(VerificationResult::Verified)) => "req-revalid",
        (Standing::ClaimedByClinic, _) => "attested",
    };
    let mut result = json!({
        "resourceType": "VerificationResult",
        "id": "licence",
        "target": [{"reference": "#"}],
        "targetLocation": ["Practitioner.qualification[0]"],
        "status": status,
    });
    match record {
        Some(r) => {
            let validation = if r.result == VerificationResult::Verified {
                ValidationStatus::Successful
            } else {
                ValidationStatus::Failed
            };
            let display = match validation {
                ValidationStatus::Successful => "Successful",
                ValidationStatus::Failed => "Failed",
            };
            result["statusDate"] = json!(instant(r.checked_at));
            result["validationType"] = json!({"coding": [{"system": format!("{TERMINOLOGY}/validation-type"), "code": "primary", "display": "Primary Source"}]});
            result["validationProcess"] = json!([{"text": format!("Checked against {}", r.source_url)}]);
            result["lastPerformed"] = json!(instant(r.checked_at));
            if let Some(until) = r.valid_until.filter(|_| r.result == VerificationResult::Verified) {
                result["nextScheduled"] = json!(until.succ_opt().unwrap_or(until).to_string());
            }
            result["primarySource"] = json!([{
                "who": {"display": issuer},
                "type": [{"coding": [{"system": format!("{TERMINOLOGY}/primary-source-type"), "code": "lic-board", "display": "License Board"}]}],
                "validationStatus": {"coding": [{"system": format!("{TERMINOLOGY}/validation-status"), "code": validation.as_str(), "display": display}]},
                "validationDate": instant(r.checked_at)
            }]);
            result["validator"] = json!([{"organization": {"display": "StemCare"}}]);
        }
        None => {
            result["attestation"] = json!({"who": {"reference": format!("Organization/{}", p.clinic_id)}});
        }
    }
    result
}

/// A public practitioner as a FHIR `Practitioner`.
pub fn practitioner(p: &PractitionerRow, newest: Option<&Verification>, today: NaiveDate) -> Practitioner {
    let mut qualification = Vec::new();
    let mut contained = Vec::new();
    if let Some(number) = &p.licence_number {
        let issuer = p.licence_issuer.clone().unwrap_or_default();
        let country = p.licence_country.clone().unwrap_or_default();
        let key = crate::red_flags::verified::licence_key(Some(number), Some(&issuer), Some(&country));
        let active = standing(newest, &key, today) == Standing::Verified;
        qualification.push(json!({
            "extension": [{
                "url": PLAN_NET_QUALIFICATION,
                "extension": [
                    {"url": "status", "valueCode": if active { "active" } else { "unknown" }},
                    {"url": "whereValid", "valueCodeableConcept": {"text": country}}
                ]
            }],
            "identifier": [{"value": number}],
            "code": {"text": format!("Licence to practise issued by {issuer} ({country})")},
            "issuer": {"display": issuer}
        }));
        contained.push(verification_result(p, newest, today, &issuer));
    }
    Practitioner {
        resource_type: "Practitioner",
        id: p.id.to_string(),
        meta: Meta {
            last_updated: instant(p.updated_at),
        },
        contained,
        identifier: identifier(p),
        active: true,
        name: vec![HumanName { text: p.name.clone() }],
        qualification,
        communication: p
            .languages
            .iter()
            .map(|tag| json!({"coding": [{"system": "urn:ietf:bcp:47", "code": tag}]}))
            .collect(),
    }
}

/// A public practitioner's place at its clinic as a FHIR `PractitionerRole`.
pub fn practitioner_role(p: &PractitionerRow, clinic_name: &str) -> PractitionerRole {
    PractitionerRole {
        resource_type: "PractitionerRole",
        id: p.id.to_string(),
        meta: Meta {
            last_updated: instant(p.updated_at),
        },
        identifier: identifier(p),
        active: true,
        practitioner: Reference {
            reference: format!("Practitioner/{}", p.id),
            display: Some(p.name.clone()),
        },
        organization: Reference {
            reference: format!("Organization/{}", p.clinic_id),
            display: Some(clinic_name.to_owned()),
        },
        location: vec![Reference {
            reference: format!("Location/{}", p.clinic_id),
            display: None,
        }],
        code: vec![CodeableConcept::text(p.role.as_str().replace('_', " "))],
        specialty: p.specialty.iter().map(CodeableConcept::text).collect(),
    }
}
