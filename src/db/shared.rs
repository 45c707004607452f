//! Long-lived connections shared by concurrent requests, for the public catalogue's reads.
//!
//! tokio-postgres pipelines: queries sent by many tasks on one connection are written back to
//! back and answered in order, so a couple of connections per HTTP worker serve dozens of
//! concurrent requests without each request waiting for, and occupying, a pooled connection (and
//! a Postgres backend) of its own. Each worker thread opens its own, on its own runtime, so a
//! query's I/O never hops threads (README "Performance" has the before and after).
//!
//! The price is head-of-line blocking: a slow query delays the queries queued behind it on its
//! connection. So only the catalogue's reads of clinics and packages use these (by id, lists,
//! search, comparison), whose every plan is an index scan (a test checks at scale); everything
//! that writes, needs a transaction or reads private data keeps the pool. A shared connection
//! hands out `&AsyncPgConnection` only, which diesel-async lets run queries but not transactions,
//! so a transaction cannot slip in here.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
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
///
/// Each thread that asks (each HTTP worker) gets connections of its own, opened on its own
/// runtime: a query's I/O then runs on the thread that awaits it. With one set of connections
/// driven by another runtime every query cost two cross-thread wake-ups, and at low concurrency
/// the kernel's context switches were half of the server's CPU time.
#[derive(Clone)]
pub struct SharedReads {
    inner: Arc<Inner>,
}

struct Inner {
    database_url: String,
    session_setup: String,
    connect_timeout: Duration,
    per_thread: usize,
    /// Open connections over all threads (for `/metrics`).
    open: Arc<AtomicUsize>,
}

thread_local! {
    /// This thread's connections, per `SharedReads` value (tests run several servers, one after
    /// another, on the same threads). The `Weak` keeps the value's address from being reused.
    static THREAD_SLOTS: RefCell<Vec<(Weak<Inner>, Rc<ThreadSlots>)>> = const { RefCell::new(Vec::new()) };
}

struct ThreadSlots {
    slots: Vec<Slot>,
}

#[derive(Default)]
struct Slot {
    live: Mutex<Option<Live>>,
    /// Requests holding this connection now (each [`SharedConn`] counts until dropped).
    in_flight: Arc<AtomicUsize>,
    /// Held while (re)connecting, so one request reconnects and the others wait for it.
    connecting: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Live {
    conn: Arc<AsyncPgConnection>,
    /// Set when the connection's I/O task ends (server restart, network error, runtime gone).
    closed: Arc<AtomicBool>,
}

/// Marks a connection closed when its I/O task ends or is dropped with its runtime.
struct ClosedOnDrop {
    closed: Arc<AtomicBool>,
    open: Arc<AtomicUsize>,
}

impl Drop for ClosedOnDrop {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Release);
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A shared connection: run queries on `&*conn` (pipelining them with `try_join` is fine).
pub struct SharedConn {
    conn: Arc<AsyncPgConnection>,
    _in_flight: InFlight,
}

impl SharedConn {
    fn new(conn: Arc<AsyncPgConnection>, in_flight: &Arc<AtomicUsize>) -> Self {
        Self {
            conn,
            _in_flight: InFlight::enter(in_flight),
        }
    }
}

/// Counts one request on a slot from `enter` until dropped.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl std::ops::Deref for SharedConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.conn
    }
}

/// A connection for a catalogue read: shared, or pooled when sharing is off (zero connections).
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
            .map(|l| SharedConn::new(l.conn.clone(), &self.in_flight))
    }
}

impl ThreadSlots {
    /// The connection with the fewest requests in flight, the first such one on a tie.
    ///
    /// Not round-robin: at low concurrency every request goes to the first connection, so one
    /// warm Postgres backend per worker serves them (as the pool hands out its most recently
    /// used connection); the others take load only when it queues. Round-robin spread two
    /// clients over four backends, and each backend's wake-ups and cold caches cost Postgres
    /// more CPU per request than the same statements from pgbench's two.
    fn least_busy(&self) -> Option<&Slot> {
        self.slots
            .iter()
            .min_by_key(|slot| slot.in_flight.load(Ordering::Relaxed))
    }
}

impl SharedReads {
    /// `per_thread` connections to `database_url` for each thread that asks, opened on first use;
    /// each gets the pool's session settings (statement timeout, JIT off). Zero turns sharing
    /// off: [`Self::get_or`] then hands out pooled connections.
    pub fn new(
        database_url: &str,
        per_thread: usize,
        statement_timeout_ms: usize,
        connect_timeout_ms: usize,
    ) -> Self {
        Self::named(
            database_url,
            per_thread,
            statement_timeout_ms,
            connect_timeout_ms,
            None,
        )
    }

    /// Like [`Self::new`], each connection announcing `application_name` when one is given.
    pub fn named(
        database_url: &str,
        per_thread: usize,
        statement_timeout_ms: usize,
        connect_timeout_ms: usize,
        application_name: Option<&'static str>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                database_url: database_url.to_owned(),
                session_setup: super::session_setup(statement_timeout_ms, application_name),
                connect_timeout: Duration::from_millis(connect_timeout_ms as u64),
                per_thread,
                open: Arc::new(AtomicUsize::new(0)),
            }),
        }
    }

    /// A shared connection, or one from `pool` when sharing is off.
    pub async fn get_or(&self, pool: &super::DbPool) -> Result<ReadConn, crate::error::ApiError> {
        if self.inner.per_thread == 0 {
            return Ok(ReadConn::Pooled(Box::new(pool.get().await?)));
        }
        Ok(ReadConn::Shared(self.get().await?))
    }

    /// This thread's least busy connection, reconnecting it first if it was lost.
    pub async fn get(&self) -> Result<SharedConn, SharedReadsError> {
        let inner = &self.inner;
        let slots = self.thread_slots().ok_or(SharedReadsError::Off)?;
        let slot = slots.least_busy().ok_or(SharedReadsError::Off)?;
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
        let conn = SharedConn::new(live.conn.clone(), &slot.in_flight);
        *slot.live.lock().unwrap_or_else(PoisonError::into_inner) = Some(live);
        Ok(conn)
    }

    /// This thread's slots for this value, made on first use; `None` when sharing is off.
    fn thread_slots(&self) -> Option<Rc<ThreadSlots>> {
        let inner = &self.inner;
        if inner.per_thread == 0 {
            return None;
        }
        let me = Arc::as_ptr(inner);
        THREAD_SLOTS.with_borrow_mut(|table| {
            if let Some((_, slots)) = table.iter().find(|(owner, _)| owner.as_ptr() == me) {
                return Some(slots.clone());
            }
            // Connections of values dropped since (an earlier test's server) close here.
            table.retain(|(owner, _)| owner.strong_count() > 0);
            let slots = Rc::new(ThreadSlots {
                slots: (0..inner.per_thread).map(|_| Slot::default()).collect(),
            });
            table.push((Arc::downgrade(inner), slots.clone()));
            Some(slots)
        })
    }

    /// How many connections are open now, over all threads (for `/metrics`).
    pub fn open_connections(&self) -> usize {
        self.inner.open.load(Ordering::Relaxed)
    }
}

impl Inner {
    async fn connect(&self) -> Result<Live, SharedReadsError> {
        let failed = |e: &dyn std::fmt::Display| SharedReadsError::Connect(e.to_string());
        // Read readiness only on a Unix socket: no wake-up each time Postgres reads a query.
        let (client, connection) = crate::db::pg_socket::connect(&self.database_url)
            .await
            .map_err(|e| failed(&e))?;
        let closed = Arc::new(AtomicBool::new(false));
        self.open.fetch_add(1, Ordering::Relaxed);
        let on_end = ClosedOnDrop {
            closed: closed.clone(),
            open: self.open.clone(),
        };
        // On this thread's runtime: the I/O runs where the queries are awaited.
        tokio::spawn(async move {
            let _on_end = on_end;
            if let Err(e) = connection.await {
                log::warn!("a shared database connection closed: {e}");
            }
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

// The error type lives in the core below `db`, so the conversion is written here.
impl From<SharedReadsError> for crate::error::ApiError {
    fn from(error: SharedReadsError) -> Self {
        Self::unavailable(format_args!("shared database connection: {error}"))
            .with_header(actix_web::http::header::RETRY_AFTER, "1")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots_with(in_flight: &[usize]) -> ThreadSlots {
        ThreadSlots {
            slots: in_flight
                .iter()
                .map(|&n| {
                    let slot = Slot::default();
                    slot.in_flight.store(n, Ordering::Relaxed);
                    slot
                })
                .collect(),
        }
    }

    fn chosen(slots: &ThreadSlots) -> usize {
        let slot = slots.least_busy().expect("a slot");
        slots
            .slots
            .iter()
            .position(|s| std::ptr::eq(s, slot))
            .expect("one of them")
    }

    #[test]
    fn an_idle_worker_keeps_using_its_first_connection() {
        assert_eq!(chosen(&slots_with(&[0, 0, 0])), 0);
    }

    #[test]
    fn queued_load_spreads_to_the_least_busy_connection() {
        assert_eq!(chosen(&slots_with(&[1, 0])), 1);
        assert_eq!(chosen(&slots_with(&[2, 3, 1])), 2);
        assert_eq!(chosen(&slots_with(&[2, 2])), 0);
    }

    #[test]
    fn a_connection_counts_as_busy_until_its_holder_drops_it() {
        let slots = slots_with(&[0, 0]);
        let first = InFlight::enter(&slots.slots[0].in_flight);
        assert_eq!(chosen(&slots), 1);
        let second = InFlight::enter(&slots.slots[1].in_flight);
        assert_eq!(chosen(&slots), 0);
        drop(first);
        drop(second);
        assert_eq!(slots.slots[0].in_flight.load(Ordering::Relaxed), 0);
        assert_eq!(chosen(&slots), 0);
    }
}
