//! Quotes: a patient's request, an instant ranked estimate, firm offers from clinics, and the
//! patient's acceptance — with personal data encrypted at rest and shared only with consent.

pub mod contact;
pub mod domain;
pub mod dto;
pub mod erasure;
pub mod expiry;
pub mod matching;
pub mod model;
mod present;
pub mod repo;
pub mod routes;

/// Registers the quote and offer endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::configure(cfg);
}
