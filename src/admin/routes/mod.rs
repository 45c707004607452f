//! The admin handlers, one file per sub-resource. Each checks the admin key first
//! ([`crate::auth::require_admin`]).

mod api_keys;
mod audit_log;
mod evidence;
mod exchange_rates;
mod moderation;
mod partners;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every admin endpoint.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(moderation::moderation_queue)
        .service(moderation::moderate_listing)
        .service(exchange_rates::put_exchange_rate)
        .service(partners::create_partner)
        .service(partners::list_partners)
        .service(api_keys::create_api_key)
        .service(api_keys::list_api_keys)
        .service(api_keys::revoke_api_key)
        .service(api_keys::rotate_api_key)
        .service(audit_log::read_audit_log);
    evidence::configure(cfg);
}
