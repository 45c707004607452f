//! Staff administration with admin keys: the moderation queue, exchange rates, partners and keys,
//! and the audit log. Every admin write is itself audited.

mod evidence;
mod routes;

/// Registers the admin endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::configure(cfg);
    evidence::configure(cfg);
}
