//! Prometheus metrics: request counts and latency histograms by method, route pattern and status;
//! database pool state; background work backlog. Served at `GET /metrics` to staff keys only.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use actix_web::{get, web, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{forbidden, BearerToken};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Request metrics of one instance.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Histogram>>,
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut requests) = self.requests.lock() else {
            return;
        };
        let histogram = requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        histogram.count += 1;
        histogram.sum += seconds;
        for (bucket, bound) in histogram.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    fn render_requests(&self, out: &mut String) {
        let Ok(requests) = self.requests.lock() else {
            return;
        };
        out.push_str(
            "# HELP stemcare_http_requests_total Requests served, by method, route pattern and status.\n",
        );
        out.push_str("# TYPE stemcare_http_requests_total counter\n");
        for ((method, route, status), h) in requests.iter() {
            let _ = writeln!(
                out,
                "stemcare_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                h.count
            );
        }
        out.push_str("# HELP stemcare_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE stemcare_http_request_duration_seconds histogram\n");
        for ((method, route, status), h) in requests.iter() {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape(route)
            );
            for (bound, count) in BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(
                    out,
                    "stemcare_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "stemcare_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "stemcare_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "stemcare_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_metrics);
}

/// Prometheus metrics
///
/// Request counts and latency histograms by method, route pattern and status, database pool
/// state, and the backlog of background work. Staff keys only (scrapers send a bearer token).
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

    use crate::db::schema::{quotes, webhook_deliveries};
    let due_deliveries: i64 = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::next_attempt_at.le(diesel::dsl::now))
        .count()
        .get_result(&mut conn)
        .await?;
    let failed_deliveries: i64 = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("failed"))
        .count()
        .get_result(&mut conn)
        .await?;
    let due_expiries: i64 = quotes::table
        .filter(quotes::status.eq_any(["open", "offered"]))
        .filter(quotes::expires_at.le(diesel::dsl::now))
        .count()
        .get_result(&mut conn)
        .await?;
    out.push_str("# HELP stemcare_worker_backlog Work due but not done yet, by worker.\n");
    out.push_str("# TYPE stemcare_worker_backlog gauge\n");
    let _ = writeln!(
        out,
        "stemcare_worker_backlog{{worker=\"webhooks\"}} {due_deliveries}"
    );
    let _ = writeln!(out, "stemcare_worker_backlog{{worker=\"expiry\"}} {due_expiries}");
    out.push_str("# HELP stemcare_webhook_deliveries_failed Deliveries that gave up after 3 days.\n");
    out.push_str("# TYPE stemcare_webhook_deliveries_failed gauge\n");
    let _ = writeln!(out, "stemcare_webhook_deliveries_failed {failed_deliveries}");
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .insert_header(("cache-control", "no-store"))
        .body(out))
}
