//! A read-only FHIR R4 directory of the public catalogue (`/fhir/r4`): clinics as `Organization`
//! and `Location`, treatment packages as `HealthcareService`, searchset Bundles with `_count`,
//! `_lastUpdated`, `address-country` and signed `next` links, and a `CapabilityStatement`.
//! Named practitioners are `Practitioner` (licence as `qualification`, its check as a contained
//! `VerificationResult`) and `PractitionerRole` (at the clinic's Organization and Location).
//! Only public, approved listings appear; errors are `OperationOutcome`s (`application/fhir+json`).

mod capability;
pub mod map;
pub mod outcome;
pub mod practitioner_map;
pub mod practitioner_resources;
mod repo;
pub mod resources;
mod routes;
pub mod search;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the FHIR endpoints (for actix and OpenAPI together).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(capability::get_capability_statement)
        .service(routes::search_organizations)
        .service(routes::read_organization)
        .service(routes::search_locations)
        .service(routes::read_location)
        .service(routes::search_healthcare_services)
        .service(routes::read_healthcare_service)
        .service(routes::search_practitioners)
        .service(routes::read_practitioner)
        .service(routes::search_practitioner_roles)
        .service(routes::read_practitioner_role);
}
