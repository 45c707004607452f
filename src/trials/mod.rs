//! The trial finder (issue 21 §2): `GET /v1/trials` and `GET /v1/trials/{nct_id}` over a local
//! mirror of ClinicalTrials.gov studies with stem cell or MSC interventions for the catalogue's
//! conditions (`refresh`), plus trials named in StemCare's sources (seeded).

pub mod domain;
pub mod dto;
pub mod refresh;
pub mod repo;
mod routes;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(routes::list::list_trials)
        .service(routes::get::get_trial);
}
