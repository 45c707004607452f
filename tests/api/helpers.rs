//! The test harness (GUIDE §6): one embedded PostgreSQL cluster per test binary, a migrated and
//! seeded template database, and a fresh database cloned from it for every test.

use std::collections::HashMap;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use stemcare::config::Settings;
use stemcare::db::embedded::{ClusterOptions, EmbeddedCluster};
use stemcare::state::AppState;

const TEMPLATE: &str = "stemcare_template";

struct TestCluster {
    base_conninfo: String,
}

static CLUSTER: OnceLock<TestCluster> = OnceLock::new();
/// Held here so the `atexit` hook can stop it: statics are never dropped.
static RUNNING: Mutex<Option<(EmbeddedCluster, std::path::PathBuf)>> = Mutex::new(None);

extern "C" fn stop_cluster() {
    if let Ok(mut guard) = RUNNING.lock() {
        if let Some((mut cluster, dir)) = guard.take() {
            cluster.stop();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn cluster() -> &'static TestCluster {
    CLUSTER.get_or_init(|| {
        let (cluster, dir, base_conninfo) = start_cluster_with_template("stemcare-test-");
        // Kept until exit: the atexit hook stops the cluster and removes the directory.
        *RUNNING.lock().expect("cluster lock") = Some((cluster, dir));
        unsafe {
            libc::atexit(stop_cluster);
        }
        TestCluster { base_conninfo }
    })
}

/// Starts a throw-away cluster in a new temporary directory (kept: the caller removes it) with
/// the migrated and seeded template database; returns it, its directory and its conninfo
/// without `dbname`.
pub fn start_cluster_with_template(prefix: &str) -> (EmbeddedCluster, std::path::PathBuf, String) {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("temp dir");
    // The postgres user (when we run as root) must be able to traverse the directory.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod temp dir");
    let cluster = EmbeddedCluster::start(dir.path(), None, ClusterOptions { throwaway: true })
        .expect("start the test PostgreSQL cluster");
    let maintenance = cluster.connection_string("postgres");
    let base_conninfo = maintenance.trim_end_matches("dbname='postgres'").to_owned();
    let dir = dir.keep();
    // Build the template on a runtime of its own: this runs once, from whichever test is first.
    let template = format!("{base_conninfo}dbname='{TEMPLATE}'");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            stemcare::db::create_database_if_missing(&maintenance, TEMPLATE)
                .await
                .expect("create template");
            stemcare::db::run_migrations(&template)
                .await
                .expect("migrate template");
            let mut conn = stemcare::db::connect(&template)
                .await
                .expect("connect to template");
            stemcare::seeds::load(&mut conn).await.expect("seed template");
        });
    })
    .join()
    .expect("template set-up thread");
    (cluster, dir, base_conninfo)
}

/// A running API server on a random port with its own fresh database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database_url: String,
    /// The key the app encrypts with (webhook tests decrypt signing secrets with it).
    pub data_key: stemcare::crypto::DataKey,
    /// The server's clock: `app.clock.advance(..)` moves the running server forward in time.
    #[allow(dead_code)] // read by the follow-up tests as they arrive
    pub clock: stemcare::clock::Clock,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with adjusted settings (limits, timeouts).
    pub async fn spawn_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
        let database_url = fresh_database(&cluster().base_conninfo).await;
        Self::spawn_on(database_url, customize).await
    }

    /// Spawns against `database_url` (a fresh database, see [`fresh_database`]).
    pub async fn spawn_on(database_url: String, customize: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = Settings {
            cors_origins: vec!["https://app.example.com".to_owned()],
            ..Settings::for_tests(&database_url)
        };
        customize(&mut settings);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
        let port = listener.local_addr().expect("local address").port();
        let data_key = settings.data_key.clone().expect("data key");
        let state = stemcare::startup::connect(&database_url, settings)
            .await
            .expect("load app state");
        let clock = state.clock.clone();
        let server = stemcare::startup::build_server(listener, state, test_routes).expect("build server");
        tokio::spawn(server);
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            database_url,
            data_key,
            clock,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET request")
    }
}

/// A new database cloned from the template in the cluster at `base_conninfo`; returns its conninfo.
pub async fn fresh_database(base_conninfo: &str) -> String {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    clone_template(&format!("{base_conninfo}dbname='postgres'"), &name).await;
    format!("{base_conninfo}dbname='{name}'")
}

async fn clone_template(maintenance: &str, name: &str) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let mut conn = AsyncPgConnection::establish(maintenance)
        .await
        .expect("connect to maintenance db");
    diesel::sql_query(format!("CREATE DATABASE \"{name}\" TEMPLATE \"{TEMPLATE}\""))
        .execute(&mut conn)
        .await
        .expect("clone the template database");
}

/// A body the echo route accepts; unknown fields are rejected like every real request DTO.
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct EchoBody {
    pub name: String,
    pub count: u32,
}

#[derive(Deserialize)]
struct PageQuery {
    #[allow(dead_code)]
    page_size: u32,
}

/// Holds a pooled connection in a query that outlives `statement_timeout`.
async fn slow_query(state: web::Data<AppState>) -> Result<HttpResponse, stemcare::error::ApiError> {
    use diesel_async::RunQueryDsl;
    let mut conn = state.pool.get().await?;
    diesel::sql_query("SELECT pg_sleep(3)").execute(&mut conn).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A catalogue read (through `state.reads`, so on a healthy replica) that takes half a second,
/// long enough for a test to kill the replica's backend under it. Says where it ran.
async fn slow_catalogue_read(state: web::Data<AppState>) -> Result<HttpResponse, stemcare::error::ApiError> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Ran {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        in_recovery: bool,
    }
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let ran: Ran = diesel::sql_query("SELECT pg_is_in_recovery() AS in_recovery FROM pg_sleep(0.5)")
        .get_result(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "on_replica": ran.in_recovery })))
}

async fn panicking_handler() -> HttpResponse {
    panic!("boom: /secret/path SELECT * FROM users")
}

/// Gates `/__test/paused-ndjson?key=…` waits on between its two lines: a test registers one under
/// its key, reads the first line, then opens it (`Notify::notify_one`).
pub static NDJSON_PAUSES: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Notify>>>> =
    LazyLock::new(Default::default);

/// The first line of `/__test/paused-ndjson`.
pub const PAUSED_FIRST_LINE: &str = "{\"line\":1,\"note\":\"sent before the pause\"}\n";
/// The second line, sent once the test opens the gate.
pub const PAUSED_SECOND_LINE: &str = "{\"line\":2,\"note\":\"sent after the pause\"}\n";

/// A two-line NDJSON stream that waits between its lines until the test opens the gate: a
/// response buffered anywhere on the way would never show the first line before the second.
async fn paused_ndjson(query: web::Query<HashMap<String, String>>) -> HttpResponse {
    use futures_util::StreamExt;
    let gate = query
        .get("key")
        .and_then(|key| NDJSON_PAUSES.lock().expect("pause gates").get(key).cloned());
    let first =
        futures_util::stream::once(async { Ok::<_, actix_web::Error>(web::Bytes::from(PAUSED_FIRST_LINE)) });
    let second = futures_util::stream::once(async move {
        if let Some(gate) = gate {
            gate.notified().await;
        }
        Ok::<_, actix_web::Error>(web::Bytes::from(PAUSED_SECOND_LINE))
    });
    HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(first.chain(second))
}

/// Routes that exist only in tests, mounted inside the production middleware stack.
fn test_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/__test/slow-query", web::get().to(slow_query))
        .route("/__test/slow-catalogue-read", web::get().to(slow_catalogue_read))
        .route("/__test/panic", web::get().to(panicking_handler))
        .route(
            "/__test/echo",
            web::post()
                .to(|body: web::Json<EchoBody>| async move { HttpResponse::Ok().json(body.into_inner()) }),
        )
        .route(
            "/__test/query",
            web::get().to(|_q: web::Query<PageQuery>| async { HttpResponse::NoContent().finish() }),
        )
        .route("/__test/paused-ndjson", web::get().to(paused_ndjson))
        .route(
            "/__test/raw",
            web::post().to(|body: web::Bytes| async move { HttpResponse::Ok().body(body.len().to_string()) }),
        );
}

/// Asserts a problem+json response and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16, type_slug: &str) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert!(request_id.is_some(), "every response carries X-Request-Id");
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["type"], format!("/problems/{type_slug}"));
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string());
    assert_eq!(
        body["request_id"].as_str(),
        request_id.as_deref(),
        "body and header ids agree"
    );
    body
}

impl TestApp {
    /// GET and parse JSON, asserting the status.
    pub async fn get_json(&self, path: &str, status: u16) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status().as_u16(), status, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// [`Self::get_json`] with `bearer`'s credentials.
    pub async fn get_json_as(&self, path: &str, bearer: &str, status: u16) -> serde_json::Value {
        let response = self.get_as(path, bearer).await;
        assert_eq!(response.status().as_u16(), status, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// Follows `next_page_token` from `path` to the end and returns every item in order.
    pub async fn walk(&self, path: &str) -> Vec<serde_json::Value> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..200 {
            let url = match &token {
                Some(t) => format!("{path}{separator}page_token={t}"),
                None => path.to_owned(),
            };
            let page = self.get_json(&url, 200).await;
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_page_token"].as_str() {
                Some(next) => token = Some(next.to_owned()),
                None => return items,
            }
        }
        panic!("pagination of {path} did not end");
    }
}

/// The `Location` header of a response (a created resource's path).
pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

/// The values of `field` in `items`.
pub fn field(items: &[serde_json::Value], name: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[name].as_str().unwrap_or_default().to_owned())
        .collect()
}

impl TestApp {
    /// A direct database connection, for set-up and for checking what is stored.
    pub async fn db(&self) -> diesel_async::AsyncPgConnection {
        stemcare::db::connect(&self.database_url)
            .await
            .expect("connect to the test database")
    }

    /// Creates a partner owning the clinic with `clinic_slug` and returns a partner API key.
    pub async fn partner_key(&self, partner: &str, clinic_slug: &str) -> String {
        let mut conn = self.db().await;
        let partner_id =
            stemcare::partners::create_with_clinics(&mut conn, partner, &[clinic_slug.to_owned()])
                .await
                .expect("partner");
        stemcare::auth::api_keys::create(&mut conn, "partner", Some(partner_id), Some("test"))
            .await
            .expect("partner key")
            .secret
    }

    /// A staff key with `role` (`admin` or `coordinator`).
    pub async fn staff_key(&self, role: &str) -> String {
        let mut conn = self.db().await;
        stemcare::auth::api_keys::create(&mut conn, role, None, Some("test"))
            .await
            .expect("staff key")
            .secret
    }

    pub async fn post_json(
        &self,
        path: &str,
        bearer: Option<&str>,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("POST request")
    }

    /// POSTs `body` with an `Idempotency-Key`.
    pub async fn post_idempotent(
        &self,
        path: &str,
        bearer: &str,
        key: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(bearer)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("POST request")
    }

    /// Sends the same POST with one Idempotency-Key twice at once. Each answer must be 201 or a
    /// 409 (the other still running); returns the ids of the created resources: one when the key
    /// holds.
    pub async fn race_idempotent(
        &self,
        path: &str,
        bearer: &str,
        key: &str,
        body: &serde_json::Value,
    ) -> std::collections::HashSet<serde_json::Value> {
        let (a, b) = tokio::join!(
            self.post_idempotent(path, bearer, key, body),
            self.post_idempotent(path, bearer, key, body),
        );
        let mut ids = std::collections::HashSet::new();
        for response in [a, b] {
            let status = response.status().as_u16();
            assert!(status == 201 || status == 409, "status {status}");
            if status == 201 {
                let created: serde_json::Value = response.json().await.expect("json");
                ids.insert(created["id"].clone());
            }
        }
        ids
    }

    /// Sends `method` to `path`, with a bearer token and a JSON body when given.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    /// Registers a staff webhook endpoint (where `follow_up.due` goes) with an admin key and
    /// returns its id, after checking the 201 and that its `Location` is an admin path.
    pub async fn staff_webhook_endpoint(&self, admin: &str, url: &str) -> String {
        let response = self
            .post_json(
                "/v1/admin/webhook-endpoints",
                Some(admin),
                &serde_json::json!({ "url": url }),
            )
            .await;
        assert_eq!(response.status().as_u16(), 201);
        let location = location(&response);
        assert_eq!(location.split('/').nth(2), Some("admin"), "{location}");
        let body: serde_json::Value = response.json().await.expect("json");
        body["id"].as_str().expect("id").to_owned()
    }

    pub async fn get_as(&self, path: &str, bearer: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("GET request")
    }

    /// The id of the seeded clinic with this slug.
    pub async fn clinic_id(&self, slug: &str) -> String {
        // Critically flagged clinics are listed only on request.
        let clinics = self.walk("/v1/clinics?page_size=100&include_flagged=true").await;
        clinics.iter().find(|c| c["slug"] == slug).expect("seeded clinic")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }
}

/// A loopback port nobody listens on now (for servers started as separate processes).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
