//! Fault tests (issue 8 §5): the real server, real HTTP on loopback and a real PostgreSQL that
//! these tests stop and start. They live in their own test binary, and every test owns a private
//! cluster, so restarting it never disturbs the suite in `tests/api` (which shares one cluster).

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};
use stemcare::config::Settings;
use stemcare::db::embedded::{ClusterOptions, EmbeddedCluster};
use stemcare::error::ApiError;
use stemcare::state::AppState;
use tokio::sync::Mutex;

/// A private cluster with the migrated, seeded application database, which a test may restart.
struct PrivateCluster {
    dir: PathBuf,
    cluster: Option<EmbeddedCluster>,
    database_url: String,
}

impl PrivateCluster {
    /// Durable settings (no `throwaway`): "nothing accepted is lost" must hold as in production.
    async fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("stemcare-fault-")
            .tempdir()
            .expect("temp dir")
            .keep();
        // The postgres user (when we run as root) must be able to traverse the directory.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod temp dir");
        let mut private = Self {
            dir,
            cluster: None,
            database_url: String::new(),
        };
        private.start_postgres().await;
        let cluster = private.cluster.as_ref().expect("cluster");
        let maintenance = cluster.connection_string("postgres");
        private.database_url = cluster.connection_string(stemcare::db::EMBEDDED_DATABASE);
        stemcare::db::create_database_if_missing(&maintenance, stemcare::db::EMBEDDED_DATABASE)
            .await
            .expect("create the database");
        stemcare::db::run_migrations(&private.database_url)
            .await
            .expect("migrate");
        let mut conn = stemcare::db::connect(&private.database_url)
            .await
            .expect("connect");
        stemcare::seeds::load(&mut conn).await.expect("seed");
        private
    }

    /// Starts the postmaster on the existing data directory (initdb's it the first time).
    async fn start_postgres(&mut self) {
        let dir = self.dir.clone();
        let cluster = tokio::task::spawn_blocking(move || {
            EmbeddedCluster::start(&dir, None, ClusterOptions { throwaway: false })
        })
        .await
        .expect("start task")
        .expect("start PostgreSQL");
        self.cluster = Some(cluster);
    }

    /// A fast shutdown (`pg_ctl stop -m fast`): sessions are terminated, open transactions roll back.
    async fn stop_postgres(&mut self) {
        if let Some(mut cluster) = self.cluster.take() {
            tokio::task::spawn_blocking(move || cluster.stop())
                .await
                .expect("stop task");
        }
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if let Some(mut cluster) = self.cluster.take() {
            cluster.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts the API (and its background workers) on a random loopback port against `database_url`.
async fn spawn_app(database_url: &str, pool_timeout_ms: usize) -> String {
    let settings = Settings {
        workers: 2,
        pool_timeout_ms,
        ..Settings::for_tests(database_url)
    };
    let state = stemcare::startup::connect(database_url, settings)
        .await
        .expect("load app state");
    // The workers run through the outage too: they must neither crash nor stop for good.
    let tick = Duration::from_millis(200);
    stemcare::quotes::expiry::spawn_worker(state.pool.clone(), tick, state.shutting_down.clone());
    let deliverer = stemcare::webhooks::delivery::Deliverer {
        client: stemcare::webhooks::url_check::delivery_client().expect("webhook client"),
        data_key: state.data_key.clone(),
        policy: stemcare::webhooks::url_check::UrlPolicy {
            allow_insecure_localhost: true,
        },
    };
    stemcare::webhooks::delivery::spawn_worker(
        state.pool.clone(),
        deliverer,
        tick,
        state.shutting_down.clone(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
    let port = listener.local_addr().expect("local address").port();
    let server = stemcare::startup::build_server(listener, state, fault_routes).expect("build server");
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}")
}

/// How long the test routes keep a checked-out connection idle between two statements.
const HOLD: Duration = Duration::from_millis(1500);

/// A handler that runs a statement, does other work while holding its connection, then runs
/// another: a restart in between leaves it with a connection Postgres has closed.
async fn hold_between_statements(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    use diesel_async::RunQueryDsl;
    let mut conn = state.pool.get().await?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    tokio::time::sleep(HOLD).await;
    diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The same inside a transaction, where the failed statement is followed by a failed ROLLBACK.
async fn hold_in_transaction(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        diesel::sql_query("SELECT 1").execute(conn).await?;
        tokio::time::sleep(HOLD).await;
        diesel::sql_query("SELECT 1").execute(conn).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn fault_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/__fault/hold", web::get().to(hold_between_statements))
        .route("/__fault/hold-in-transaction", web::get().to(hold_in_transaction));
}

fn quote_request(n: usize) -> Value {
    json!({
        "condition": "sciatica",
        "has_mri": true,
        "preferred_countries": ["TR"],
        "budget": {"amount": "8000.00", "currency": "EUR"},
        // One address per request: the per-email daily limit must not be what answers.
        "patient": {"name": "Load Test", "email": format!("load{n}@example.com"), "country_of_residence": "GB", "preferred_language": "en"},
        "consent": {"health_data_processing": true},
        "share_with": {"mode": "top_matches", "count": 2}
    })
}

/// What one request of the load saw.
#[derive(Debug)]
struct Outcome {
    sent_at: Instant,
    elapsed: Duration,
    status: u16,
    retry_after: Option<String>,
    content_type: String,
    body: Value,
}

/// Sends `request` and records what came back; a request without an HTTP answer fails the test.
async fn record(request: reqwest::RequestBuilder) -> Outcome {
    let sent_at = Instant::now();
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("a request got no HTTP answer: {e}"));
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after");
    let content_type = header("content-type").unwrap_or_default();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    Outcome {
        sent_at,
        elapsed: sent_at.elapsed(),
        status,
        retry_after,
        content_type,
        body,
    }
}

/// Sends `request(n)` for n = 1, 2, … every 50 ms while `running`, whatever the earlier requests
/// are doing (open loop), and records every outcome; the task ends when all have answered.
fn open_loop(
    running: Arc<AtomicBool>,
    request: impl Fn(usize) -> reqwest::RequestBuilder + Send + 'static,
) -> (tokio::task::JoinHandle<()>, Arc<Mutex<Vec<Outcome>>>) {
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let recorded = outcomes.clone();
    let task = tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_millis(50));
        let mut in_flight = Vec::new();
        let mut n = 0;
        while running.load(Relaxed) {
            ticker.tick().await;
            n += 1;
            let (sent, recorded) = (record(request(n)), recorded.clone());
            in_flight.push(tokio::spawn(async move {
                let outcome = sent.await;
                recorded.lock().await.push(outcome);
            }));
        }
        for request in in_flight {
            request.await.expect("a load request panicked");
        }
    });
    (task, outcomes)
}

/// Asserts that every outcome answered within `budget` with `success` or a 503 problem, and that
/// those sent while PostgreSQL was down and answered before it was starting again are 503s;
/// returns how many of those there were.
fn check_outcomes(
    outcomes: &[Outcome],
    success: u16,
    budget: Duration,
    down: Instant,
    starting: Instant,
) -> usize {
    let mut during_outage = 0;
    for outcome in outcomes {
        assert!(
            outcome.elapsed <= budget,
            "every request answers within {budget:?}: {outcome:?}"
        );
        if outcome.status != success {
            assert_unavailable(outcome);
        }
        // Sent while PostgreSQL was down and answered before it was back: it cannot have succeeded.
        if outcome.sent_at >= down && outcome.sent_at + outcome.elapsed <= starting {
            assert_eq!(outcome.status, 503, "{outcome:?}");
            during_outage += 1;
        }
    }
    during_outage
}

/// Asserts a 503 problem with a usable `Retry-After`.
fn assert_unavailable(outcome: &Outcome) {
    assert_eq!(outcome.status, 503, "{outcome:?}");
    assert_eq!(outcome.content_type, "application/problem+json", "{outcome:?}");
    assert_eq!(
        outcome.body["type"], "/problems/service-unavailable",
        "{outcome:?}"
    );
    assert_eq!(outcome.body["status"], 503);
    let retry_after: u64 = outcome
        .retry_after
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a 503 carries Retry-After in seconds: {outcome:?}"));
    assert!((1..=60).contains(&retry_after), "{outcome:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_load_gives_503s_then_recovers_without_losing_accepted_quotes() {
    let _ = env_logger::builder().is_test(true).try_init();
    let test_started = Instant::now();
    const POOL_TIMEOUT_MS: usize = 1000;
    // No request may take longer than the checkout timeout plus a second: nothing hangs.
    let budget = Duration::from_millis(POOL_TIMEOUT_MS as u64) + Duration::from_secs(1);
    const OUTAGE: Duration = Duration::from_secs(2);

    let mut postgres = PrivateCluster::start().await;
    let address = spawn_app(&postgres.database_url, POOL_TIMEOUT_MS).await;
    let client = reqwest::Client::builder()
        // A generous client-side cap, so a hung request is measured instead of waited for forever.
        .timeout(budget * 3)
        .build()
        .expect("client");

    // Liveness is probed every 100 ms throughout; it must never fail.
    let probing = Arc::new(AtomicBool::new(true));
    let prober = {
        let (client, address, probing) = (client.clone(), address.clone(), probing.clone());
        tokio::spawn(async move {
            let mut probes = 0;
            while probing.load(Relaxed) {
                let started = Instant::now();
                let response = client.get(format!("{address}/healthz")).send().await;
                let status = response.map(|r| r.status().as_u16()).map_err(|e| e.to_string());
                assert_eq!(status, Ok(200), "/healthz answers throughout");
                assert!(started.elapsed() < Duration::from_secs(1), "/healthz is prompt");
                probes += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            probes
        })
    };

    // Open-loop load: one quote request every 50 ms (20/s), whatever the previous ones are doing.
    let loading = Arc::new(AtomicBool::new(true));
    let (load, outcomes) = open_loop(loading.clone(), {
        let (client, address) = (client.clone(), address.clone());
        move |n| {
            client
                .post(format!("{address}/v1/quotes"))
                .json(&quote_request(n))
        }
    });

    // Reads by id at the same time, on the shared pipelined connections (`db::shared`), which
    // must reconnect by themselves after the restart.
    let clinic_id = {
        let list: Value = client
            .get(format!("{address}/v1/clinics"))
            .send()
            .await
            .expect("list clinics")
            .json()
            .await
            .expect("json");
        list["items"][0]["id"]
            .as_str()
            .expect("a seeded clinic")
            .to_owned()
    };
    let (reading, reads) = open_loop(loading.clone(), {
        let (client, address) = (client.clone(), address.clone());
        move |_| client.get(format!("{address}/v1/clinics/{clinic_id}"))
    });

    let created_since = |outcomes: &[Outcome], since: Instant| {
        outcomes
            .iter()
            .filter(|o| o.sent_at >= since && o.status == 201)
            .count()
    };
    // Healthy load first: quotes are accepted.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        created_since(&outcomes.lock().await, test_started) > 0,
        "quotes are created before the outage"
    );

    // Requests that hold a checked-out connection across the restart (as a handler does while it
    // computes between statements): they must end as 503 problems too, never 500.
    let holders: Vec<_> = ["/__fault/hold", "/__fault/hold-in-transaction"]
        .into_iter()
        .map(|path| tokio::spawn(record(client.get(format!("{address}{path}")))))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = Instant::now();
    postgres.stop_postgres().await;
    let down = Instant::now();
    tokio::time::sleep(OUTAGE).await;
    let starting = Instant::now();
    postgres.start_postgres().await;
    let recovered = Instant::now();

    // Wait for the first accepted quote sent after recovery (at most 5 s), then a little more load.
    let first_success_after_recovery = loop {
        let first = outcomes
            .lock()
            .await
            .iter()
            .filter(|o| o.sent_at >= recovered && o.status == 201)
            .map(|o| o.sent_at + o.elapsed)
            .min();
        if let Some(at) = first {
            break at;
        }
        assert!(
            recovered.elapsed() < Duration::from_secs(5),
            "no quote was accepted within 5 s of PostgreSQL being back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    loading.store(false, Relaxed);
    load.await.expect("load generator");
    reading.await.expect("read load generator");
    probing.store(false, Relaxed);
    let probes = prober.await.expect("/healthz prober");
    assert!(probes > 20, "liveness was probed throughout: {probes}");

    for holder in holders {
        let outcome = holder.await.expect("holder");
        assert_unavailable(&outcome);
        assert!(outcome.elapsed <= HOLD + budget, "{outcome:?}");
    }

    let outcomes = std::mem::take(&mut *outcomes.lock().await);
    let recovery = first_success_after_recovery - recovered;
    let during_outage = check_outcomes(&outcomes, 201, budget, down, starting);
    assert!(
        during_outage >= 20,
        "the outage was exercised: {during_outage} requests answered while down"
    );

    // Reads by id: 200 or a prompt 503 problem, 503 while down, and 200 again within 5 s of
    // recovery (the shared connections reconnected).
    let reads = std::mem::take(&mut *reads.lock().await);
    let reads_during_outage = check_outcomes(&reads, 200, budget, down, starting);
    assert!(
        reads_during_outage >= 20,
        "reads were refused while down: {reads_during_outage}"
    );
    assert!(
        reads.iter().any(|o| o.sent_at < stopping && o.status == 200),
        "reads succeeded before the outage"
    );
    let first_read_after_recovery = reads
        .iter()
        .filter(|o| o.sent_at >= recovered && o.status == 200)
        .map(|o| o.sent_at + o.elapsed)
        .min()
        .expect("a read by id succeeded after recovery");
    assert!(
        first_read_after_recovery - recovered < Duration::from_secs(5),
        "reads by id recovered within 5 s"
    );

    // Nothing accepted is lost, nothing refused was kept: every 201 is readable with its token,
    // and the table holds exactly those quotes.
    let accepted: Vec<(String, String)> = outcomes
        .iter()
        .filter(|o| o.status == 201)
        .map(|o| {
            (
                o.body["quote"]["id"].as_str().expect("quote id").to_owned(),
                o.body["access_token"].as_str().expect("access token").to_owned(),
            )
        })
        .collect();
    for (id, token) in &accepted {
        let response = client
            .get(format!("{address}/v1/quotes/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET quote");
        assert_eq!(response.status().as_u16(), 200, "quote {id} is readable");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["id"], id.as_str(), "{body}");
    }
    let stored = count_quotes(&postgres.database_url).await;
    assert_eq!(stored, accepted.len() as i64, "rows in quotes == 201s");

    // The expiry worker survived the outage: a quote made due now is expired within a second or so.
    let (id, token) = accepted.last().expect("an accepted quote").clone();
    make_due(&postgres.database_url, &id).await;
    let expired = async {
        loop {
            let body: Value = client
                .get(format!("{address}/v1/quotes/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("GET quote")
                .json()
                .await
                .expect("json");
            if body["status"] == "expired" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(3), expired)
        .await
        .expect("the expiry worker still runs after the outage");

    eprintln!(
        "fault test: {} requests, {} accepted, {during_outage} refused while down; stop took {:?}, \
         first 201 {recovery:?} after recovery; total {:?}",
        outcomes.len(),
        accepted.len(),
        down - stopping,
        test_started.elapsed()
    );
    assert!(
        test_started.elapsed() < Duration::from_secs(30),
        "bounded in time"
    );
}

async fn count_quotes(database_url: &str) -> i64 {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = stemcare::db::connect(database_url).await.expect("connect");
    stemcare::db::schema::quotes::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("count quotes")
}

async fn make_due(database_url: &str, id: &str) {
    use diesel_async::RunQueryDsl;
    let mut conn = stemcare::db::connect(database_url).await.expect("connect");
    diesel::sql_query("UPDATE quotes SET expires_at = now() - interval '1 second' WHERE id = $1::uuid")
        .bind::<diesel::sql_types::Text, _>(id)
        .execute(&mut conn)
        .await
        .expect("make the quote due");
}
