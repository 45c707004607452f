//! Typed FHIR R4 `Practitioner` and `PractitionerRole` (the elements this directory fills).
//! Qualifications and the contained `VerificationResult`s are JSON built in `practitioner_map`.

use serde::Serialize;
use serde_json::Value;

use crate::fhir::resources::{CodeableConcept, Identifier, Meta, Reference};

/// `HumanName` (only `text`: the name as the clinic gives it, not split into parts).
#[derive(Debug, Clone, Serialize)]
pub struct HumanName {
    pub text: String,
}

/// `Practitioner`: a person the clinic names.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Practitioner {
    pub resource_type: &'static str,
    pub id: String,
    pub meta: Meta,
    /// The licence's `VerificationResult`, when there is a licence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<Value>,
    pub identifier: Vec<Identifier>,
    pub active: bool,
    pub name: Vec<HumanName>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub qualification: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub communication: Vec<Value>,
}

/// `PractitionerRole`: the practitioner at the clinic.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PractitionerRole {
    pub resource_type: &'static str,
    pub id: String,
    pub meta: Meta,
    pub identifier: Vec<Identifier>,
    pub active: bool,
    pub practitioner: Reference,
    pub organization: Reference,
    pub location: Vec<Reference>,
    pub code: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub specialty: Vec<CodeableConcept>,
}
