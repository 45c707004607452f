//! How listings become FHIR resources.
//!
//! - A public clinic is one `Organization` and one `Location`, both with the clinic's id (FHIR ids
//!   are unique per resource type), identified by `urn:stemcare:clinic` + the clinic's slug.
//! - A public treatment package is one `HealthcareService` (id = package id, identifier
//!   `urn:stemcare:treatment-package` + slug), provided by the clinic's `Organization` at its
//!   `Location`. Its price goes in `comment` as text, and `extraDetails` says that prices are
//!   indicative and dated: FHIR R4 has no price element for a service, and none is invented here.
//! - Nothing unknown is filled in: a clinic without a website has no `telecom`, one without a city
//!   has an address with only its country.

use crate::clinics::model::Clinic;
use crate::fhir::resources::{
    instant, Address, CodeableConcept, Coding, ContactPoint, HealthcareService, Identifier, Location, Meta,
    Organization, Reference,
};
use crate::treatment_packages::model::TreatmentPackage;

/// Identifier system of clinics (value: the clinic's slug).
pub const CLINIC_SYSTEM: &str = "urn:stemcare:clinic";
/// Identifier system of treatment packages (value: the package's slug).
pub const PACKAGE_SYSTEM: &str = "urn:stemcare:treatment-package";

fn telecom(clinic: &Clinic) -> Vec<ContactPoint> {
    clinic
        .website
        .iter()
        .map(|url| ContactPoint {
            system: "url".to_owned(),
            value: url.clone(),
        })
        .collect()
}

fn address(clinic: &Clinic) -> Address {
    Address {
        city: clinic.city.clone(),
        country: clinic.country_code.clone(),
    }
}

fn clinic_identifier(clinic: &Clinic) -> Vec<Identifier> {
    vec![Identifier {
        system: CLINIC_SYSTEM.to_owned(),
        value: clinic.slug.clone(),
    }]
}

/// The clinic as an `Organization` of type `prov` (healthcare provider).
pub fn organization(clinic: &Clinic) -> Organization {
    Organization {
        resource_type: "Organization",
        id: clinic.id.to_string(),
        meta: Meta {
            last_updated: instant(clinic.updated_at),
        },
        identifier: clinic_identifier(clinic),
        active: true,
        kind: vec![CodeableConcept {
            coding: vec![Coding {
                system: "http://terminology.hl7.org/CodeSystem/organization-type".to_owned(),
                code: "prov".to_owned(),
                display: "Healthcare Provider".to_owned(),
            }],
            text: None,
        }],
        name: clinic.name.clone(),
        telecom: telecom(clinic),
        address: vec![address(clinic)],
    }
}

/// The clinic's premises as a `Location` managed by its `Organization`.
pub fn location(clinic: &Clinic) -> Location {
    Location {
        resource_type: "Location",
        id: clinic.id.to_string(),
        meta: Meta {
            last_updated: instant(clinic.updated_at),
        },
        identifier: clinic_identifier(clinic),
        status: "active",
        name: clinic.name.clone(),
        mode: "instance",
        telecom: telecom(clinic),
        address: address(clinic),
        managing_organization: Reference {
            reference: format!("Organization/{}", clinic.id),
            display: Some(clinic.name.clone()),
        },
    }
}

/// The price as plain text, e.g. `Indicative price: 7000.00–10500.00 USD per package, as of 2025-06-01 (regional_indicative)`.
pub fn price_text(package: &TreatmentPackage) -> String {
    let amount = match (package.price_kind.as_str(), package.price_max) {
        ("from", _) | (_, None) => format!("from {}", package.price_min),
        (_, Some(max)) if max == package.price_min => package.price_min.to_string(),
        (_, Some(max)) => format!("{}–{}", package.price_min, max),
    };
    let basis = if package.price_basis == "per_injection" {
        "per injection"
    } else {
        "per package"
    };
    format!(
        "Indicative price: {amount} {} {basis}, as of {} ({})",
        package.currency, package.price_as_of, package.price_provenance
    )
}

/// A package as a `HealthcareService` of `clinic`.
pub fn healthcare_service(package: &TreatmentPackage, clinic_name: Option<&str>) -> HealthcareService {
    let mut characteristic = Vec::new();
    let facts = [
        ("Cell source", package.cell_source.clone()),
        ("Administration method", package.administration_method.clone()),
        ("Injections", package.injections.map(|n| n.to_string())),
    ];
    for (label, value) in facts {
        if let Some(value) = value {
            characteristic.push(CodeableConcept::text(format!("{label}: {value}")));
        }
    }
    let program = package
        .cell_type
        .iter()
        .map(|cell_type| CodeableConcept::text(format!("Cell type: {cell_type}")))
        .collect();
    HealthcareService {
        resource_type: "HealthcareService",
        id: package.id.to_string(),
        meta: Meta {
            last_updated: instant(package.updated_at),
        },
        identifier: vec![Identifier {
            system: PACKAGE_SYSTEM.to_owned(),
            value: package.slug.clone(),
        }],
        active: true,
        provided_by: Reference {
            reference: format!("Organization/{}", package.clinic_id),
            display: clinic_name.map(str::to_owned),
        },
        category: vec![CodeableConcept::text("Stem cell therapy")],
        kind: package
            .conditions
            .iter()
            .map(|condition| CodeableConcept::text(format!("Stem cell therapy for {condition}")))
            .collect(),
        location: vec![Reference {
            reference: format!("Location/{}", package.clinic_id),
            display: clinic_name.map(str::to_owned),
        }],
        name: package.title.clone(),
        comment: price_text(package),
        extra_details: format!(
            "Prices are indicative and dated (as of {}), not a quote; ask the clinic for a firm offer. \
Not included: {}. Unknown (ask before booking): {}. StemCare is an information service, not medical advice.",
            package.price_as_of,
            list_or_none(&package.exclusions),
            list_or_none(&package.unknown_items),
        ),
        characteristic,
        program,
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none stated".to_owned()
    } else {
        items.join(", ")
    }
}
