//! Which of a clinic's claims a verification record confirms: the inputs of `NO_NAMED_DOCTOR`,
//! `ACCREDITATION_UNVERIFIED` and the scorecard's `accreditation` factor.
//!
//! A claim counts only while the newest verification record of its subject says `verified`, was
//! made on the claim as it stands now (a licence edited after the check is no longer the licence
//! that was checked), and has not expired. Expiry is decided by the `verifications` expiry worker
//! with the server's clock (it records each applied expiry), so this query needs no clock and the
//! stored flags and scores change when the worker applies it.
//!
//! Here, below `listings`, because `listings` recomputes flags and scores from it while the
//! `verifications` and `practitioners` resources call `listings` after every change.

use std::collections::HashMap;

use diesel::sql_types::{Array, BigInt, Text, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::red_flag_engine::PractitionerFacts;
use crate::states::ListingStatus;

crate::text_enum! {
    /// What a verification record checked.
    pub enum SubjectKind {
        /// A practitioner's licence (number, issuing body, country) with its issuing body.
        PractitionerLicence => "practitioner_licence",
        /// An accreditation a clinic claims, with the accrediting body.
        ClinicAccreditation => "clinic_accreditation",
        /// A clinic's claim about a registered trial, with the registry.
        TrialClaim => "trial_claim",
    }
}

crate::text_enum! {
    /// What the primary source said.
    pub enum VerificationResult {
        /// The source confirms the claim (it counts until `valid_until`).
        Verified => "verified",
        /// The source could not confirm it (not found, not reachable, not conclusive).
        NotVerified => "not_verified",
        /// The source says otherwise (e.g. a revoked or different licence).
        Contradicted => "contradicted",
    }
}

crate::text_enum! {
    /// A practitioner's role at the clinic.
    pub enum PractitionerRole {
        Physician => "physician",
        Surgeon => "surgeon",
        Anaesthetist => "anaesthetist",
        Nurse => "nurse",
        LaboratoryScientist => "laboratory_scientist",
        Other => "other",
    }
}

impl PractitionerRole {
    /// Doctors: what `NO_NAMED_DOCTOR` asks for ("a named physician with a verifiable licence").
    pub fn is_doctor(self) -> bool {
        match self {
            Self::Physician | Self::Surgeon | Self::Anaesthetist => true,
            Self::Nurse | Self::LaboratoryScientist | Self::Other => false,
        }
    }
}

/// What a licence verification was made on: number, issuing body and country, compared without
/// case or surrounding blanks. Stored with the record; a licence whose key changed is unverified.
pub fn licence_key(number: Option<&str>, issuer: Option<&str>, country: Option<&str>) -> String {
    let part = |v: Option<&str>| v.map(|s| s.trim().to_lowercase()).unwrap_or_default();
    format!("{}|{}|{}", part(number), part(issuer), part(country))
}

/// What an accreditation verification is keyed by: the accrediting body, without case or blanks.
pub fn accreditation_key(body: &str) -> String {
    body.trim().to_lowercase()
}

/// The verified facts of one clinic.
#[derive(Debug, Clone, Default)]
pub struct VerifiedFacts {
    pub practitioners: PractitionerFacts,
    /// [`accreditation_key`]s of accreditations confirmed by a current record.
    pub accreditation_keys: Vec<String>,
}

impl VerifiedFacts {
    /// Whether the accreditation claimed with this body is verified.
    pub fn accreditation_verified(&self, body: &str) -> bool {
        self.accreditation_keys.contains(&accreditation_key(body))
    }

    /// How many of a clinic's claimed accreditations (`clinics.accreditations`, `[{body, …}]`) a
    /// current record confirms. A `verified_at` the listing carries counts for nothing.
    pub fn verified_accreditations(&self, claimed: &serde_json::Value) -> usize {
        bodies(claimed)
            .filter(|body| self.accreditation_verified(body))
            .count()
    }

    /// Bodies of the claimed accreditations no current record confirms.
    pub fn unverified_accreditations(&self, claimed: &serde_json::Value) -> Vec<String> {
        bodies(claimed)
            .filter(|body| !self.accreditation_verified(body))
            .map(str::to_owned)
            .collect()
    }
}

/// The `body` of each claimed accreditation.
fn bodies(claimed: &serde_json::Value) -> impl Iterator<Item = &str> {
    claimed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("body").and_then(|b| b.as_str()))
}

/// Practitioners with the newest verification of their licence, if any.
const PRACTITIONERS: &str = "
SELECT p.clinic_id, p.role, p.licence_number, p.licence_issuer, p.licence_country,
       v.subject_key AS verified_key,
       (v.result = $2 AND NOT EXISTS (SELECT 1 FROM verification_expiries e WHERE e.verification_id = v.id)) AS counts
FROM practitioners p
LEFT JOIN LATERAL (
    SELECT id, subject_key, result FROM verifications
    WHERE subject_kind = $3 AND subject_id = p.id
    ORDER BY sequence DESC LIMIT 1
) v ON true
WHERE p.clinic_id = ANY($1) AND p.deleted_at IS NULL AND p.status = $4";

/// The accreditation keys whose newest record is a current `verified`.
const ACCREDITATIONS: &str = "
SELECT DISTINCT ON (v.clinic_id, v.subject_key) v.clinic_id, v.subject_key,
       (v.result = $2 AND NOT EXISTS (SELECT 1 FROM verification_expiries e WHERE e.verification_id = v.id)) AS counts,
       v.sequence
FROM verifications v
WHERE v.clinic_id = ANY($1) AND v.subject_kind = $3
ORDER BY v.clinic_id, v.subject_key, v.sequence DESC";

#[derive(QueryableByName)]
struct PractitionerRow {
    #[diesel(sql_type = SqlUuid)]
    clinic_id: Uuid,
    #[diesel(sql_type = Text)]
    role: PractitionerRole,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    licence_number: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    licence_issuer: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    licence_country: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    verified_key: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bool>)]
    counts: Option<bool>,
}

#[derive(QueryableByName)]
struct AccreditationRow {
    #[diesel(sql_type = SqlUuid)]
    clinic_id: Uuid,
    #[diesel(sql_type = Text)]
    subject_key: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    counts: bool,
    #[allow(dead_code)] // the DISTINCT ON order needs it selected
    #[diesel(sql_type = BigInt)]
    sequence: i64,
}

/// The verified facts of each of `clinic_ids` (clinics without any fact get the default).
pub async fn facts_for(
    conn: &mut AsyncPgConnection,
    clinic_ids: &[Uuid],
) -> diesel::QueryResult<HashMap<Uuid, VerifiedFacts>> {
    let practitioners: Vec<PractitionerRow> = diesel::sql_query(PRACTITIONERS)
        .bind::<Array<SqlUuid>, _>(clinic_ids)
        .bind::<Text, _>(VerificationResult::Verified)
        .bind::<Text, _>(SubjectKind::PractitionerLicence)
        .bind::<Text, _>(ListingStatus::Published)
        .load(conn)
        .await?;
    let accreditations: Vec<AccreditationRow> = diesel::sql_query(ACCREDITATIONS)
        .bind::<Array<SqlUuid>, _>(clinic_ids)
        .bind::<Text, _>(VerificationResult::Verified)
        .bind::<Text, _>(SubjectKind::ClinicAccreditation)
        .load(conn)
        .await?;
    let mut facts: HashMap<Uuid, VerifiedFacts> = HashMap::new();
    for row in practitioners {
        let entry = facts.entry(row.clinic_id).or_default();
        entry.practitioners.named += 1;
        let current_key = licence_key(
            row.licence_number.as_deref(),
            row.licence_issuer.as_deref(),
            row.licence_country.as_deref(),
        );
        if row.role.is_doctor()
            && row.counts == Some(true)
            && row.verified_key.as_deref() == Some(current_key.as_str())
        {
            entry.practitioners.verified_doctor_licences += 1;
        }
    }
    for row in accreditations.into_iter().filter(|r| r.counts) {
        facts
            .entry(row.clinic_id)
            .or_default()
            .accreditation_keys
            .push(row.subject_key);
    }
    Ok(facts)
}
