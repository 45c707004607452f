//! Typed FHIR R4 (4.0.1) structures for just the resources this directory serves.
//!
//! No maintained Rust crate fits: `fhir-model` covers STU3, R4B and R5 but not R4, and `fhirbolt`
//! (R4) generates the whole specification, which costs minutes of compile time for five resources.
//! These structs follow the R4 element names and cardinalities; absent optional elements are left
//! out (FHIR JSON never carries `null`), and the tests check the output against the specification.

use serde::Serialize;

/// `Meta` (only `lastUpdated`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// FHIR `instant`.
    pub last_updated: String,
}

/// `Identifier`.
#[derive(Debug, Clone, Serialize)]
pub struct Identifier {
    pub system: String,
    pub value: String,
}

/// `Coding`.
#[derive(Debug, Clone, Serialize)]
pub struct Coding {
    pub system: String,
    pub code: String,
    pub display: String,
}

/// `CodeableConcept` (codings and/or text).
#[derive(Debug, Clone, Serialize, Default)]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// A concept known only by its text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            coding: Vec::new(),
            text: Some(text.into()),
        }
    }
}

/// `ContactPoint`.
#[derive(Debug, Clone, Serialize)]
pub struct ContactPoint {
    /// `phone | fax | email | pager | url | sms | other`.
    pub system: String,
    pub value: String,
}

/// `Address` (only what the catalogue knows).
#[derive(Debug, Clone, Serialize)]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// `Reference` to another resource on this server, e.g. `Organization/<id>`.
#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// `Organization`: a clinic as the legal provider.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub resource_type: &'static str,
    pub id: String,
    pub meta: Meta,
    pub identifier: Vec<Identifier>,
    pub active: bool,
    #[serde(rename = "type")]
    pub kind: Vec<CodeableConcept>,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    pub address: Vec<Address>,
}

/// `Location`: where the clinic treats.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub resource_type: &'static str,
    pub id: String,
    pub meta: Meta,
    pub identifier: Vec<Identifier>,
    /// `active | suspended | inactive`.
    pub status: &'static str,
    pub name: String,
    /// `instance`: one specific place.
    pub mode: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    pub address: Address,
    pub managing_organization: Reference,
}

/// `HealthcareService`: one treatment package.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthcareService {
    pub resource_type: &'static str,
    pub id: String,
    pub meta: Meta,
    pub identifier: Vec<Identifier>,
    pub active: bool,
    pub provided_by: Reference,
    pub category: Vec<CodeableConcept>,
    #[serde(rename = "type")]
    pub kind: Vec<CodeableConcept>,
    pub location: Vec<Reference>,
    pub name: String,
    pub comment: String,
    pub extra_details: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub characteristic: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub program: Vec<CodeableConcept>,
}

/// Any resource a search returns.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Resource {
    Organization(Organization),
    Location(Location),
    HealthcareService(HealthcareService),
    Practitioner(crate::fhir::practitioner_resources::Practitioner),
    PractitionerRole(crate::fhir::practitioner_resources::PractitionerRole),
}

/// `Bundle.link`.
#[derive(Debug, Clone, Serialize)]
pub struct BundleLink {
    /// `self` or `next`.
    pub relation: &'static str,
    pub url: String,
}

/// `Bundle.entry.search`.
#[derive(Debug, Clone, Serialize)]
pub struct EntrySearch {
    /// Always `match`: no `_include` is supported.
    pub mode: &'static str,
}

/// `Bundle.entry`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    pub full_url: String,
    pub resource: Resource,
    pub search: EntrySearch,
}

/// A `searchset` `Bundle`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub resource_type: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// FHIR `instant` of the search.
    pub timestamp: String,
    /// Matches across all pages.
    pub total: i64,
    pub link: Vec<BundleLink>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

/// `OperationOutcome.issue`.
#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    /// `fatal | error | warning | information`.
    pub severity: &'static str,
    /// An IssueType code, e.g. `not-found`, `invalid`, `not-supported`, `exception`.
    pub code: &'static str,
    pub diagnostics: String,
}

/// `OperationOutcome`: the error body of every FHIR endpoint.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    pub resource_type: &'static str,
    pub issue: Vec<Issue>,
}

/// The FHIR `instant` form of a timestamp (UTC, microseconds).
pub fn instant(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
