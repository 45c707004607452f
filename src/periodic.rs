//! Background workers: one round of work every `interval` on a pooled connection, until shutdown.
//! Quote expiry and webhook delivery run this way; several instances may run them at once, since
//! each round claims its rows with `FOR UPDATE SKIP LOCKED`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel_async::AsyncPgConnection;

use crate::db::DbPool;

/// One round of a worker, borrowing its connection.
pub type Round<'c> = Pin<Box<dyn Future<Output = ()> + Send + 'c>>;

/// Runs `round` every `interval` until `stop` is set. Once shutdown starts no new round begins
/// (work a round had claimed keeps its lease, so another instance can take it over); a round
/// skipped because the database is down is retried at the next tick.
pub fn spawn_periodic<F>(
    name: &'static str,
    pool: DbPool,
    interval: Duration,
    stop: Arc<AtomicBool>,
    mut round: F,
) where
    F: for<'c> FnMut(&'c mut AsyncPgConnection) -> Round<'c> + Send + 'static,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            if stop.load(Ordering::Relaxed) {
                log::info!("{name} worker stopped");
                return;
            }
            let Ok(mut conn) = pool.get().await else {
                log::warn!("{name} worker: database unavailable; will retry");
                continue;
            };
            round(&mut conn).await;
        }
    });
}
