//! The background health check of the read replicas, and how their lag is measured.
//!
//! A background task checks every replica each `STEMCARE_REPLICA_CHECK_INTERVAL_MS`. Lag is
//! measured in WAL positions, not with `now() - pg_last_xact_replay_timestamp()`: that timestamp
//! is the commit time of the last replayed transaction, so on a primary with no writes it grows
//! without bound although the replica has everything. Instead the task samples the primary's
//! `pg_current_wal_flush_lsn()` (a standby can only receive flushed WAL; with the default
//! `synchronous_commit=on` every acknowledged commit is flushed) and remembers when each position
//! was first seen; a replica whose `pg_last_wal_replay_lsn()` is behind a sampled position has
//! been missing that WAL at least since the sample was taken. An idle primary therefore shows
//! lag 0, a paused or disconnected replica's lag grows from the first write it misses, and the
//! figure is precise to one check interval. A replica that does not answer, or is not in
//! recovery (promoted: it no longer follows the primary), is down.

use std::collections::VecDeque;
use std::sync::Weak;
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use super::{ReplicaSet, ReplicaState, REPLICA_CHECK_APPLICATION_NAME};
use crate::db::{session_setup, DbPool};

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    in_recovery: bool,
    /// Bytes since `0/0`; on a replica the last replayed position, on the primary the flushed one.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    lsn: Option<i64>,
}

const PRIMARY_POSITION: &str =
    "SELECT pg_is_in_recovery() AS in_recovery, (pg_current_wal_flush_lsn() - '0/0')::bigint AS lsn";
const REPLICA_POSITION: &str =
    "SELECT pg_is_in_recovery() AS in_recovery, (pg_last_wal_replay_lsn() - '0/0')::bigint AS lsn";

pub(super) async fn check_forever(set: Weak<ReplicaSet>, primary: DbPool) {
    let Some(first) = set.upgrade() else { return };
    let interval = first.check_interval;
    // A check never waits longer than this for one server, so one hung replica cannot stall the rest.
    let check_timeout = interval.max(Duration::from_secs(1));
    let mut history = LsnHistory::new((first.max_lag * 10).max(Duration::from_secs(60)));
    let mut probes: Vec<Option<AsyncPgConnection>> = first.replicas.iter().map(|_| None).collect();
    drop(first);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(set) = set.upgrade() else { return };
        match tokio::time::timeout(check_timeout, primary_position(&primary)).await {
            Ok(Ok(lsn)) => history.record(Instant::now(), lsn),
            Ok(Err(e)) => log::debug!("replica lag: primary position unavailable: {e}"),
            Err(_) => log::debug!("replica lag: primary position timed out"),
        }
        for (replica, probe) in set.replicas.iter().zip(probes.iter_mut()) {
            let observed = tokio::time::timeout(check_timeout, replica_position(&replica.url, probe)).await;
            match observed {
                Ok(Ok(Position {
                    in_recovery: true,
                    lsn: Some(replayed),
                })) => {
                    let lag = history.lag(replayed, Instant::now());
                    let state = match lag {
                        Some(lag) if lag > set.max_lag => ReplicaState::Lagging,
                        _ => ReplicaState::Healthy,
                    };
                    replica.set(state, lag, "checked its replay position");
                }
                Ok(Ok(_)) => replica.mark_down("not in recovery: it does not follow the primary"),
                Ok(Err(e)) => {
                    *probe = None;
                    replica.mark_down(&e);
                }
                Err(_) => {
                    *probe = None;
                    replica.mark_down(&format!("no answer within {check_timeout:?}"));
                }
            }
        }
    }
}

async fn primary_position(primary: &DbPool) -> Result<i64, String> {
    let mut conn = primary.get().await.map_err(|e| e.to_string())?;
    let position: Position = diesel::sql_query(PRIMARY_POSITION)
        .get_result(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    position.lsn.ok_or_else(|| "no WAL position".to_owned())
}

/// The replica's position, over the checker's own connection (opened when missing).
async fn replica_position(url: &str, probe: &mut Option<AsyncPgConnection>) -> Result<Position, String> {
    if probe.is_none() {
        let mut conn = AsyncPgConnection::establish(url)
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        conn.batch_execute(&session_setup(5000, Some(REPLICA_CHECK_APPLICATION_NAME)))
            .await
            .map_err(|e| format!("cannot set up the session: {e}"))?;
        *probe = Some(conn);
    }
    let Some(conn) = probe.as_mut() else {
        return Err("no connection".to_owned());
    };
    diesel::sql_query(REPLICA_POSITION)
        .get_result(conn)
        .await
        .map_err(|e| format!("position query failed: {e}"))
}

/// When each WAL position of the primary was first seen, for the last `window`.
struct LsnHistory {
    /// (first seen, position), positions strictly increasing.
    samples: VecDeque<(Instant, i64)>,
    window: Duration,
}

/// Entries kept at most, whatever the window (a check every 10 ms for a minute is 6,000).
const MAX_SAMPLES: usize = 4096;

impl LsnHistory {
    fn new(window: Duration) -> Self {
        Self {
            samples: VecDeque::new(),
            window,
        }
    }

    fn record(&mut self, at: Instant, lsn: i64) {
        if self.samples.back().is_none_or(|&(_, last)| lsn > last) {
            self.samples.push_back((at, lsn));
        }
        // The newest sample stays: it is the primary's current position.
        while self.samples.len() > 1
            && (self.samples.len() > MAX_SAMPLES
                || self
                    .samples
                    .front()
                    .is_some_and(|&(t, _)| at.duration_since(t) > self.window))
        {
            self.samples.pop_front();
        }
    }

    /// How long a replica that replayed up to `replayed` has been missing WAL the primary had
    /// flushed: the age of the first sample beyond it (zero when it has the newest sample,
    /// `None` before any sample). Beyond the window the value is a lower bound.
    fn lag(&self, replayed: i64, now: Instant) -> Option<Duration> {
        if self.samples.is_empty() {
            return None;
        }
        Some(
            self.samples
                .iter()
                .find(|&&(_, lsn)| lsn > replayed)
                .map_or(Duration::ZERO, |&(seen, _)| now.saturating_duration_since(seen)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_primary_shows_no_lag_however_old_the_last_write() {
        let start = Instant::now();
        let mut history = LsnHistory::new(Duration::from_secs(60));
        history.record(start, 100);
        history.record(start + Duration::from_secs(30), 100);
        assert_eq!(
            history.lag(100, start + Duration::from_secs(30)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn lag_counts_from_the_first_sample_the_replica_misses() {
        let start = Instant::now();
        let mut history = LsnHistory::new(Duration::from_secs(60));
        history.record(start, 100);
        history.record(start + Duration::from_millis(500), 200);
        history.record(start + Duration::from_millis(1000), 300);
        let now = start + Duration::from_millis(1200);
        assert_eq!(history.lag(100, now), Some(Duration::from_millis(700)));
        assert_eq!(history.lag(250, now), Some(Duration::from_millis(200)));
        assert_eq!(history.lag(300, now), Some(Duration::ZERO));
        assert_eq!(LsnHistory::new(Duration::from_secs(1)).lag(0, now), None);
    }

    #[test]
    fn old_samples_are_dropped_but_the_current_position_stays() {
        let start = Instant::now();
        let mut history = LsnHistory::new(Duration::from_secs(10));
        history.record(start, 100);
        history.record(start + Duration::from_secs(5), 200);
        history.record(start + Duration::from_secs(20), 200);
        assert_eq!(history.samples.len(), 1);
        // A replica stuck before the window reads as at least the window's age of its sample.
        assert_eq!(
            history.lag(50, start + Duration::from_secs(20)),
            Some(Duration::from_secs(15))
        );
    }
}
