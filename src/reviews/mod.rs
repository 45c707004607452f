//! Verified reviews (issue 20 §4): a patient whose quote reached `treated` reviews the clinic
//! from 14 days after the treatment date, may edit for 30 days (history kept, privately), and the
//! clinic may reply once. Text is screened before publishing (contact details, other people's
//! health, abuse: a 422 says what to remove) and claims are flagged by the red-flag rules, never
//! hidden. Publicly a reviewer is "verified patient, treated <Month YYYY>": no quote id, no name.
//! See `docs/REVIEWS.md`.

pub mod domain;
pub mod dto;
pub mod model;
pub mod repo;
mod routes;
pub mod screening;

/// Registers the review endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::configure(cfg);
}
