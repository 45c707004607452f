//! Treatment records (issue 20 §1): after a patient accepts an offer, the treating clinic's
//! partner (or staff) records what was delivered, or why nothing was; the quote then ends
//! `treated` or `not_treated`. Clinical details are health data: encrypted at rest, shown only to
//! the patient, the treating clinic and staff, never in webhooks or logs.

pub mod domain;
pub mod dto;
pub mod model;
pub mod repo;
pub mod routes;

/// Registers the treatment record endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::configure(cfg);
}
