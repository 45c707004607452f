//! Writes of partner listings: optimistic versions, fingerprints for "unchanged", and the
//! red-flag/moderation pass after every change.

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::clinics::model::{Clinic, DisclosureColumns};
use crate::db::schema::{
    administration_methods, cell_types, clinics, conditions, countries, exchange_rates, inclusion_items,
    partners, treatment_packages,
};
use crate::partner_listings::input::{AccreditationInput, ClinicInput, PackageInput, Vocabularies};
use crate::red_flags::disclosures::Disclosures;
use crate::treatment_packages::model::TreatmentPackage;

/// Owned copies of the catalogue values validation checks against.
pub struct VocabularyData {
    pub countries: Vec<String>,
    pub conditions: Vec<String>,
    pub cell_types: Vec<String>,
    pub methods: Vec<String>,
    pub inclusions: Vec<String>,
    pub currencies: Vec<String>,
}

impl VocabularyData {
    pub async fn load(conn: &mut AsyncPgConnection) -> QueryResult<Self> {
        Ok(Self {
            countries: countries::table.select(countries::code).load(conn).await?,
            conditions: conditions::table.select(conditions::slug).load(conn).await?,
            cell_types: cell_types::table
                .filter(cell_types::clinical_status.eq("in_use"))
                .select(cell_types::slug)
                .load(conn)
                .await?,
            methods: administration_methods::table
                .select(administration_methods::slug)
                .load(conn)
                .await?,
            inclusions: inclusion_items::table
                .select(inclusion_items::code)
                .load(conn)
                .await?,
            currencies: exchange_rates::table
                .select(exchange_rates::currency)
                .load(conn)
                .await?,
        })
    }

    pub fn view(&self) -> Vocabularies<'_> {
        Vocabularies {
            countries: &self.countries,
            conditions: &self.conditions,
            cell_types: &self.cell_types,
            methods: &self.methods,
            inclusions: &self.inclusions,
            currencies: &self.currencies,
        }
    }
}

/// SHA-256 of a value's canonical JSON.
pub fn fingerprint(value: &impl serde::Serialize) -> Vec<u8> {
    let canonical = serde_json::to_value(value)
        .map(|v| v.to_string())
        .unwrap_or_default();
    Sha256::digest(canonical.as_bytes()).to_vec()
}

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

pub fn package_input_of(package: &TreatmentPackage) -> PackageInput {
    PackageInput {
        title: package.title.clone(),
        conditions: package.conditions.clone(),
        cell_type: package.cell_type.clone(),
        cell_source: package.cell_source.clone(),
        administration_method: package.administration_method.clone(),
        injections: package.injections,
        price: crate::partner_listings::input::PriceInput {
            min: package.price_min,
            max: if package.price_kind == "from" {
                None
            } else {
                package.price_max
            },
            currency: package.currency.clone(),
        },
        price_basis: package.price_basis.clone(),
        inclusions: package.inclusions.clone(),
        exclusions: package.exclusions.clone(),
        add_ons: serde_json::from_value(package.add_ons.clone()).unwrap_or_default(),
        protocol_url: package.protocol_url.clone(),
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
                    clinics::status.eq("pending_review"),
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

/// Inserts or updates (at `expected_version`) a package of `clinic_id`.
pub async fn write_package(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
    existing: Option<(Uuid, i32)>,
    input: &PackageInput,
    inclusion_vocabulary: &[String],
) -> QueryResult<Option<(Uuid, i32)>> {
    let kind = match input.price.max {
        None => "from",
        Some(max) if max == input.price.min => "exact",
        Some(_) => "range",
    };
    let unknown: Vec<String> = inclusion_vocabulary
        .iter()
        .filter(|code| !input.inclusions.contains(code) && !input.exclusions.contains(code))
        .cloned()
        .collect();
    let today = Utc::now().date_naive();
    let source = serde_json::json!({"title": "Price listed by the clinic", "url": null, "section": null, "retrieved_at": today.to_string()});
    let values = (
        treatment_packages::title.eq(&input.title),
        treatment_packages::conditions.eq(&input.conditions),
        treatment_packages::cell_type.eq(&input.cell_type),
        treatment_packages::cell_source.eq(&input.cell_source),
        treatment_packages::administration_method.eq(&input.administration_method),
        treatment_packages::injections.eq(input.injections),
        treatment_packages::price_min.eq(input.price.min),
        treatment_packages::price_max.eq(if kind == "from" { None } else { input.price.max }),
        treatment_packages::price_kind.eq(kind),
        treatment_packages::currency.eq(&input.price.currency),
        treatment_packages::price_basis.eq(&input.price_basis),
        treatment_packages::price_provenance.eq("clinic_listed"),
        treatment_packages::price_as_of.eq(today),
        treatment_packages::price_source.eq(&source),
        treatment_packages::inclusions.eq(&input.inclusions),
        treatment_packages::exclusions.eq(&input.exclusions),
    );
    let more = (
        treatment_packages::unknown_items.eq(&unknown),
        treatment_packages::add_ons.eq(serde_json::to_value(&input.add_ons).unwrap_or_default()),
        treatment_packages::protocol_url.eq(&input.protocol_url),
        treatment_packages::source.eq(&source),
    );
    match existing {
        None => {
            let slug = format!("pkg-{}", Uuid::new_v4().simple());
            let row: (Uuid, i32) = diesel::insert_into(treatment_packages::table)
                .values((
                    values,
                    more,
                    treatment_packages::slug.eq(slug),
                    treatment_packages::clinic_id.eq(clinic_id),
                    treatment_packages::price_min_usd.eq(input.price.min),
                ))
                .returning((treatment_packages::id, treatment_packages::version))
                .get_result(conn)
                .await?;
            Ok(Some(row))
        }
        Some((id, version)) => diesel::update(
            treatment_packages::table
                .filter(treatment_packages::id.eq(id))
                .filter(treatment_packages::version.eq(version))
                .filter(treatment_packages::deleted_at.is_null()),
        )
        .set((
            values,
            more,
            treatment_packages::version.eq(version + 1),
            treatment_packages::updated_at.eq(diesel::dsl::now),
        ))
        .returning((treatment_packages::id, treatment_packages::version))
        .get_result(conn)
        .await
        .optional(),
    }
}

const FLAGGED_COUNT: &str = "
SELECT count(*) AS n FROM red_flag_detections d
WHERE d.severity IN ('warn', 'critical')
  AND (d.subject_id = $1 OR d.subject_id IN (SELECT id FROM treatment_packages WHERE clinic_id = $1 AND status = 'published'))";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Re-runs the red-flag rules and the score, then decides visibility: a listing with a warning or
/// critical flag waits in moderation (`pending_review`); a clean one is published. Returns the status.
pub async fn after_change(
    conn: &mut AsyncPgConnection,
    book: &crate::red_flags::engine::RuleBook,
    clinic_id: Uuid,
) -> QueryResult<String> {
    crate::listings::refresh_clinic(conn, book, clinic_id).await?;
    let flagged: Count = diesel::sql_query(FLAGGED_COUNT)
        .bind::<SqlUuid, _>(clinic_id)
        .get_result(conn)
        .await?;
    let status = if flagged.n > 0 {
        "pending_review"
    } else {
        "published"
    };
    diesel::sql_query(
        "UPDATE clinics SET status = $2 WHERE id = $1 AND deleted_at IS NULL AND status IS DISTINCT FROM $2",
    )
    .bind::<SqlUuid, _>(clinic_id)
    .bind::<Text, _>(status)
    .execute(conn)
    .await?;
    clinics::table
        .find(clinic_id)
        .select(clinics::status)
        .first(conn)
        .await
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

pub async fn live_packages(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
) -> QueryResult<Vec<TreatmentPackage>> {
    treatment_packages::table
        .filter(treatment_packages::clinic_id.eq(clinic_id))
        .filter(treatment_packages::deleted_at.is_null())
        .order(treatment_packages::created_at.asc())
        .select(TreatmentPackage::as_select())
        .load(conn)
        .await
}

/// Replaces a clinic's live packages with `packages` (old ones are unlisted, not deleted).
pub async fn replace_packages(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
    packages: &[PackageInput],
    inclusion_vocabulary: &[String],
) -> QueryResult<()> {
    diesel::update(
        treatment_packages::table
            .filter(treatment_packages::clinic_id.eq(clinic_id))
            .filter(treatment_packages::deleted_at.is_null()),
    )
    .set((
        treatment_packages::status.eq("unlisted"),
        treatment_packages::deleted_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    for package in packages {
        write_package(conn, clinic_id, None, package, inclusion_vocabulary).await?;
    }
    Ok(())
}

pub async fn set_input_hash(conn: &mut AsyncPgConnection, clinic_id: Uuid, hash: &[u8]) -> QueryResult<()> {
    diesel::update(clinics::table.find(clinic_id))
        .set(clinics::input_hash.eq(hash))
        .execute(conn)
        .await?;
    Ok(())
}
