//! The handover pack for the home doctor (issue 20 §2): what was given and where, adverse events
//! during the stay, the complications the references name, who the clinic is, the evidence with
//! its certainty and the follow-up schedule, each with its source; as JSON or a printable HTML
//! page. The patient can give a doctor a time-limited, revocable, read-only link to it.

pub mod domain;
pub mod dto;
pub mod html;
pub mod pack;
pub mod repo;
pub mod routes;

/// Registers the handover endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::configure(cfg);
}
