//! Where public catalogue reads go: a healthy streaming replica, else the primary.
//!
//! Only reads that may be a moment old come here (the catalogue of clinics and packages, evidence
//! and the vocabularies: `state.reads`); everything that writes, and every read whose caller must
//! see its own writes (partner listings, quotes, offers, admin), uses `state.pool`, the primary.
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
//!
//! A read tries the healthy replicas in turn (round robin); one that fails to hand out a
//! connection is marked down at once and the next is tried, then the primary. A query that
//! fails on a replica after its connection was handed out (the replica died mid-request, or
//! cancelled the query for a recovery conflict) fails that request: handlers do not retry.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use super::shared::{ReadConn, SharedReads};
use super::{DbConn, DbPool};
use crate::config::Settings;
use crate::error::ApiError;

/// The `application_name` of the connections that serve reads on a replica.
pub const REPLICA_READ_APPLICATION_NAME: &str = "stemcare-replica-read";
/// The `application_name` of the health checker's connection to each replica.
pub const REPLICA_CHECK_APPLICATION_NAME: &str = "stemcare-replica-check";
/// A read gives up on a replica (and goes to the next, or the primary) after this long
/// without a connection, whatever the pool's own checkout timeout.
const REPLICA_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// A replica's state as last measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Not checked yet (the first check runs at start-up): not read from.
    Unknown = 0,
    /// Answering, in recovery, and within the lag bound: read from.
    Healthy = 1,
    /// Answering but further behind than the bound: skipped until it catches up.
    Lagging = 2,
    /// Not answering, or not a standby: skipped until a check finds it well again.
    Down = 3,
}

impl ReplicaState {
    /// The word used in `/readyz` and `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Healthy => "healthy",
            Self::Lagging => "lagging",
            Self::Down => "down",
        }
    }

    /// Every state, for metrics that list each one.
    pub const ALL: [Self; 4] = [Self::Unknown, Self::Healthy, Self::Lagging, Self::Down];

    fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::Healthy,
            2 => Self::Lagging,
            3 => Self::Down,
            _ => Self::Unknown,
        }
    }
}

/// One replica as `/readyz` and `/metrics` report it (its URL is never shown).
#[derive(Debug, Clone)]
pub struct ReplicaStatus {
    /// `replica-1`, `replica-2`, … in the order of `STEMCARE_READ_REPLICA_URLS`.
    pub name: String,
    pub state: ReplicaState,
    /// Milliseconds behind the primary at the last check; `None` while unmeasured (down, not
    /// checked yet, or the primary's position could not be read).
    pub lag_ms: Option<u64>,
    /// Catalogue reads this process has sent to it.
    pub reads: u64,
}

const NO_LAG: u64 = u64::MAX;

struct Replica {
    name: String,
    url: String,
    shared: SharedReads,
    pool: DbPool,
    state: AtomicU8,
    lag_ms: AtomicU64,
    reads: AtomicU64,
}

impl Replica {
    fn state(&self) -> ReplicaState {
        ReplicaState::from_u8(self.state.load(Ordering::Acquire))
    }

    fn set(&self, state: ReplicaState, lag: Option<Duration>, why: &str) {
        self.lag_ms
            .store(lag.map_or(NO_LAG, |l| l.as_millis() as u64), Ordering::Relaxed);
        let before = ReplicaState::from_u8(self.state.swap(state as u8, Ordering::AcqRel));
        if before != state {
            let level = if state == ReplicaState::Healthy {
                log::Level::Info
            } else {
                log::Level::Warn
            };
            log::log!(level, "read {} is now {}: {why}", self.name, state.as_str());
            if state == ReplicaState::Down {
                // Idle connections to a server that went away would fail their next query.
                self.pool.retain(|_, _| false);
            }
        }
    }

    fn mark_down(&self, why: &str) {
        self.set(ReplicaState::Down, None, why);
    }
}

struct ReplicaSet {
    replicas: Vec<Replica>,
    next: AtomicUsize,
    primary_reads: AtomicU64,
    max_lag: Duration,
    check_interval: Duration,
}

impl ReplicaSet {
    /// The healthy replicas, starting with the next one in turn.
    fn healthy_in_turn(&self) -> impl Iterator<Item = &Replica> {
        let count = self.replicas.len();
        let start = if count > 1 {
            self.next.fetch_add(1, Ordering::Relaxed) % count
        } else {
            0
        };
        (0..count)
            .map(move |i| &self.replicas[(start + i) % count])
            .filter(|r| r.state() == ReplicaState::Healthy)
    }
}

/// Connections for public catalogue reads: a healthy replica's when there is one, else the
/// primary's (`state.reads`); cheap to clone.
#[derive(Clone)]
pub struct CatalogueReads {
    primary: SharedReads,
    set: Arc<ReplicaSet>,
}

impl CatalogueReads {
    /// The primary's shared connections and one pool and set of shared connections per replica
    /// in `settings` (opened on first use). Replicas start `unknown`, so reads stay on the
    /// primary until [`Self::spawn_health_checks`] has found them healthy.
    pub fn new(primary: SharedReads, settings: &Settings) -> Result<Self, String> {
        let connect_timeout_ms = settings
            .pool_timeout_ms
            .min(REPLICA_CONNECT_TIMEOUT.as_millis() as usize);
        let replicas = settings
            .read_replica_urls
            .0
            .iter()
            .enumerate()
            .map(|(i, url)| {
                let name = format!("replica-{}", i + 1);
                let pool = super::build_pool_named(
                    url,
                    settings.pool_size,
                    settings.statement_timeout_ms,
                    connect_timeout_ms,
                    Some(REPLICA_READ_APPLICATION_NAME),
                )
                .map_err(|e| format!("{name}: {e}"))?;
                Ok(Replica {
                    shared: SharedReads::named(
                        url,
                        settings.shared_connections,
                        settings.statement_timeout_ms,
                        connect_timeout_ms,
                        Some(REPLICA_READ_APPLICATION_NAME),
                    ),
                    pool,
                    url: url.clone(),
                    name,
                    state: AtomicU8::new(ReplicaState::Unknown as u8),
                    lag_ms: AtomicU64::new(NO_LAG),
                    reads: AtomicU64::new(0),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self {
            primary,
            set: Arc::new(ReplicaSet {
                replicas,
                next: AtomicUsize::new(0),
                primary_reads: AtomicU64::new(0),
                max_lag: Duration::from_millis(settings.replica_max_lag_ms as u64),
                check_interval: Duration::from_millis(settings.replica_check_interval_ms as u64),
            }),
        })
    }

    /// A shared connection (or a pooled one when sharing is off) on a healthy replica, else on
    /// the primary (`pool` and its shared connections).
    pub async fn get_or(&self, pool: &DbPool) -> Result<ReadConn, ApiError> {
        for replica in self.set.healthy_in_turn() {
            match replica.shared.get_or(&replica.pool).await {
                Ok(conn) => {
                    replica.reads.fetch_add(1, Ordering::Relaxed);
                    return Ok(conn);
                }
                Err(e) => replica.mark_down(&format!("no connection for a read: {}", e.detail)),
            }
        }
        self.set.primary_reads.fetch_add(1, Ordering::Relaxed);
        self.primary.get_or(pool).await
    }

    /// A pooled connection (for reads that need `&mut`) on a healthy replica, else from `pool`.
    pub async fn pooled_or(&self, pool: &DbPool) -> Result<DbConn, ApiError> {
        for replica in self.set.healthy_in_turn() {
            match replica.pool.get().await {
                Ok(conn) => {
                    replica.reads.fetch_add(1, Ordering::Relaxed);
                    return Ok(conn);
                }
                Err(e) => replica.mark_down(&format!("no connection for a read: {e}")),
            }
        }
        self.set.primary_reads.fetch_add(1, Ordering::Relaxed);
        Ok(pool.get().await?)
    }

    /// Open shared connections to the primary over all threads (for `/metrics`).
    pub fn open_connections(&self) -> usize {
        self.primary.open_connections()
    }

    /// Catalogue reads this process has sent to the primary.
    pub fn primary_reads(&self) -> u64 {
        self.set.primary_reads.load(Ordering::Relaxed)
    }

    /// Every configured replica as last checked, in configuration order.
    pub fn replicas(&self) -> Vec<ReplicaStatus> {
        self.set
            .replicas
            .iter()
            .map(|r| ReplicaStatus {
                name: r.name.clone(),
                state: r.state(),
                lag_ms: Some(r.lag_ms.load(Ordering::Relaxed)).filter(|&l| l != NO_LAG),
                reads: r.reads.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Starts the background checks (nothing to do without replicas). They end when the last
    /// clone of `self` is dropped; `primary` is where the primary's WAL position is read.
    pub fn spawn_health_checks(&self, primary: DbPool) {
        if self.set.replicas.is_empty() {
            return;
        }
        tokio::spawn(check_forever(Arc::downgrade(&self.set), primary));
    }
}

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

async fn check_forever(set: Weak<ReplicaSet>, primary: DbPool) {
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
    // Imported here: its `load` would shadow the atomics' elsewhere in this file.
    use diesel_async::RunQueryDsl;
    let mut conn = primary.get().await.map_err(|e| e.to_string())?;
    let position: Position = diesel::sql_query(PRIMARY_POSITION)
        .get_result(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    position.lsn.ok_or_else(|| "no WAL position".to_owned())
}

/// The replica's position, over the checker's own connection (opened when missing).
async fn replica_position(url: &str, probe: &mut Option<AsyncPgConnection>) -> Result<Position, String> {
    use diesel_async::RunQueryDsl;
    if probe.is_none() {
        let mut conn = AsyncPgConnection::establish(url)
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        conn.batch_execute(&super::session_setup(5000, Some(REPLICA_CHECK_APPLICATION_NAME)))
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
