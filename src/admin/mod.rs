//! Staff administration with admin keys: the moderation queue, exchange rates, partners and keys,
//! the audit log and the evidence base. Every admin write is itself audited.
//!
//! One sub-resource per file: `routes/<sub-resource>.rs` (handlers), `repo/<sub-resource>.rs`
//! (its statements), `dto.rs` (wire types) and `domain.rs` (parsed requests).

mod domain;
mod dto;
mod repo;
mod routes;

/// Registers the admin endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::configure(cfg);
}
