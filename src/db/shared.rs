//! A few long-lived connections shared by concurrent requests, for short reads by key.
//!
//! tokio-postgres pipelines: queries sent by many tasks on one connection are written back to
//! back and answered in order, so four connections serve dozens of concurrent requests without
//! each request waiting for, and occupying, a pooled connection (and a Postgres backend) of its
//! own. On the benchmark the same one-query handler served 25,000 requests/s through the pool and
//! 34,000 through shared connections, as fast as raw tokio-postgres (README "Performance").
//!
//! The price is head-of-line blocking: a slow query delays every query queued behind it on its
//! connection. So only reads by primary key (`GET /v1/clinics/{id}`, `GET
//! /v1/treatment-packages/{id}`) use these; lists, searches and everything that writes or needs a
//! transaction keep the pool. A shared connection hands out `&AsyncPgConnection` only, which
//! diesel-async lets run queries but not transactions, so a transaction cannot slip in here.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};

/// Why no shared connection could be had (answered as a 503 with `Retry-After`).
#[derive(Debug, thiserror::Error)]
pub enum SharedReadsError {
    #[error("could not connect within {0:?}")]
    Timeout(Duration),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("sharing is off (zero shared connections)")]
    Off,
}

/// The shared connections of one process; cheap to clone.
#[derive(Clone)]
pub struct SharedReads {
    inner: Arc<Inner>,
}

struct Inner {
    database_url: String,
    session_setup: String,
    connect_timeout: Duration,
    slots: Vec<Slot>,
    next: AtomicUsize,
    /// The connections' I/O tasks run here (the runtime that built this value), not on whichever
    /// HTTP worker happened to open a connection.
    runtime: tokio::runtime::Handle,
}

#[derive(Default)]
struct Slot {
    live: Mutex<Option<Live>>,
    /// Held while (re)connecting, so one request reconnects and the others wait for it.
    connecting: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Live {
    conn: Arc<AsyncPgConnection>,
    /// Set when the connection's I/O task ends (server restart, network error).
    closed: Arc<AtomicBool>,
}

/// A shared connection: run queries on `&*conn` (pipelining them with `try_join` is fine).
pub struct SharedConn(Arc<AsyncPgConnection>);

impl std::ops::Deref for SharedConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.0
    }
}

/// A connection for a read by id: shared, or pooled when sharing is off (zero connections).
pub enum ReadConn {
    Shared(SharedConn),
    // Boxed: a pooled connection handle is some 480 bytes, a shared one 8.
    Pooled(Box<super::DbConn>),
}

impl std::ops::Deref for ReadConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        match self {
            Self::Shared(conn) => conn,
            Self::Pooled(conn) => conn,
        }
    }
}

impl Slot {
    fn current(&self) -> Option<SharedConn> {
        let live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        live.as_ref()
            .filter(|l| !l.closed.load(Ordering::Acquire))
            .map(|l| SharedConn(l.conn.clone()))
    }
}

impl SharedReads {
    /// `connections` connections to `database_url`, opened on first use; each gets the pool's
    /// session settings (statement timeout, JIT off). Zero turns sharing off: [`Self::get_or`]
    /// then hands out pooled connections. Call from within a tokio runtime.
    pub fn new(
        database_url: &str,
        connections: usize,
        statement_timeout_ms: usize,
        connect_timeout_ms: usize,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                database_url: database_url.to_owned(),
                session_setup: super::session_setup(statement_timeout_ms),
                connect_timeout: Duration::from_millis(connect_timeout_ms as u64),
                slots: (0..connections).map(|_| Slot::default()).collect(),
                next: AtomicUsize::new(0),
                runtime: tokio::runtime::Handle::current(),
            }),
        }
    }

    /// A shared connection, or one from `pool` when sharing is off.
    pub async fn get_or(&self, pool: &super::DbPool) -> Result<ReadConn, crate::error::ApiError> {
        if self.inner.slots.is_empty() {
            return Ok(ReadConn::Pooled(Box::new(pool.get().await?)));
        }
        Ok(ReadConn::Shared(self.get().await?))
    }

    /// The next connection in turn, reconnecting it first if it was lost.
    pub async fn get(&self) -> Result<SharedConn, SharedReadsError> {
        let inner = &self.inner;
        let turn = inner.next.fetch_add(1, Ordering::Relaxed);
        let slot = inner
            .slots
            .get(turn.checked_rem(inner.slots.len()).unwrap_or(0))
            .ok_or(SharedReadsError::Off)?;
        if let Some(conn) = slot.current() {
            return Ok(conn);
        }
        let _connecting = slot.connecting.lock().await;
        if let Some(conn) = slot.current() {
            return Ok(conn);
        }
        let live = tokio::time::timeout(inner.connect_timeout, inner.connect())
            .await
            .map_err(|_| SharedReadsError::Timeout(inner.connect_timeout))??;
        let conn = SharedConn(live.conn.clone());
        *slot.live.lock().unwrap_or_else(PoisonError::into_inner) = Some(live);
        Ok(conn)
    }

    /// How many connections are open now (for `/metrics`).
    pub fn open_connections(&self) -> usize {
        self.inner
            .slots
            .iter()
            .filter(|slot| slot.current().is_some())
            .count()
    }
}

impl Inner {
    async fn connect(&self) -> Result<Live, SharedReadsError> {
        let failed = |e: &dyn std::fmt::Display| SharedReadsError::Connect(e.to_string());
        let (client, connection) = tokio_postgres::connect(&self.database_url, tokio_postgres::NoTls)
            .await
            .map_err(|e| failed(&e))?;
        let closed = Arc::new(AtomicBool::new(false));
        let flag = closed.clone();
        self.runtime.spawn(async move {
            if let Err(e) = connection.await {
                log::warn!("a shared database connection closed: {e}");
            }
            flag.store(true, Ordering::Release);
        });
        let conn = AsyncPgConnection::try_from(client)
            .await
            .map_err(|e| failed(&e))?;
        (&conn)
            .batch_execute(&self.session_setup)
            .await
            .map_err(|e| failed(&e))?;
        Ok(Live {
            conn: Arc::new(conn),
            closed,
        })
    }
}
