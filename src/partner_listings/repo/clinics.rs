//! Clinics owned by partners.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::fingerprint;
use crate::clinics::model::{Clinic, DisclosureColumns};
use crate::db::schema::{clinics, partners, treatment_packages};
use crate::error::{ApiError, ProblemKind};
use crate::partner_listings::dto::{AccreditationInput, ClinicInput};
use crate::red_flags::disclosures::Disclosures;
use crate::states::ListingStatus;

fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(60).collect();
    let suffix: String = Uuid::new_v4().simple().to_string().chars().take(6).collect();
    if slug.is_empty() {
        format!("clinic-{suffix}")
    } else {
        format!("{slug}-{suffix}")
    }
}

/// The writable fields of a stored clinic (the base a merge patch applies to).
pub fn clinic_input_of(clinic: &Clinic) -> ClinicInput {
    ClinicInput {
        external_id: clinic.external_id.clone(),
        name: clinic.name.clone(),
        country: clinic.country_code.clone(),
        city: clinic.city.clone(),
        ownership: clinic.ownership.clone(),
        specialty_scope: clinic.specialty_scope.clone(),
        specialties: clinic.specialties.clone(),
        years_experience: clinic.years_experience,
        patients_per_year: clinic.patients_per_year,
        serves_adults: clinic.serves_adults,
        serves_children: clinic.serves_children,
        min_age: clinic.min_age,
        patient_origin_regions: clinic.patient_origin_regions.clone(),
        notable_technology: clinic.notable_technology.clone(),
        description: clinic.description.clone(),
        claims: clinic.claim_texts(),
        conditions_treated: clinic.conditions_treated.clone(),
        stem_cell_indications: clinic.stem_cell_indications.clone(),
        accreditations: serde_json::from_value::<Vec<AccreditationInput>>(clinic.accreditations.clone())
            .unwrap_or_default(),
        languages: clinic.languages.clone(),
        website: clinic.website.clone(),
        disclosures: Some(Disclosures::from(&clinic.disclosures.facts())).filter(|d| !d.is_not_stated()),
    }
}

fn listing_source(partner: &str, url: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "title": format!("Listing supplied by partner {partner}"),
        "url": url,
        "section": null,
        "retrieved_at": Utc::now().date_naive().to_string(),
    })
}

async fn partner_name(conn: &mut AsyncPgConnection, partner_id: Uuid) -> QueryResult<String> {
    partners::table
        .find(partner_id)
        .select(partners::name)
        .first(conn)
        .await
}

/// Inserts or (when `existing` is given, at `expected_version`) updates a clinic. Returns the new
/// version, or `None` when the stored version moved on (a concurrent write won).
pub async fn write_clinic(
    conn: &mut AsyncPgConnection,
    partner_id: Uuid,
    existing: Option<(Uuid, i32)>,
    input: &ClinicInput,
) -> QueryResult<Option<(Uuid, i32)>> {
    let partner = partner_name(conn, partner_id).await?;
    let claims: Vec<serde_json::Value> = input
        .claims
        .iter()
        .map(|text| serde_json::json!({"text": text, "kind": "marketing_claim"}))
        .collect();
    let accreditations: Vec<serde_json::Value> = input
        .accreditations
        .iter()
        .map(|a| serde_json::json!({"body": a.body, "id": a.id, "valid_until": a.valid_until, "evidence_url": a.evidence_url, "verified_at": null}))
        .collect();
    let bodies: Vec<String> = input.accreditations.iter().map(|a| a.body.clone()).collect();
    let values = (
        clinics::name.eq(&input.name),
        clinics::country_code.eq(&input.country),
        clinics::city.eq(&input.city),
        clinics::ownership.eq(&input.ownership),
        clinics::specialty_scope.eq(&input.specialty_scope),
        clinics::specialties.eq(&input.specialties),
        clinics::years_experience.eq(input.years_experience),
        clinics::patients_per_year.eq(input.patients_per_year),
        clinics::serves_adults.eq(input.serves_adults),
        clinics::serves_children.eq(input.serves_children),
        clinics::min_age.eq(input.min_age),
        clinics::patient_origin_regions.eq(&input.patient_origin_regions),
        clinics::notable_technology.eq(&input.notable_technology),
        clinics::description.eq(&input.description),
        clinics::claims.eq(serde_json::Value::Array(claims)),
        clinics::conditions_treated.eq(&input.conditions_treated),
    );
    let more = (
        clinics::stem_cell_indications.eq(&input.stem_cell_indications),
        clinics::accreditations.eq(serde_json::Value::Array(accreditations)),
        clinics::accreditation_bodies.eq(&bodies),
        clinics::languages.eq(&input.languages),
        clinics::website.eq(&input.website),
        clinics::external_id.eq(&input.external_id),
        clinics::input_hash.eq(fingerprint(input)),
        clinics::source.eq(listing_source(&partner, input.website.as_deref())),
    );
    let disclosures = DisclosureColumns::of(&input.disclosures.clone().unwrap_or_default().facts());
    match existing {
        None => {
            let row: (Uuid, i32) = diesel::insert_into(clinics::table)
                .values((
                    values,
                    more,
                    disclosures,
                    clinics::slug.eq(slugify(&input.name)),
                    clinics::partner_id.eq(partner_id),
                    clinics::status.eq(ListingStatus::PendingReview),
                ))
                .returning((clinics::id, clinics::version))
                .get_result(conn)
                .await?;
            Ok(Some(row))
        }
        Some((id, version)) => diesel::update(
            clinics::table
                .filter(clinics::id.eq(id))
                .filter(clinics::version.eq(version))
                .filter(clinics::deleted_at.is_null()),
        )
        .set((
            values,
            more,
            disclosures,
            clinics::version.eq(version + 1),
            clinics::updated_at.eq(diesel::dsl::now),
        ))
        .returning((clinics::id, clinics::version))
        .get_result(conn)
        .await
        .optional(),
    }
}

/// The problem for a write that failed: a 409 on `/external_id` when another of the partner's
/// clinics has it (the `clinics_partner_external_id_key` constraint), else the usual mapping.
pub fn external_id_taken(error: diesel::result::Error) -> ApiError {
    match &error {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some("clinics_partner_external_id_key") =>
        {
            ApiError::new(
                ProblemKind::Conflict,
                "another of your clinics has this external_id",
            )
            .with_field("/external_id", "is already used by another of your clinics")
        }
        _ => error.into(),
    }
}

/// A partner's clinic (not deleted), or `None` when it is missing or belongs to someone else.
pub async fn own_clinic(
    conn: &mut AsyncPgConnection,
    partner_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<Clinic>> {
    clinics::table
        .find(id)
        .filter(clinics::partner_id.eq(partner_id))
        .filter(clinics::deleted_at.is_null())
        .select(Clinic::as_select())
        .first(conn)
        .await
        .optional()
}

/// A partner's clinic (not deleted) by the partner's own id for it.
pub async fn own_clinic_by_external_id(
    conn: &mut AsyncPgConnection,
    partner_id: Uuid,
    external_id: &str,
) -> QueryResult<Option<Clinic>> {
    clinics::table
        .filter(clinics::partner_id.eq(partner_id))
        .filter(clinics::external_id.eq(external_id))
        .filter(clinics::deleted_at.is_null())
        .select(Clinic::as_select())
        .first(conn)
        .await
        .optional()
}

/// The partner's clinics (not deleted), oldest first.
pub async fn own_clinics(conn: &mut AsyncPgConnection, partner_id: Uuid) -> QueryResult<Vec<Clinic>> {
    clinics::table
        .filter(clinics::partner_id.eq(partner_id))
        .filter(clinics::deleted_at.is_null())
        .order(clinics::created_at.asc())
        .select(Clinic::as_select())
        .load(conn)
        .await
}

/// Unlists a clinic and its packages (soft delete: history and past quotes are kept), moving the
/// clinic past `version`.
pub async fn unlist_clinic(conn: &mut AsyncPgConnection, id: Uuid, version: i32) -> QueryResult<()> {
    diesel::update(treatment_packages::table.filter(treatment_packages::clinic_id.eq(id)))
        .set((
            treatment_packages::status.eq(ListingStatus::Unlisted),
            treatment_packages::deleted_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    diesel::update(clinics::table.find(id))
        .set((
            clinics::status.eq(ListingStatus::Unlisted),
            clinics::deleted_at.eq(diesel::dsl::now),
            clinics::version.eq(version + 1),
            clinics::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores the fingerprint of what was imported, so the same import is `unchanged` next time.
pub async fn set_input_hash(conn: &mut AsyncPgConnection, clinic_id: Uuid, hash: &[u8]) -> QueryResult<()> {
    diesel::update(clinics::table.find(clinic_id))
        .set(clinics::input_hash.eq(hash))
        .execute(conn)
        .await?;
    Ok(())
}
