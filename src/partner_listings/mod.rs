//! Partner listing management: partners create and edit their own clinics and packages (JSON
//! Merge Patch with `If-Match`), upsert by their own ids, and import in bulk. Every change re-runs
//! the red-flag rules and the score; flagged listings wait for moderation before they are public.
//! `write` is the write sequence (ETag, `If-Match`, lost races, replayable responses) shared with
//! the other partner-managed resources.

mod body;
pub mod domain;
pub mod dto;
pub mod repo;
mod routes;
mod view;
pub mod write;

/// Registers the partner listing endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::configure(cfg);
}
