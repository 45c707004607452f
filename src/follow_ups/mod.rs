//! Outcome follow-up (issue 20 §3): a baseline before treatment and 3, 6, 12 and 24 months after
//! it. Patients answer (scores encrypted at rest) or skip inside each window; a worker announces
//! due follow-ups to the coordinators' webhooks; with the patient's separate consent, de-identified
//! rows go to the public outcome registry (`outcome_registry`). See `docs/OUTCOMES.md`.

pub mod announce;
pub mod context;
pub mod domain;
pub mod dto;
pub mod erasure;
pub mod registry;
pub mod repo;
pub mod routes;

/// Registers the follow-up endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(routes::list::list_follow_ups)
        .service(routes::answer::answer_follow_up)
        .service(routes::answer::skip_follow_up)
        .service(routes::consent::set_registry_consent);
}
