//! Verification records: what a coordinator checked (a practitioner's licence, a clinic's
//! accreditation, a trial claim), against which primary source, by whom, when, with what result
//! and until when it holds. Append-only: a newer record on the same subject supersedes the older
//! one. Only a current `verified` record makes a claim count in ranking, the scorecard and
//! `NO_NAMED_DOCTOR`; everything else is shown as "claimed by the clinic" (docs/PRACTITIONERS.md).

pub mod domain;
pub mod dto;
pub mod expiry;
pub mod model;
pub mod repo;
mod routes;

/// Registers the verification endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::configure(cfg);
}
