//! Database access: the connection pool, embedded migrations and the readiness check.

pub mod embedded;
pub mod json;
pub mod pg_socket;
pub mod replicas;
pub mod schema;
pub mod shared;
pub mod sql;
pub mod text_enum;

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, PoolError, PoolableConnection};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// Every migration under `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbPool = deadpool::managed::Pool<CheckedManager>;
pub type DbConn = deadpool::managed::Object<CheckedManager>;

/// A checkout pings (`SELECT 1`) a connection only when it was last checked out longer ago than
/// this (HikariCP's rule). Pinging on every checkout cost one of the by-id handler's five round
/// trips (README "Performance"); a connection in use a moment ago is known to work, and one that
/// broke since (a restarted server) fails its next query with a 503 and is then discarded.
const PING_AFTER_IDLE: Duration = Duration::from_millis(500);

/// diesel-async's deadpool manager with the checkout ping limited to idle connections.
pub struct CheckedManager {
    inner: AsyncDieselConnectionManager<AsyncPgConnection>,
}

impl deadpool::managed::Manager for CheckedManager {
    type Type = AsyncPgConnection;
    type Error = PoolError;

    async fn create(&self) -> Result<AsyncPgConnection, PoolError> {
        self.inner.create().await
    }

    async fn recycle(
        &self,
        conn: &mut AsyncPgConnection,
        metrics: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<PoolError> {
        if metrics.last_used() < PING_AFTER_IDLE && !conn.is_broken() {
            return Ok(());
        }
        self.inner.recycle(conn, metrics).await
    }
}

/// Builds the pool. Connections are opened lazily; checkouts give up after a few seconds so a
/// sick database turns into 503s instead of requests that hang.
pub fn build_pool(database_url: &str, max_size: usize) -> Result<DbPool, String> {
    build_pool_with_timeout(database_url, max_size, 5000, 5000)
}

/// Like [`build_pool`], with every connection's `statement_timeout` set, so a runaway query is
/// cancelled by Postgres instead of holding a connection, and JIT off.
pub fn build_pool_with_timeout(
    database_url: &str,
    max_size: usize,
    statement_timeout_ms: usize,
    checkout_timeout_ms: usize,
) -> Result<DbPool, String> {
    build_pool_named(
        database_url,
        max_size,
        statement_timeout_ms,
        checkout_timeout_ms,
        None,
    )
}

/// Like [`build_pool_with_timeout`], each connection announcing `application_name` (what
/// `pg_stat_activity` shows) when one is given.
pub fn build_pool_named(
    database_url: &str,
    max_size: usize,
    statement_timeout_ms: usize,
    checkout_timeout_ms: usize,
    application_name: Option<&'static str>,
) -> Result<DbPool, String> {
    use diesel_async::pooled_connection::ManagerConfig;
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
    use futures_util::FutureExt;
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        async move {
            let mut conn = AsyncPgConnection::establish(&url).await?;
            conn.batch_execute(&session_setup(statement_timeout_ms, application_name))
                .await
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            Ok(conn)
        }
        .boxed()
    });
    let inner = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    deadpool::managed::Pool::builder(CheckedManager { inner })
        .max_size(max_size)
        // Last in, first out: at low concurrency the same few connections (and Postgres backends,
        // with their warm plan and CPU caches) serve every request instead of all of them in turn.
        .queue_mode(deadpool::managed::QueueMode::Lifo)
        .wait_timeout(Some(Duration::from_millis(checkout_timeout_ms as u64)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| format!("could not build the database pool: {e}"))
}

/// Session settings of every connection, pooled or shared: a runaway query is cancelled by
/// Postgres after `statement_timeout_ms`; JIT is off because for this API's short queries its
/// set-up cost (~90 ms on quote matching at benchmark scale) outweighs any gain. The
/// application name is one of this crate's constants, never input.
pub(crate) fn session_setup(statement_timeout_ms: usize, application_name: Option<&'static str>) -> String {
    let mut setup = format!("SET statement_timeout = {statement_timeout_ms}; SET jit = off");
    if let Some(name) = application_name {
        setup.push_str(&format!("; SET application_name = '{name}'"));
    }
    setup
}

/// Applies every pending migration; returns the versions it applied.
pub async fn run_migrations(database_url: &str) -> Result<Vec<String>, String> {
    let url = database_url.to_owned();
    // diesel_migrations is synchronous: run it on a blocking thread through the async wrapper.
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|e| format!("could not connect to the database: {e}"))?;
        conn.run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| format!("migration failed: {e}"))
    })
    .await
    .map_err(|e| format!("migration task failed: {e}"))?
}

/// The newest migration version compiled into this binary, e.g. `20261129000000`.
pub fn latest_embedded_version() -> Option<String> {
    use diesel::migration::MigrationSource;
    let migrations: Vec<Box<dyn diesel::migration::Migration<diesel::pg::Pg>>> =
        MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS).ok()?;
    migrations.iter().map(|m| m.name().version().to_string()).max()
}

#[derive(QueryableByName)]
struct AppliedVersion {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    version: Option<String>,
}

/// Why the service is not ready, if it is not.
pub async fn readiness(pool: &DbPool) -> Result<(), String> {
    let mut conn = pool
        .get()
        .await
        .map_err(|e| format!("database unreachable: {e}"))?;
    let applied: AppliedVersion =
        diesel::sql_query("SELECT max(version)::text AS version FROM __diesel_schema_migrations")
            .get_result(&mut conn)
            .await
            .map_err(|e| format!("database query failed: {e}"))?;
    let expected = latest_embedded_version();
    if applied.version < expected {
        return Err(format!(
            "migrations pending: database at {:?}, binary expects {:?}",
            applied.version, expected
        ));
    }
    Ok(())
}

/// The database this process talks to: an operator's server, or the private embedded cluster.
pub struct Database {
    url: String,
    cluster: Option<embedded::EmbeddedCluster>,
}

/// The database the application uses inside the embedded cluster.
pub const EMBEDDED_DATABASE: &str = "stemcare";

impl Database {
    /// Uses `DATABASE_URL`, or starts (or attaches to) the embedded cluster and makes sure the
    /// application database exists.
    pub async fn open(settings: &crate::config::Settings) -> Result<Self, String> {
        match &settings.database {
            crate::config::DatabaseSetting::External(url) => Ok(Self {
                url: url.clone(),
                cluster: None,
            }),
            crate::config::DatabaseSetting::Embedded => {
                let data_dir = settings.data_dir.clone();
                let pg_bin = settings.pg_bin.clone();
                let cluster = tokio::task::spawn_blocking(move || {
                    embedded::EmbeddedCluster::start(&data_dir, pg_bin.as_deref(), Default::default())
                })
                .await
                .map_err(|e| format!("embedded database task failed: {e}"))?
                .map_err(|e| e.to_string())?;
                create_database_if_missing(&cluster.connection_string("postgres"), EMBEDDED_DATABASE).await?;
                let url = cluster.connection_string(EMBEDDED_DATABASE);
                Ok(Self {
                    url,
                    cluster: Some(cluster),
                })
            }
        }
    }

    /// Connection string for the pool and migrations (may hold a password: never log it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// True when this process uses the embedded cluster.
    pub fn is_embedded(&self) -> bool {
        self.cluster.is_some()
    }

    /// True when the embedded cluster was created by this start.
    pub fn is_fresh(&self) -> bool {
        self.cluster.as_ref().is_some_and(|c| c.is_fresh())
    }

    /// One line for the operator saying where the data lives.
    pub fn describe(&self) -> String {
        match &self.cluster {
            Some(cluster) => format!("data: embedded PostgreSQL in {}", cluster.pgdata().display()),
            None => "data: the PostgreSQL server named by DATABASE_URL".to_owned(),
        }
    }
}

/// Creates `name` unless it exists; `name` is a fixed identifier chosen by the caller, never user input.
pub async fn create_database_if_missing(maintenance_url: &str, name: &str) -> Result<(), String> {
    use diesel_async::AsyncConnection;
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let mut conn = AsyncPgConnection::establish(maintenance_url)
        .await
        .map_err(|e| format!("could not connect to the embedded database: {e}"))?;
    let exists: Found =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(&mut conn)
            .await
            .map_err(|e| format!("could not inspect databases: {e}"))?;
    if !exists.found {
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .map_err(|e| format!("could not create database {name}: {e}"))?;
    }
    Ok(())
}

/// One connection outside the pool, for commands.
pub async fn connect(url: &str) -> Result<AsyncPgConnection, String> {
    use diesel_async::AsyncConnection;
    AsyncPgConnection::establish(url)
        .await
        .map_err(|e| format!("could not connect to the database: {e}"))
}
