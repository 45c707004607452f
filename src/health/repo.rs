//! The counts `/metrics` reports about background work.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{quotes, webhook_deliveries};
use crate::quotes::domain::QuoteStatus;
use crate::webhooks::domain::DeliveryStatus;

/// Work due but not done yet, and deliveries that gave up.
pub struct WorkerBacklog {
    pub due_deliveries: i64,
    pub failed_deliveries: i64,
    pub due_expiries: i64,
}

pub async fn worker_backlog(conn: &mut AsyncPgConnection) -> QueryResult<WorkerBacklog> {
    let due_deliveries: i64 = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
        .filter(webhook_deliveries::next_attempt_at.le(diesel::dsl::now))
        .count()
        .get_result(conn)
        .await?;
    let failed_deliveries: i64 = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Failed))
        .count()
        .get_result(conn)
        .await?;
    let due_expiries: i64 = quotes::table
        .filter(quotes::status.eq_any(QuoteStatus::EXPIRABLE))
        .filter(quotes::expires_at.le(diesel::dsl::now))
        .count()
        .get_result(conn)
        .await?;
    Ok(WorkerBacklog {
        due_deliveries,
        failed_deliveries,
        due_expiries,
    })
}
