//! The `stemcare` binary itself: settings errors, the embedded database, restarts that keep data.

use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::free_port;

fn stemcare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stemcare"));
    command.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    command
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let output = stemcare()
        .env("STEMCARE_BIND", "not-an-address")
        .arg("serve")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("STEMCARE_BIND"), "{stderr}");
}

#[test]
fn missing_postgres_binaries_say_how_to_install_them() {
    let dir = tempfile::tempdir().expect("dir");
    let output = stemcare()
        .env("PG_BIN", "/nonexistent/bin")
        .env("STEMCARE_DATA_DIR", dir.path())
        .arg("serve")
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("apt-get install") && stderr.contains("DATABASE_URL"),
        "{stderr}"
    );
}

struct Server(Child);

impl Server {
    fn start(data_dir: &std::path::Path, port: u16) -> Server {
        let child = stemcare()
            .env("STEMCARE_DATA_DIR", data_dir)
            .env("STEMCARE_BIND", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn stemcare serve");
        Server(child)
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
        self.0.wait().expect("wait")
    }
}

impl Server {
    /// Waits for an exit already requested.
    fn terminate_wait(mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.0.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not exit within 30 s");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

async fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let client = reqwest::Client::new();
    while Instant::now() < deadline {
        if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server on port {port} never became ready");
}

async fn connect(data_dir: &std::path::Path) -> diesel_async::AsyncPgConnection {
    use diesel_async::AsyncConnection;
    let pgdata = data_dir.join("pgdata");
    let url = format!(
        "host='{}' port=5432 user=postgres dbname=stemcare",
        pgdata.display()
    );
    diesel_async::AsyncPgConnection::establish(&url)
        .await
        .expect("connect through the private socket")
}

#[derive(diesel::QueryableByName)]
struct Value {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

#[tokio::test]
async fn serve_starts_a_private_cluster_that_keeps_its_data_across_restarts() {
    use diesel_async::RunQueryDsl;
    let dir = tempfile::Builder::new()
        .prefix("stemcare-serve-")
        .tempdir()
        .expect("dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let data_dir = dir.path().join("data");

    let port = free_port();
    let server = Server::start(&data_dir, port);
    wait_ready(port).await;
    assert!(
        data_dir.join("pgdata/PG_VERSION").exists(),
        "cluster initialised under STEMCARE_DATA_DIR"
    );

    // A second command on the same data directory attaches to the running cluster.
    let migrate = stemcare()
        .env("STEMCARE_DATA_DIR", &data_dir)
        .arg("migrate")
        .output()
        .expect("migrate");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    wait_ready(port).await;

    // The personal-data key was created beside the data, readable by its owner only.
    let key_mode = std::fs::metadata(data_dir.join("data.key"))
        .expect("data.key")
        .permissions()
        .mode();
    assert_eq!(key_mode & 0o777, 0o600);

    // `api-keys create` prints a working secret once; `revoke` stops it.
    let created = stemcare()
        .env("STEMCARE_DATA_DIR", &data_dir)
        .args(["api-keys", "create", "--role", "coordinator", "--name", "ops"])
        .output()
        .expect("api-keys create");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let secret = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    assert!(secret.starts_with("sk_live_"));
    let client = reqwest::Client::new();
    let quotes = format!("http://127.0.0.1:{port}/v1/quotes");
    let ok = client
        .get(&quotes)
        .bearer_auth(&secret)
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status().as_u16(), 200);
    let prefix = secret.split('.').next().expect("prefix").to_owned();
    let revoked = stemcare()
        .env("STEMCARE_DATA_DIR", &data_dir)
        .args(["api-keys", "revoke", &prefix])
        .output()
        .expect("revoke");
    assert!(revoked.status.success());
    let refused = client
        .get(&quotes)
        .bearer_auth(&secret)
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status().as_u16(), 401);
    let partner = stemcare()
        .env("STEMCARE_DATA_DIR", &data_dir)
        .args([
            "partners",
            "create",
            "--name",
            "Liv Group",
            "--clinic",
            "liv-hospital-ulus",
        ])
        .output()
        .expect("partners create");
    assert!(
        partner.status.success(),
        "{}",
        String::from_utf8_lossy(&partner.stderr)
    );
    let partner_key = stemcare()
        .env("STEMCARE_DATA_DIR", &data_dir)
        .args([
            "api-keys",
            "create",
            "--role",
            "partner",
            "--partner",
            "Liv Group",
        ])
        .output()
        .expect("partner key");
    assert!(
        partner_key.status.success(),
        "{}",
        String::from_utf8_lossy(&partner_key.stderr)
    );

    let mut conn = connect(&data_dir).await;
    diesel::sql_query("INSERT INTO app_meta (key, value) VALUES ('restart-test', 'kept')")
        .execute(&mut conn)
        .await
        .expect("write");
    drop(conn);

    assert!(server.terminate().success(), "SIGTERM is a clean stop");
    assert!(
        !data_dir.join("pgdata/postmaster.pid").exists(),
        "the cluster stopped with the server"
    );

    let port = free_port();
    let server = Server::start(&data_dir, port);
    wait_ready(port).await;
    let mut conn = connect(&data_dir).await;
    let row: Value = diesel::sql_query("SELECT value FROM app_meta WHERE key = 'restart-test'")
        .get_result(&mut conn)
        .await
        .expect("the row survived the restart");
    assert_eq!(row.value, "kept");
    drop(conn);
    assert!(server.terminate().success());
}

#[tokio::test]
async fn sigterm_turns_readiness_off_first_and_logs_hold_no_personal_data() {
    let dir = tempfile::Builder::new()
        .prefix("stemcare-stop-")
        .tempdir()
        .expect("dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let data_dir = dir.path().join("data");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let port = free_port();
    let child = stemcare()
        .env("STEMCARE_DATA_DIR", &data_dir)
        .env("STEMCARE_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "debug")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn stemcare serve");
    let server = Server(child);
    wait_ready(port).await;

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let quote = serde_json::json!({
        "condition": "sciatica", "has_mri": false, "notes": "sentinel-notes-91f2",
        "patient": {"name": "Sentinel Zyxwv", "email": "sentinel-7f3a@example.com", "phone": "+1 555 0100 222",
                    "country_of_residence": "US", "preferred_language": "en"},
        "consent": {"health_data_processing": true}
    });
    let created = client
        .post(format!("{base}/v1/quotes"))
        .json(&quote)
        .send()
        .await
        .expect("quote");
    assert_eq!(created.status().as_u16(), 201);
    let body: serde_json::Value = created.json().await.expect("json");
    let token = body["access_token"].as_str().expect("token").to_owned();
    let read = client
        .get(format!(
            "{base}/v1/quotes/{}",
            body["quote"]["id"].as_str().expect("id")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("read");
    assert_eq!(read.status().as_u16(), 200);

    let pid = nix::unistd::Pid::from_raw(server.0.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let mut saw_not_ready = false;
    for _ in 0..20 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await {
            if response.status().as_u16() == 503 {
                saw_not_ready = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(saw_not_ready, "readiness turns 503 before the server stops");
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("healthz")
            .status()
            .as_u16(),
        200,
        "still serving while draining"
    );
    let status = server.terminate_wait();
    assert!(status.success(), "clean exit: {status}");
    assert!(
        !data_dir.join("pgdata/postmaster.pid").exists(),
        "the cluster stopped"
    );

    let logs = std::fs::read_to_string(&log_path).expect("logs");
    assert!(logs.contains("/v1/quotes"), "requests are logged");
    for secret in [
        "sentinel-7f3a",
        "Sentinel Zyxwv",
        "sentinel-notes-91f2",
        "555 0100",
        &token,
    ] {
        assert!(!logs.contains(secret), "the logs must not contain {secret}");
    }
}
