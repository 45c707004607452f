//! The cost estimate endpoint.

mod estimate;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(estimate::get_cost_estimate);
}
