//! Named practitioners of clinics. Partners manage those of their own clinics, as they manage
//! listings (ETag and `If-Match`, JSON Merge Patch, idempotent create, moderation when a red-flag
//! rule fires on their free text); the public reads them with each licence marked verified (by a
//! current verification record) or claimed by the clinic. Every change recomputes the clinic's
//! flags (`NO_NAMED_DOCTOR`) and score.

pub mod domain;
pub mod dto;
pub mod model;
pub mod repo;
mod routes;
pub mod view;

/// Registers the practitioner endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::configure(cfg);
}
