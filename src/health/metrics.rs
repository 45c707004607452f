//! `GET /metrics`: the instance's request metrics (`crate::metrics`), database pool state and the
//! backlog of background work, in the Prometheus text format, for staff keys only.

use std::fmt::Write;

use actix_web::{get, web, HttpResponse};

use crate::auth::{forbidden, BearerToken};
use crate::error::{ApiError, Problem};
use crate::health::repo;
use crate::state::AppState;

/// Prometheus metrics
///
/// Request counts and latency histograms by method, route pattern and status, database pool
/// state, where catalogue reads went (primary or each read replica) with each replica's state
/// and lag, and the backlog of background work. Staff keys only (scrapers send a bearer token).
#[utoipa::path(
    tag = "meta",
    responses(
        (status = 200, description = "Prometheus text exposition format", content_type = "text/plain"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/metrics")]
pub async fn get_metrics(state: web::Data<AppState>, bearer: BearerToken) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    if !bearer.api_key(&mut conn).await?.is_staff() {
        return Err(forbidden("metrics need a staff key"));
    }
    let mut out = String::new();
    state.metrics.render_requests(&mut out);

    let pool = state.pool.status();
    out.push_str("# HELP stemcare_db_pool_connections Database pool connections by state.\n");
    out.push_str("# TYPE stemcare_db_pool_connections gauge\n");
    let _ = writeln!(
        out,
        "stemcare_db_pool_connections{{state=\"max\"}} {}",
        pool.max_size
    );
    let _ = writeln!(
        out,
        "stemcare_db_pool_connections{{state=\"open\"}} {}",
        pool.size
    );
    let _ = writeln!(
        out,
        "stemcare_db_pool_connections{{state=\"idle\"}} {}",
        pool.available
    );
    let _ = writeln!(out, "stemcare_db_pool_waiting {}", pool.waiting);
    out.push_str("# HELP stemcare_db_shared_connections_open Open connections shared by catalogue reads (all workers).\n");
    out.push_str("# TYPE stemcare_db_shared_connections_open gauge\n");
    let _ = writeln!(
        out,
        "stemcare_db_shared_connections_open {}",
        state.reads.open_connections()
    );

    render_read_routing(&state.reads, &mut out);

    let backlog = repo::worker_backlog(&mut conn).await?;
    out.push_str("# HELP stemcare_worker_backlog Work due but not done yet, by worker.\n");
    out.push_str("# TYPE stemcare_worker_backlog gauge\n");
    let _ = writeln!(
        out,
        "stemcare_worker_backlog{{worker=\"webhooks\"}} {}",
        backlog.due_deliveries
    );
    let _ = writeln!(
        out,
        "stemcare_worker_backlog{{worker=\"expiry\"}} {}",
        backlog.due_expiries
    );
    out.push_str("# HELP stemcare_webhook_deliveries_failed Deliveries that gave up after 3 days.\n");
    out.push_str("# TYPE stemcare_webhook_deliveries_failed gauge\n");
    let _ = writeln!(
        out,
        "stemcare_webhook_deliveries_failed {}",
        backlog.failed_deliveries
    );
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .insert_header(("cache-control", "no-store"))
        .body(out))
}

/// Catalogue reads by where they went, and each replica's state and lag.
fn render_read_routing(reads: &crate::db::replicas::CatalogueReads, out: &mut String) {
    use crate::db::replicas::ReplicaState;
    let replicas = reads.replicas();
    out.push_str(
        "# HELP stemcare_catalogue_reads_total Public catalogue reads by the server that answered them.\n",
    );
    out.push_str("# TYPE stemcare_catalogue_reads_total counter\n");
    let _ = writeln!(
        out,
        "stemcare_catalogue_reads_total{{source=\"primary\"}} {}",
        reads.primary_reads()
    );
    for replica in &replicas {
        let _ = writeln!(
            out,
            "stemcare_catalogue_reads_total{{source=\"{}\"}} {}",
            replica.name, replica.reads
        );
    }
    if replicas.is_empty() {
        return;
    }
    out.push_str("# HELP stemcare_replica_state Each read replica's state at its last check (1 for the current one).\n");
    out.push_str("# TYPE stemcare_replica_state gauge\n");
    for replica in &replicas {
        for state in ReplicaState::ALL {
            let _ = writeln!(
                out,
                "stemcare_replica_state{{replica=\"{}\",state=\"{}\"}} {}",
                replica.name,
                state.as_str(),
                u8::from(replica.state == state)
            );
        }
    }
    out.push_str("# HELP stemcare_replica_lag_seconds How far each read replica was behind the primary at its last check (absent while unmeasured).\n");
    out.push_str("# TYPE stemcare_replica_lag_seconds gauge\n");
    for replica in &replicas {
        if let Some(lag_ms) = replica.lag_ms {
            let _ = writeln!(
                out,
                "stemcare_replica_lag_seconds{{replica=\"{}\"}} {:.3}",
                replica.name,
                lag_ms as f64 / 1000.0
            );
        }
    }
}
