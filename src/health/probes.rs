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

/// The body of a successful readiness probe.
#[derive(Serialize, ToSchema)]
pub struct ReadinessStatus {
    /// Always `ok` when the probe succeeds: the primary answers and no migration is pending.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// Each configured read replica (`STEMCARE_READ_REPLICA_URLS`), in configuration order; empty
    /// without replicas. A replica that is down or lagging does not make the instance unready:
    /// the primary serves its reads.
    pub replicas: Vec<ReplicaReadiness>,
}

/// One read replica as the instance last measured it (its address is never shown).
#[derive(Serialize, ToSchema)]
pub struct ReplicaReadiness {
    /// `replica-1`, `replica-2`, … in the order of `STEMCARE_READ_REPLICA_URLS`.
    #[schema(example = "replica-1")]
    pub name: String,
    /// `healthy`: catalogue reads go to it; `lagging`: further behind the primary than
    /// `STEMCARE_REPLICA_MAX_LAG_MS`, skipped; `down`: not answering or not a standby, skipped;
    /// `unknown`: not checked yet, skipped.
    #[schema(example = "healthy")]
    pub state: &'static str,
    /// How far behind the primary it was at the last check, in milliseconds (precise to one
    /// check interval); `null` when unmeasured.
    #[schema(example = 12)]
    pub lag_ms: Option<u64>,
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
/// it to decide whether to route traffic to this instance. The body lists each read replica's
/// state and lag; a replica down or lagging leaves the answer 200, since the primary then serves
/// the reads it would have.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve traffic", body = ReadinessStatus),
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
            .json(ReadinessStatus {
                status: "ok",
                replicas: state
                    .reads
                    .replicas()
                    .into_iter()
                    .map(|r| ReplicaReadiness {
                        name: r.name,
                        state: r.state.as_str(),
                        lag_ms: r.lag_ms,
                    })
                    .collect(),
            })),
        Err(reason) => {
            log::warn!("not ready: {reason}");
            Err(ApiError::new(
                ProblemKind::Unavailable,
                "not ready: the database is unreachable or migrations are pending",
            ))
        }
    }
}
