//! Where public catalogue reads go: a healthy streaming replica, else the primary.
//!
//! Only reads that may be a moment old come here (the catalogue of clinics and packages, evidence
//! and the vocabularies: `state.reads`); everything that writes, and every read whose caller must
//! see its own writes (partner listings, quotes, offers, admin), uses `state.pool`, the primary.
//!
//! A background task (`check`) measures each replica's state and lag every
//! `STEMCARE_REPLICA_CHECK_INTERVAL_MS`; reads go only to the replicas it last found healthy.
//!
//! A read tries the healthy replicas in turn (round robin); one that fails to hand out a
//! connection is marked down at once and the next is tried, then the primary. A query that
//! fails on a replica after its connection was handed out (the replica died mid-request, or
//! cancelled the query for a recovery conflict) is answered again from the primary by the
//! [`ReplicaFallback`] middleware, and the replica is marked down until a check finds it well.

mod check;
mod fallback;

pub use fallback::ReplicaFallback;

use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
    /// The healthy replicas and their indexes, starting with the next one in turn; none while
    /// the current request is being answered again from the primary.
    fn healthy_in_turn(&self) -> impl Iterator<Item = (usize, &Replica)> {
        let count = if fallback::primary_only() {
            0
        } else {
            self.replicas.len()
        };
        let start = if count > 1 {
            self.next.fetch_add(1, Ordering::Relaxed) % count
        } else {
            0
        };
        (0..count)
            .map(move |i| ((start + i) % count, &self.replicas[(start + i) % count]))
            .filter(|(_, r)| r.state() == ReplicaState::Healthy)
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
        for (index, replica) in self.set.healthy_in_turn() {
            match replica.shared.get_or(&replica.pool).await {
                Ok(conn) => {
                    replica.reads.fetch_add(1, Ordering::Relaxed);
                    fallback::note_replica_read(&self.set, index);
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
        for (index, replica) in self.set.healthy_in_turn() {
            match replica.pool.get().await {
                Ok(conn) => {
                    replica.reads.fetch_add(1, Ordering::Relaxed);
                    fallback::note_replica_read(&self.set, index);
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
        tokio::spawn(check::check_forever(Arc::downgrade(&self.set), primary));
    }
}
