//! Verifications expire on their date: the day after `valid_until`, the claim no longer counts.
//! Public reads compare with the server's clock directly; the stored flags and scores are
//! recomputed by this worker, which applies each expiry once (recorded in
//! `verification_expiries`) with the same clock, so tests that move the clock see it happen.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::red_flags::engine::RuleBook;
use crate::state::AppState;
use crate::verifications::repo;

/// How often the worker looks for expired verifications (a query on a partial index).
pub const TICK: Duration = Duration::from_secs(2);

/// The most expiries applied in one round.
const BATCH: i64 = 100;

/// Applies every due expiry: marks it, then recomputes the flags and score of its clinic. Returns
/// how many were applied.
pub async fn apply_due(
    conn: &mut AsyncPgConnection,
    book: &RuleBook,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    conn.transaction(async |conn| {
        let due = repo::claim_expired(conn, today, BATCH).await?;
        let mut clinics: Vec<uuid::Uuid> = due.iter().map(|d| d.clinic_id).collect();
        clinics.sort_unstable();
        clinics.dedup();
        for expired in &due {
            repo::mark_expired(conn, expired.id, now).await?;
        }
        for clinic_id in clinics {
            crate::listings::refresh_clinic(conn, book, clinic_id).await?;
        }
        Ok(due.len())
    })
    .await
}

/// Starts the worker on `state`'s pool and clock; it stops with the server.
pub fn spawn_worker(state: &AppState) {
    let clock = state.clock.clone();
    let rules = state.rules.clone();
    crate::periodic::spawn_periodic(
        "verification expiry",
        state.pool.clone(),
        TICK,
        state.shutting_down.clone(),
        move |conn| {
            let (clock, rules) = (clock.clone(), rules.clone());
            Box::pin(async move {
                match apply_due(conn, &rules, clock.today(), clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => log::info!("applied {n} verification expiry(ies)"),
                    Err(e) => log::warn!("verification expiry worker failed: {e}"),
                }
            })
        },
    );
}
