//! The lookup worker: fetches due NCT ids from the registry, stores what it answered, and
//! re-evaluates the clinics that cite them. Several instances may run it: a lookup is leased when
//! claimed (`repo::claim_due`), so no two instances fetch one id at once.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::client::{Lookup, RegistryClient, RegistryError};
use super::{queue, repo};
use crate::clock::Clock;
use crate::red_flag_engine::RuleBook;
use crate::state::AppState;

/// Lookups one round makes at most (each waits for this instance's turn at the registry).
pub const LOOKUPS_PER_ROUND: usize = 5;
/// Clinics one round re-evaluates at most.
pub const EVALUATIONS_PER_ROUND: i64 = 50;
/// A claimed lookup is reserved this long: longer than waiting for a turn and one request take.
pub const LEASE_SECONDS: i64 = 600;
/// Waits after the 1st, 2nd, … failed attempt (not rate limiting); the last repeats.
pub const BACKOFF_SECONDS: [i64; 6] = [30, 120, 600, 3600, 6 * 3600, 24 * 3600];
/// A study once fetched is fetched again after this many days (statuses and results change).
pub const RECHECK_DAYS: i64 = 7;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Lookups answered (found or not found).
    pub answered: usize,
    /// Lookups that failed and will be retried.
    pub failed: usize,
    /// Clinics re-evaluated.
    pub evaluated: usize,
}

/// Starts the worker unless `STEMCARE_CTGOV_LOOKUP_INTERVAL_MS` is 0.
pub fn spawn_worker(state: &AppState, client: Arc<RegistryClient>) {
    let interval = state.settings.ctgov_lookup_interval_ms;
    if interval == 0 {
        return;
    }
    let clock = state.clock.clone();
    let book = state.rules.clone();
    crate::periodic::spawn_periodic(
        "trial registry lookups",
        state.pool.clone(),
        StdDuration::from_millis(interval as u64),
        state.shutting_down.clone(),
        move |conn| {
            let client = client.clone();
            let clock = clock.clone();
            let book = book.clone();
            Box::pin(async move {
                if let Err(e) = run_round(conn, &client, &clock, &book).await {
                    log::warn!("trial registry lookups: round failed: {e}");
                }
            })
        },
    );
}

/// One round: up to [`LOOKUPS_PER_ROUND`] due lookups, then the clinics waiting for re-evaluation.
pub async fn run_round(
    conn: &mut AsyncPgConnection,
    client: &RegistryClient,
    clock: &Clock,
    book: &RuleBook,
) -> QueryResult<Round> {
    let mut round = Round::default();
    for _ in 0..LOOKUPS_PER_ROUND {
        let Some(claimed) = queue::claim_due(conn, clock.now(), Duration::seconds(LEASE_SECONDS)).await?
        else {
            break;
        };
        let answer = client.study(&claimed.nct_id).await;
        let now = clock.now();
        match answer {
            Ok(lookup) => {
                let study = match &lookup {
                    Lookup::Found(study) => Some(study.as_ref()),
                    Lookup::NotFound => None,
                };
                let recheck_at = now + Duration::days(RECHECK_DAYS);
                queue::record_answer(conn, &claimed.nct_id, study, now, recheck_at).await?;
                round.answered += 1;
            }
            Err(error) => {
                let wait = match &error {
                    RegistryError::RateLimited { retry_after } => {
                        Duration::seconds(i64::try_from(retry_after.as_secs()).unwrap_or(3600).max(1))
                    }
                    _ => {
                        let index = usize::try_from(claimed.attempts.max(1) - 1)
                            .unwrap_or(0)
                            .min(BACKOFF_SECONDS.len() - 1);
                        Duration::seconds(BACKOFF_SECONDS[index])
                    }
                };
                log::info!("trial registry lookup of {} failed: {error}", claimed.nct_id);
                queue::record_failure(conn, &claimed.nct_id, &error.to_string(), now + wait).await?;
                round.failed += 1;
                if matches!(error, RegistryError::RateLimited { .. }) {
                    break;
                }
            }
        }
    }
    let today = clock.today();
    for clinic_id in repo::take_stale(conn, EVALUATIONS_PER_ROUND).await? {
        // One transaction, so no reader sees the new flags before the listing's derived
        // has_critical_flag (which keeps critically flagged listings out of default lists).
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            if super::evaluate_clinic(conn, book, clinic_id, today).await? {
                crate::listings::refresh_clinic(conn, book, clinic_id).await?;
            }
            Ok(())
        })
        .await?;
        round.evaluated += 1;
    }
    Ok(round)
}
