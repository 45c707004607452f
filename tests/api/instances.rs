//! Several API instances on one primary, as real `stemcare serve` processes: no request depends on
//! which instance serves it, an idempotent retry that lands on the other instance replays, and an
//! instance killed with SIGKILL under load loses no write it acknowledged.
//!
//! (That the background workers never process one item twice across instances is shown by
//! `webhooks::two_workers_never_send_the_same_delivery_twice` and the expiry tests: the workers
//! coordinate only through Postgres row locks, so two workers in one process or in two are the same.)

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{free_port, TestApp};
use crate::quotes::{offer_request, quote_request};

/// One `stemcare serve` process; killed when dropped so a failing test leaves nothing behind.
struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test database as a `postgresql://` URL (the binary accepts only URLs), over the cluster's
/// Unix socket.
fn database_url(conninfo: &str) -> String {
    let config: tokio_postgres::Config = conninfo.parse().expect("conninfo");
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Unix(dir)) => dir.display().to_string(),
        other => panic!("the test cluster listens on a Unix socket, not {other:?}"),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().expect("user");
    let dbname = config.get_dbname().expect("dbname");
    let host: String = url::form_urlencoded::byte_serialize(host.as_bytes()).collect();
    format!("postgresql://{user}@/{dbname}?host={host}&port={port}")
}

async fn start(database_url: &str, data_key: &str) -> Instance {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_stemcare"))
        .env("DATABASE_URL", database_url)
        .env("STEMCARE_DATA_KEY", data_key)
        .env("STEMCARE_BIND", format!("127.0.0.1:{port}"))
        .env("STEMCARE_WORKERS", "2")
        .env("STEMCARE_QUOTE_RATE_LIMIT_PER_HOUR", "100000")
        .env("STEMCARE_RATE_LIMIT_PER_MINUTE", "100000")
        .env("STEMCARE_QUOTES_PER_EMAIL_PER_DAY", "1000")
        .env("RUST_LOG", "warn")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn stemcare serve");
    let instance = Instance {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = client
            .get(format!("{}/readyz", instance.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return instance;
        }
        assert!(
            Instant::now() < deadline,
            "instance on port {port} not ready in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn random_key() -> String {
    (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

async fn two_instances(app: &TestApp) -> (Instance, Instance) {
    let url = database_url(&app.database_url);
    let key = random_key();
    let a = start(&url, &key).await;
    let b = start(&url, &key).await;
    (a, b)
}

#[tokio::test]
async fn the_quote_flow_alternates_between_instances_and_retries_replay_on_the_other() {
    let app = TestApp::spawn().await;
    let (a, b) = two_instances(&app).await;
    let client = reqwest::Client::new();
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let body = quote_request(
        "two-instances@example.com",
        json!({"mode": "clinics", "clinic_ids": [liv]}),
    );

    let post = |base: &str| {
        client
            .post(format!("{base}/v1/quotes"))
            .header("Idempotency-Key", "across-instances-1")
            .json(&body)
            .send()
    };
    let first = post(&a.base).await.expect("POST on A");
    assert_eq!(first.status().as_u16(), 201);
    let first_body = first.text().await.expect("body");
    let retried = post(&b.base).await.expect("retry on B");
    assert_eq!(
        retried.status().as_u16(),
        201,
        "the retry on B replays, it is not refused"
    );
    assert_eq!(
        retried.text().await.expect("body"),
        first_body,
        "B replays A's response byte for byte"
    );

    let created: Value = serde_json::from_str(&first_body).expect("json");
    let quote_id = created["quote"]["id"].as_str().expect("id");
    let token = created["access_token"].as_str().expect("token");
    // The patient reads on B what A wrote; the clinic answers on A; the patient accepts on B.
    let read = client
        .get(format!("{}/v1/quotes/{quote_id}", b.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET on B");
    assert_eq!(read.status().as_u16(), 200);
    let partner = app.partner_key("Liv partners", "liv-hospital-ulus").await;
    let offer = client
        .post(format!("{}/v1/quotes/{quote_id}/offers", a.base))
        .bearer_auth(&partner)
        .header("Idempotency-Key", "offer-across-1")
        .json(&offer_request(&liv))
        .send()
        .await
        .expect("offer on A");
    assert_eq!(offer.status().as_u16(), 201);
    let offer: Value = offer.json().await.expect("offer json");
    let offer_id = offer["id"].as_str().expect("offer id");
    let accepted = client
        .post(format!(
            "{}/v1/quotes/{quote_id}/offers/{offer_id}/accept",
            b.base
        ))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .expect("accept on B");
    assert_eq!(accepted.status().as_u16(), 200, "{:?}", accepted.text().await);
    let after: Value = client
        .get(format!("{}/v1/quotes/{quote_id}", a.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET on A")
        .json()
        .await
        .expect("json");
    assert_eq!(after["status"], "accepted", "{after}");
}

#[tokio::test]
async fn an_instance_killed_under_load_loses_no_acknowledged_write() {
    let app = TestApp::spawn().await;
    let (a, b) = two_instances(&app).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let base = a.base.clone();
    // Writers keep creating quotes on A until it dies; each remembers what A acknowledged.
    let writers: Vec<_> = (0..6)
        .map(|writer| {
            let client = client.clone();
            let base = base.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in 0..200 {
                    let body =
                        quote_request(&format!("load-{writer}-{n}@example.com"), json!({"mode": "none"}));
                    let Ok(response) = client.post(format!("{base}/v1/quotes")).json(&body).send().await
                    else {
                        break;
                    };
                    if response.status().as_u16() != 201 {
                        continue;
                    }
                    let Ok(created) = response.json::<Value>().await else {
                        break;
                    };
                    acknowledged.push((
                        created["quote"]["id"].as_str().unwrap_or_default().to_owned(),
                        created["access_token"].as_str().unwrap_or_default().to_owned(),
                    ));
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut a = a;
    a.child.kill().expect("SIGKILL instance A");
    a.child.wait().expect("reap A");

    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.expect("writer"));
    }
    assert!(
        acknowledged.len() >= 5,
        "the load ran before the kill: {} quotes acknowledged",
        acknowledged.len()
    );
    for (id, token) in &acknowledged {
        let response = client
            .get(format!("{}/v1/quotes/{id}", b.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET on B");
        assert_eq!(
            response.status().as_u16(),
            200,
            "quote {id}, acknowledged by A before it was killed, is readable on B"
        );
    }
}
