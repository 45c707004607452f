//! `GET /v1/clinics/{id}`: one clinic with what a patient should see next to it (issue 20 §4,
//! issue 21 §1/§3): its packages, its verified reviews at a glance, its named practitioners with
//! their licence standing, and each trial it cites with what the registry and StemCare's
//! coordinators say of it.
//!
//! It lives above `clinics` rather than in it because practitioners, verifications and the trial
//! registry sit above `clinics` (their writes refresh listings, which import clinics): `clinics`
//! importing them would close an import cycle (docs/CONVENTIONS.md §1). So this module composes
//! `clinics::routes::present_with_packages` with those resources' repositories and views. It owns
//! no table, so it has no `repo.rs`: every read is another resource's repository function, each
//! taking the shared connection so the detail's reads are pipelined.

pub mod domain;
pub mod dto;
mod routes;

/// Registers `GET /v1/clinics/{id}`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(routes::get_clinic);
}
