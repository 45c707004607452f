//! Wire types of practitioners: what partners write, what they read back, and the public view.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::openapi::items::{CountryCode, LanguageTag, Text100, Text200};
use crate::red_flags::verified::PractitionerRole;
use crate::red_flags::RedFlag;
use crate::states::ListingStatus;
use crate::verifications::domain::Standing;
use crate::verifications::dto::ClaimStanding;

/// A licence to practise, as the clinic states it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LicenceInput {
    /// The licence or registration number (1–100 characters).
    #[schema(value_type = Text100, example = "7012345")]
    pub number: String,
    /// The body that issued it and keeps its register, e.g. a national medical council (1–200 characters).
    #[schema(value_type = Text200, example = "General Medical Council")]
    pub issuing_body: String,
    /// ISO 3166-1 alpha-2 code of the country whose body issued it.
    #[schema(value_type = CountryCode, example = "GB")]
    pub country: String,
}

/// A practitioner as a partner writes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PractitionerInput {
    /// Full name as the practitioner is registered (1–200 characters).
    #[schema(value_type = Text200, example = "Dr Jane Example")]
    pub name: String,
    /// Role at the clinic. Only a physician, surgeon or anaesthetist with a verified licence clears
    /// `NO_NAMED_DOCTOR`.
    pub role: PractitionerRole,
    /// Specialty in plain words (1–200 characters), e.g. `Orthopaedic surgery`.
    #[schema(value_type = Option<Text200>, example = "Orthopaedic surgery")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specialty: Option<String>,
    /// The licence to practise; without one nothing can be verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<LicenceInput>,
    /// Languages the practitioner speaks with patients (BCP 47, at most 20).
    #[schema(value_type = Vec<LanguageTag>, max_items = 20)]
    #[serde(default)]
    pub languages: Vec<String>,
}

/// A practitioner as its partner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerPractitionerResponse {
    pub id: Uuid,
    pub clinic_id: Uuid,
    /// Send as `If-Match` (quoted) to update.
    pub version: i32,
    /// `published`, or `pending_review` while a red-flag rule fires on its text (not shown to the public).
    #[schema(value_type = String)]
    pub status: ListingStatus,
    /// The writable fields, as last accepted.
    pub practitioner: PractitionerInput,
    /// Red flags raised on its text.
    pub red_flags: Vec<RedFlag>,
    /// How the licence stands today (absent without a licence).
    pub licence_standing: Option<ClaimStanding>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The partner's practitioners of one clinic.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerPractitionerList {
    pub items: Vec<PartnerPractitionerResponse>,
}

/// A licence as the public sees it: the clinic's statement and how it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicLicence {
    pub number: String,
    pub issuing_body: String,
    pub country: String,
    /// `verified` (with the record: by whom, against what source, when, until when) or
    /// `claimed_by_clinic`; `not_verified` / `contradicted` when the newest check said so.
    #[serde(flatten)]
    pub standing: ClaimStanding,
}

/// A practitioner as the public sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicPractitioner {
    pub id: Uuid,
    pub name: String,
    pub role: PractitionerRole,
    pub specialty: Option<String>,
    pub languages: Vec<String>,
    /// Name, role, specialty and languages are always `claimed_by_clinic`: StemCare verifies
    /// licences, not biographies.
    pub details: Standing,
    /// Absent when the clinic gives no licence.
    pub licence: Option<PublicLicence>,
}

/// The named practitioners of a public clinic.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicPractitionerList {
    pub items: Vec<PublicPractitioner>,
    /// Information, not medical advice.
    pub disclaimer: crate::disclaimer::Disclaimer,
}
