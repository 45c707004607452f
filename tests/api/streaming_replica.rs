//! A real streaming replica for the replica tests: `pg_basebackup -R` of a primary and a second
//! `postgres` in hot-standby, which the tests stop, restart and pause.
//!
//! The primary is a cluster of its own, started once for these tests, not the cluster every
//! other test shares: a base backup copies the whole cluster, and the shared one accumulates a
//! database per test. `initdb`'s defaults already allow replication (`wal_level=replica`, ten WAL
//! senders, `local replication all trust`). Each test gets its own database and its own replica,
//! so stopping or pausing one never touches another test. Every wait is bounded by [`WAIT`].

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stemcare::config::{ReplicaUrls, Settings};
use stemcare::db::embedded::{ClusterOptions, EmbeddedCluster};

use crate::helpers::{fresh_database, start_cluster_with_template, TestApp};

/// The longest any wait here may take: a broken replica fails its test instead of hanging CI.
pub const WAIT: Duration = Duration::from_secs(30);

struct Primary {
    base_conninfo: String,
}

static PRIMARY: OnceLock<Primary> = OnceLock::new();
/// Held here so the `atexit` hook can stop it: statics are never dropped.
static PRIMARY_RUNNING: Mutex<Option<(EmbeddedCluster, PathBuf)>> = Mutex::new(None);
/// Data directories of the replicas still running, stopped at exit if a test did not drop its own.
static LIVE_REPLICAS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// A base backup holds two of the primary's ten WAL senders while it runs: one at a time.
static BASE_BACKUP: Mutex<()> = Mutex::new(());

extern "C" fn stop_primary_and_replicas() {
    if let Ok(dirs) = LIVE_REPLICAS.lock() {
        for dir in dirs.iter() {
            if let Some(pid) = postmaster_pid(&dir.join("pgdata")) {
                // Immediate shutdown: nothing on a throw-away replica needs saving.
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGQUIT);
            }
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    if let Ok(mut guard) = PRIMARY_RUNNING.lock() {
        if let Some((mut cluster, dir)) = guard.take() {
            cluster.stop();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn postmaster_pid(pgdata: &Path) -> Option<nix::unistd::Pid> {
    let contents = std::fs::read_to_string(pgdata.join("postmaster.pid")).ok()?;
    let pid: i32 = contents.lines().next()?.trim().parse().ok()?;
    Some(nix::unistd::Pid::from_raw(pid))
}

fn primary() -> &'static Primary {
    PRIMARY.get_or_init(|| {
        let (cluster, dir, base_conninfo) = start_cluster_with_template("stemcare-primary-");
        *PRIMARY_RUNNING.lock().expect("primary lock") = Some((cluster, dir));
        unsafe {
            libc::atexit(stop_primary_and_replicas);
        }
        Primary { base_conninfo }
    })
}

/// A test's app on the replica tests' primary, with one streaming replica configured.
pub struct ReplicatedApp {
    pub app: TestApp,
    pub replica: StreamingReplica,
    /// The test's database (the same name on the primary and the replica).
    pub dbname: String,
}

/// A fresh database on the primary, a replica streaming it, and an app reading from it once
/// `/readyz` says it is healthy. Checks run every 50 ms; `customize` may change the settings
/// (the lag bound, typically).
pub async fn spawn_with_replica(customize: impl FnOnce(&mut Settings)) -> ReplicatedApp {
    let primary = tokio::task::spawn_blocking(|| primary().base_conninfo.clone())
        .await
        .expect("primary start-up");
    let database_url = fresh_database(&primary).await;
    let dbname = database_url
        .rsplit("dbname='")
        .next()
        .expect("dbname")
        .trim_end_matches('\'')
        .to_owned();
    let replica = StreamingReplica::start(&primary).await;
    let replica_url = replica.conninfo(&dbname);
    let app = TestApp::spawn_on(database_url, |settings| {
        settings.read_replica_urls = ReplicaUrls(vec![replica_url]);
        settings.replica_check_interval_ms = 50;
        customize(settings);
    })
    .await;
    wait_for_state(&app, "healthy").await;
    ReplicatedApp { app, replica, dbname }
}

/// One `postgres` in hot standby, streaming from the replica tests' primary.
pub struct StreamingReplica {
    cluster: Option<EmbeddedCluster>,
    /// Its data directory's parent (removed on drop).
    dir: PathBuf,
    /// How it reaches the primary (names it in the primary's `pg_stat_replication`).
    primary_conninfo: String,
    primary_maintenance: String,
    application_name: String,
}

impl StreamingReplica {
    async fn start(primary_base: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("stemcare-replica-")
            .tempdir()
            .expect("temp dir")
            .keep();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod replica dir");
        let application_name = format!("replica_{}", uuid::Uuid::new_v4().simple());
        let mut replica = Self {
            cluster: None,
            primary_conninfo: format!("{primary_base}application_name={application_name}"),
            primary_maintenance: format!("{primary_base}dbname='postgres'"),
            application_name,
            dir,
        };
        LIVE_REPLICAS
            .lock()
            .expect("replica list")
            .push(replica.dir.clone());
        replica.restart().await;
        replica
    }

    /// A conninfo for `dbname` on the replica.
    pub fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host='{}' port=5432 user=postgres dbname='{dbname}'",
            self.dir.join("pgdata").display()
        )
    }

    /// Starts it (the first time from a base backup) and waits until it streams.
    pub async fn restart(&mut self) {
        assert!(self.cluster.is_none(), "the replica is running already");
        let (conninfo, dir) = (self.primary_conninfo.clone(), self.dir.clone());
        let started = tokio::task::spawn_blocking(move || {
            let _one_at_a_time = BASE_BACKUP.lock().unwrap_or_else(|e| e.into_inner());
            EmbeddedCluster::start_replica(&conninfo, &dir, None, ClusterOptions { throwaway: true })
        });
        let cluster = tokio::time::timeout(WAIT, started)
            .await
            .expect("the replica started in time")
            .expect("replica start-up task")
            .expect("start the replica");
        self.cluster = Some(cluster);
        self.wait_until_streaming().await;
    }

    /// Stops it (fast shutdown) and waits until the postmaster has exited.
    pub async fn stop(&mut self) {
        let mut cluster = self.cluster.take().expect("the replica is running");
        tokio::task::spawn_blocking(move || cluster.stop())
            .await
            .expect("replica stop task");
    }

    /// `pg_wal_replay_pause()`: it keeps receiving WAL but applies none.
    pub async fn pause_replay(&self, dbname: &str) {
        self.execute(dbname, "SELECT pg_wal_replay_pause()").await;
    }

    /// `pg_wal_replay_resume()`.
    pub async fn resume_replay(&self, dbname: &str) {
        self.execute(dbname, "SELECT pg_wal_replay_resume()").await;
    }

    /// A direct connection to `dbname` on the replica.
    pub async fn db(&self, dbname: &str) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.conninfo(dbname))
            .await
            .expect("connect to the replica")
    }

    async fn execute(&self, dbname: &str, sql: &str) {
        let mut conn = self.db(dbname).await;
        diesel::sql_query(sql).execute(&mut conn).await.expect(sql);
    }

    /// Until the primary's `pg_stat_replication` shows this replica streaming.
    async fn wait_until_streaming(&self) {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = AsyncPgConnection::establish(&self.primary_maintenance)
            .await
            .expect("connect to the primary");
        let deadline = Instant::now() + WAIT;
        loop {
            let streaming: Count = diesel::sql_query(
                "SELECT count(*) AS n FROM pg_stat_replication \
                 WHERE application_name = $1 AND state = 'streaming'",
            )
            .bind::<diesel::sql_types::Text, _>(&self.application_name)
            .get_result(&mut conn)
            .await
            .expect("read pg_stat_replication");
            if streaming.n == 1 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the replica did not stream within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for StreamingReplica {
    fn drop(&mut self) {
        if let Some(mut cluster) = self.cluster.take() {
            cluster.stop();
        }
        if let Ok(mut live) = LIVE_REPLICAS.lock() {
            live.retain(|d| d != &self.dir);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `/readyz` (asserting 200): the instance is ready whatever its replicas do.
pub async fn readiness(app: &TestApp) -> serde_json::Value {
    app.get_json("/readyz", 200).await
}

/// Until `/readyz` reports the replica in `state`; returns that body.
pub async fn wait_for_state(app: &TestApp, state: &str) -> serde_json::Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let body = readiness(app).await;
        if body["replicas"][0]["state"] == state {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "the replica was not {state} within {WAIT:?}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Catalogue reads counted in `/metrics` for `source` (`primary`, `replica-1`).
pub async fn reads_from(app: &TestApp, admin: &str, source: &str) -> u64 {
    let metrics = metrics(app, admin).await;
    let prefix = format!("stemcare_catalogue_reads_total{{source=\"{source}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {metrics}"))
        .parse()
        .expect("a count")
}

pub async fn metrics(app: &TestApp, admin: &str) -> String {
    let response = app.get_as("/metrics", admin).await;
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.expect("metrics text")
}
