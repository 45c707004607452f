//! The public outcome registry (issue 20 §5): de-identified follow-up answers of patients who
//! consented, summarised per clinic and per condition × cell type × country. The follow-ups hand
//! their rows over through [`repo`]; this module never sees a quote or a person.

pub mod domain;
pub mod dto;
pub mod repo;
pub mod routes;
pub mod stats;
pub mod summary;

/// Registers `GET /v1/outcome-registry`.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(routes::get_outcome_registry);
}
