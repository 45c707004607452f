//! Operations endpoints: liveness and readiness probes for load balancers, and Prometheus metrics.

mod metrics;
mod probes;
mod repo;

pub use probes::HealthStatus;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(probes::healthz)
        .service(probes::readyz)
        .service(metrics::get_metrics);
}
