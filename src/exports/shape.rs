//! The wire shape of an export: one [`ExportLine`] per NDJSON line.
//!
//! Resources use a compact export shape of their own rather than the catalogue's full responses:
//! only the listing's own fields, which move `updated_at` when they change. Derived data (score,
//! red flags, evidence links, converted prices) can change without a new `updated_at`, so it is left
//! out rather than exported stale; fetch `GET /v1/clinics/{id}` for it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::clinics::model::Clinic;
use crate::red_flags::disclosures::Disclosures;
use crate::treatment_packages::model::TreatmentPackage;
use crate::treatment_packages::present::PackagePrice;

/// One line of `GET /v1/exports`, told apart by `type`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExportLine {
    /// A public clinic as it is now, or (with `deleted: true` and no `resource`) a tombstone: the
    /// clinic was deleted or is no longer public (unlisted, waiting for moderation, rejected).
    Clinic {
        id: Uuid,
        /// When the clinic last changed; with `since`, always later than `since`.
        updated_at: DateTime<Utc>,
        /// Present (and `true`) only on tombstones.
        #[serde(skip_serializing_if = "Option::is_none")]
        deleted: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        resource: Option<ClinicExport>,
    },
    /// A public treatment package, or its tombstone (the package or its clinic is no longer public).
    TreatmentPackage {
        id: Uuid,
        /// The later of the package's and its clinic's last change.
        updated_at: DateTime<Utc>,
        /// Present (and `true`) only on tombstones.
        #[serde(skip_serializing_if = "Option::is_none")]
        deleted: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        resource: Option<PackageExport>,
    },
    /// The last line of a complete export.
    ExportComplete {
        /// Pass this as `since` next time: nothing changed at or before it is missing from this export.
        transaction_time: DateTime<Utc>,
        /// Resource and tombstone lines sent before this one.
        count: u64,
    },
    /// The export failed part-way (the status line was already sent); start it again with the same `since`.
    ExportError {
        /// What failed, without internals.
        detail: String,
    },
}

/// A clinic in an export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClinicExport {
    pub id: Uuid,
    #[schema(example = "liv-hospital-ulus")]
    pub slug: String,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "TR")]
    pub country: String,
    pub city: Option<String>,
    /// `https:` URL, where known.
    pub website: Option<String>,
    /// BCP 47 tags.
    pub languages: Vec<String>,
    /// What the listing discloses about its protocol, ethics approval, deposit and reviews (null
    /// fields: not stated).
    pub disclosures: Disclosures,
    pub specialties: Vec<String>,
    pub description: String,
    /// Everything the source says the clinic treats.
    pub conditions_treated: Vec<String>,
    /// Accreditations on record.
    #[schema(value_type = Vec<Object>)]
    pub accreditations: serde_json::Value,
    /// Where the facts come from.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ClinicExport {
    /// The export shape of `clinic`.
    pub fn of(clinic: &Clinic) -> Self {
        Self {
            id: clinic.id,
            slug: clinic.slug.clone(),
            name: clinic.name.clone(),
            country: clinic.country_code.clone(),
            city: clinic.city.clone(),
            website: clinic.website.clone(),
            languages: clinic.languages.clone(),
            disclosures: Disclosures::from(&clinic.disclosures.facts()),
            specialties: clinic.specialties.clone(),
            description: clinic.description.clone(),
            conditions_treated: clinic.conditions_treated.clone(),
            accreditations: clinic.accreditations.clone(),
            source: clinic.source.clone(),
            created_at: clinic.created_at,
            updated_at: clinic.updated_at,
        }
    }
}

/// A treatment package in an export. Prices are indicative and dated (`price_as_of`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageExport {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub slug: String,
    pub title: String,
    /// Condition slugs covered.
    pub conditions: Vec<String>,
    pub cell_type: Option<String>,
    pub cell_source: Option<String>,
    pub administration_method: Option<String>,
    pub injections: Option<i32>,
    pub price: PackagePrice,
    /// `per_injection` or `package`.
    pub price_basis: String,
    /// `regional_indicative`, `clinic_listed` or `firm_offer`.
    pub price_provenance: String,
    #[schema(value_type = String, format = Date)]
    pub price_as_of: NaiveDate,
    pub inclusions: Vec<String>,
    pub exclusions: Vec<String>,
    /// Items the source says nothing about.
    pub unknown_items: Vec<String>,
    pub protocol_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PackageExport {
    /// The export shape of `package`.
    pub fn of(package: &TreatmentPackage) -> Self {
        Self {
            id: package.id,
            clinic_id: package.clinic_id,
            slug: package.slug.clone(),
            title: package.title.clone(),
            conditions: package.conditions.clone(),
            cell_type: package.cell_type.clone(),
            cell_source: package.cell_source.clone(),
            administration_method: package.administration_method.clone(),
            injections: package.injections,
            price: PackagePrice::of(package),
            price_basis: package.price_basis.clone(),
            price_provenance: package.price_provenance.clone(),
            price_as_of: package.price_as_of,
            inclusions: package.inclusions.clone(),
            exclusions: package.exclusions.clone(),
            unknown_items: package.unknown_items.clone(),
            protocol_url: package.protocol_url.clone(),
            created_at: package.created_at,
            updated_at: package.updated_at,
        }
    }
}
