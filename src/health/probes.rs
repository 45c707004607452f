//! Liveness and readiness probes for load balancers and orchestrators.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem, ProblemKind};
use crate::state::AppState;

/// The body of a successful probe.
#[derive(Serialize, ToSchema)]
pub struct HealthStatus {
    /// Always `ok` when the probe succeeds.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness probe
///
/// Answers 200 while the process runs, without touching the database. Use it for restarts, not for
/// routing traffic.
#[utoipa::path(
    tag = "health",
    responses((status = 200, description = "The process is alive", body = HealthStatus)),
    security(())
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(HealthStatus { status: "ok" })
}

/// Readiness probe
///
/// Answers 200 only when the database answers and no migration is pending; otherwise a 503 problem. Use
/// it to decide whether to route traffic to this instance.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve traffic", body = HealthStatus),
        (status = 503, description = "The database is unreachable or migrations are pending",
         body = Problem, content_type = "application/problem+json")
    ),
    security(())
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if std::sync::atomic::AtomicBool::load(&state.shutting_down, std::sync::atomic::Ordering::Relaxed) {
        return Err(ApiError::new(
            ProblemKind::Unavailable,
            "shutting down: finishing in-flight requests",
        ));
    }
    match crate::db::readiness(&state.pool).await {
        Ok(()) => Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(HealthStatus { status: "ok" })),
        Err(reason) => {
            log::warn!("not ready: {reason}");
            Err(ApiError::new(
                ProblemKind::Unavailable,
                "not ready: the database is unreachable or migrations are pending",
            ))
        }
    }
}
