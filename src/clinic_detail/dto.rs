//! Wire types of clinic detail: the clinic with its packages and the three things a patient should
//! see next to it (reviews, practitioners, trial claims), and its query parameters.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::clinics::fields::ClinicDetailFieldList;
use crate::clinics::ClinicResponse;
use crate::disclaimer::Disclaimer;
use crate::practitioners::dto::PublicPractitioner;
use crate::red_flags::RedFlag;
use crate::reviews::dto::ReviewSummary;
use crate::treatment_packages::present::TreatmentPackageResponse;
use crate::verifications::dto::ClaimStanding;

/// `currency` and `fields` for one clinic.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClinicGetParams {
    /// ISO 4217 code: adds converted prices with the rate and its date.
    #[param(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    /// Sparse fields: only these top-level fields of the clinic, comma-separated (all when
    /// absent); `disclaimer` is always sent. Allowed: the names of `GET /v1/clinics`'s `fields`
    /// (`red_flags`, `has_critical_red_flags`, `listed_by_default`, `id`, `slug`, `name`,
    /// `country`, `city`, `website`, `ownership`, `specialty_scope`, `specialties`,
    /// `years_experience`, `years_experience_note`, `patients_per_year`, `ages_served`,
    /// `patient_origin_regions`, `languages`, `disclosures`, `notable_technology`, `description`,
    /// `claims`, `conditions_treated`, `conditions`, `accreditations`, `regulatory_status`,
    /// `rank_explanation`, `promoted`, `price_from`, `response_time`, `evidence`,
    /// `claims_beyond_evidence`, `unknown_fields`, `notes`, `source`, `created_at`, `updated_at`)
    /// and the detail-only `treatment_packages`, `reviews`, `practitioners` and `trial_claims`,
    /// with the same companions: `claims`, `description`, `disclosures`, `accreditations` and
    /// `notable_technology` bring `red_flags` and `has_critical_red_flags`; `years_experience`
    /// brings `years_experience_note` and `source`; `patients_per_year` brings `source`;
    /// `claims_beyond_evidence` brings `evidence`. A detail-only field not asked is not read. An
    /// unknown, empty or repeated name is a 400 `invalid-query`. See docs/SPARSE_FIELDS.md.
    #[param(value_type = Option<ClinicDetailFieldList>, inline, style = Form, explode = false)]
    pub fields: Option<String>,
}

/// A clinic with its published packages (flagged ones too: a by-id read explains, it does not
/// screen), its reviews at a glance, its named practitioners, the trials its listing cites, and
/// the disclaimer. Every property is sent unless `fields` leaves it out.
#[derive(Serialize, ToSchema)]
pub struct ClinicDetail {
    #[serde(flatten)]
    pub clinic: ClinicResponse,
    #[schema(required = false)]
    pub treatment_packages: Vec<TreatmentPackageResponse>,
    /// Reviews by verified patients (only a patient whose treatment the clinic recorded may
    /// review): how many, how they spread over 1–5 stars, the latest three, and where to read
    /// all of them. No average is given (docs/REVIEWS.md).
    #[schema(required = false)]
    pub reviews: ClinicReviews,
    /// The practitioners the clinic names (published ones), as `GET /v1/clinics/{id}/practitioners`
    /// shows them: names, roles, specialties and languages are the clinic's statements; each
    /// licence is `verified` only while a coordinator's current record confirms it (with the
    /// source and until when), otherwise `claimed_by_clinic`, `not_verified` or `contradicted`.
    #[schema(required = false)]
    pub practitioners: Vec<PublicPractitioner>,
    /// Each ClinicalTrials.gov identifier the listing cites (its description, claims and
    /// published packages), with what the registry says of it and whether a coordinator has
    /// verified the clinic's claim. A registered trial is not an approved treatment: anyone can
    /// register a study, the registry does not review its science, and a registration says
    /// nothing about whether a treatment is safe or works (the FDA warns that clinics cite
    /// registrations as false proof of legitimacy).
    #[schema(required = false)]
    pub trial_claims: Vec<TrialClaim>,
    pub disclaimer: Disclaimer,
}

/// A clinic's reviews at a glance, and where to read all of them.
#[derive(Serialize, ToSchema)]
pub struct ClinicReviews {
    #[serde(flatten)]
    pub summary: ReviewSummary,
    /// Every review, newest first and a page at a time (`GET /v1/clinics/{id}/reviews`),
    /// relative to the API's base URL.
    #[schema(example = "/v1/clinics/6f1c2a0e-8d43-4a57-9b8e-0c1d2e3f4a5b/reviews")]
    pub list_url: String,
}

crate::text_enum! {
    /// Where StemCare's lookup of a cited NCT id in ClinicalTrials.gov stands.
    pub enum TrialRegistryCheck {
        /// Not looked up yet: lookups run in the background, nothing waits on the registry.
        NotYetChecked => "not_yet_checked",
        /// The registry has a study with this id (see `registry_record`).
        Found => "found",
        /// The registry answered that no study has this id.
        NotFound => "not_found",
    }
}

/// What the registry's record said when StemCare last fetched it (its words, not StemCare's).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegistryRecordView {
    /// The study's brief title; null when the study was not found.
    #[schema(example = "Stem cell study of mesenchymal stromal cells in chronic low back pain")]
    pub title: Option<String>,
    /// The registry's overall recruitment status (e.g. `RECRUITING`, `COMPLETED`). A status,
    /// not an approval.
    #[schema(example = "RECRUITING")]
    pub overall_status: Option<String>,
    /// The organisation responsible for the study, as the registry names it.
    pub lead_sponsor: Option<String>,
    /// When the sponsor last updated the record on the registry.
    pub last_update_date: Option<NaiveDate>,
    /// When StemCare fetched the record.
    pub fetched_at: DateTime<Utc>,
}

/// One ClinicalTrials.gov identifier the listing cites. Registration is not approval: this says
/// what the registry records and whether a coordinator verified the claim, never that a
/// treatment is approved, safe or effective.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrialClaim {
    #[schema(example = "NCT03308565", pattern = "^NCT[0-9]{8}$")]
    pub nct_id: String,
    /// The study's page on ClinicalTrials.gov, to read it at the source.
    #[schema(example = "https://clinicaltrials.gov/study/NCT03308565")]
    pub registry_url: String,
    /// `not_yet_checked` until the background lookup has fetched the record, then `found` or
    /// `not_found`.
    pub registry_check: TrialRegistryCheck,
    /// What the record said when fetched; null while `not_yet_checked`.
    pub registry_record: Option<RegistryRecordView>,
    /// The registry flags on this citation, as the clinic's `red_flags` carry them (e.g.
    /// `REGISTRY_STUDY_NOT_FOUND`, `REGISTRY_STUDY_NOT_AT_CLINIC`, `REGISTRY_CHECK_PENDING`,
    /// `PAY_TO_PARTICIPATE`), most severe first. One stored flag covers every id it names, so
    /// its evidence text may mention other cited ids too.
    pub red_flags: Vec<RedFlag>,
    /// Whether a StemCare coordinator checked the clinic's claim about this study against a
    /// primary source: `verified` only while a current record confirms it (with the source and
    /// until when), otherwise `claimed_by_clinic`; `not_verified` or `contradicted` when the
    /// newest check said so.
    pub verification: ClaimStanding,
}
