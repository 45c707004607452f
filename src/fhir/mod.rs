//! A read-only FHIR R4 directory of the public catalogue (`/fhir/r4`): clinics as `Organization`
//! and `Location`, treatment packages as `HealthcareService`, searchset Bundles with `_count`,
//! `_lastUpdated`, `address-country` and signed `next` links, and a `CapabilityStatement`.
//! Only public, approved listings appear; errors are `OperationOutcome`s (`application/fhir+json`).

mod capability;
pub mod map;
pub mod outcome;
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
        .service(routes::read_healthcare_service);
}
