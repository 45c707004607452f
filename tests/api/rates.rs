//! Exchange rates from the ECB: `stemcare rates refresh` (the real binary) from files and from a
//! loopback HTTP server, bad files that change nothing, the periodic refresh inside the server, and
//! `stale` on rates and converted prices. Nothing here touches the internet.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ecb")
        .join(name)
}

/// The double-quoted fixture dated `date`, as XML text.
fn dated_file(date: NaiveDate) -> String {
    std::fs::read_to_string(fixture("double-quoted-template.xml"))
        .expect("fixture")
        .replace("DATE", &date.to_string())
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `host=… port=… user=… dbname=…` (the test cluster's socket) as the postgresql:// URL the
/// binary's DATABASE_URL takes.
fn database_url(conninfo: &str) -> String {
    let value = |key: &str| -> String {
        let start = conninfo
            .find(&format!("{key}="))
            .map(|i| i + key.len() + 1)
            .expect("conninfo key");
        let rest = &conninfo[start..];
        match rest.strip_prefix('\'') {
            Some(quoted) => quoted[..quoted.find('\'').expect("closing quote")].to_owned(),
            None => rest.split_whitespace().next().unwrap_or_default().to_owned(),
        }
    };
    let host: String = url::form_urlencoded::byte_serialize(value("host").as_bytes()).collect();
    format!(
        "postgresql://{}@/{}?host={host}&port={}",
        value("user"),
        value("dbname"),
        value("port")
    )
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `stemcare rates refresh` against the app's database.
async fn refresh(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_stemcare"));
    command
        .env("DATABASE_URL", database_url(&app.database_url))
        .env("RUST_LOG", "warn")
        .args(["rates", "refresh"])
        .args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().await.expect("run stemcare rates refresh");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every stored rate row as text, to show that nothing changed.
async fn stored_rates(app: &TestApp) -> Vec<(String, String, String, String)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        currency: String,
        #[diesel(sql_type = Text)]
        units: String,
        #[diesel(sql_type = Text)]
        as_of: String,
        #[diesel(sql_type = Text)]
        updated_at: String,
    }
    let mut conn = app.db().await;
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT currency::text, units_per_usd::text AS units, as_of::text, updated_at::text \
         FROM exchange_rates ORDER BY currency",
    )
    .load(&mut conn)
    .await
    .expect("rates");
    rows.into_iter()
        .map(|r| (r.currency, r.units, r.as_of, r.updated_at))
        .collect()
}

async fn rate(app: &TestApp, currency: &str) -> Value {
    let page = app.get_json("/v1/exchange-rates?page_size=100", 200).await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["currency"] == currency)
        .cloned()
        .unwrap_or_else(|| panic!("no {currency} rate"))
}

/// The id of a seeded USD-priced package whose clinic has no critical flag.
async fn package_id(app: &TestApp) -> String {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let mut conn = app.db().await;
    let row: Id = diesel::sql_query(
        "SELECT id::text AS id FROM treatment_packages WHERE slug = 'liv-hospital-ulus-back-pain-indicative'",
    )
    .get_result(&mut conn)
    .await
    .expect("seeded package");
    row.id
}

/// Reads `path` until `done` holds (the server caches rates for up to 5 s), or panics.
async fn eventually(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body = app.get_json(path, 200).await;
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} never changed: {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn cli_refresh_from_files_moves_rates_converted_prices_and_staleness() {
    let app = TestApp::spawn().await;
    let id = package_id(&app).await;
    let path = format!("/v1/treatment-packages/{id}?currency=EUR");
    // The seeded rates date from 2026-02-20: stale, and said so.
    let before = app.get_json(&path, 200).await;
    assert_eq!(before["converted_price"]["rate"]["as_of"], "2026-02-20");
    assert_eq!(before["converted_price"]["rate"]["stale"], true);
    assert_eq!(rate(&app, "EUR").await["stale"], true);
    let dir = tempfile::tempdir().expect("dir");

    // An older but newer-than-stored file: applied, still stale.
    let month_ago = today() - Days::new(30);
    let old_file = dir.path().join("old.xml");
    std::fs::write(&old_file, dated_file(month_ago)).expect("write");
    let run = refresh(&app, &["--from", old_file.to_str().expect("path")], &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .contains(&format!("ECB reference rates of {month_ago}")),
        "{}",
        run.stdout
    );
    let eur = rate(&app, "EUR").await;
    assert_eq!(eur["units_per_usd"], "0.934143"); // 1 / 1.07050
    assert_eq!(eur["as_of"], month_ago.to_string());
    assert_eq!(eur["stale"], true);
    assert_eq!(eur["derivation"], "EUR cross rate: 1 / USD per EUR (1 / 1.07050)");
    assert!(eur["source"]["url"]
        .as_str()
        .is_some_and(|u| u.starts_with("file://") && u.ends_with("/old.xml")));
    assert_eq!(rate(&app, "JPY").await["units_per_usd"], "160.616534");

    // Today's file: converted prices change value and date, and are not stale.
    let fresh_file = dir.path().join("fresh.xml");
    std::fs::write(&fresh_file, dated_file(today())).expect("write");
    let run = refresh(&app, &["--from", fresh_file.to_str().expect("path")], &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let after = eventually(&app, &path, |b| {
        b["converted_price"]["rate"]["as_of"] == today().to_string()
    })
    .await;
    let converted = &after["converted_price"];
    assert_eq!(converted["min"], "6539.00"); // 7000 × 0.934143
    assert_ne!(converted["min"], before["converted_price"]["min"]);
    assert_eq!(converted["rate"]["stale"], false);
    assert_eq!(rate(&app, "EUR").await["stale"], false);
    let unchanged = refresh(&app, &["--from", fresh_file.to_str().expect("path")], &[]).await;
    assert_eq!(unchanged.code, Some(0));
    assert!(
        unchanged.stdout.contains("already current"),
        "{}",
        unchanged.stdout
    );

    // The ECB's own 2024 file is older than what is stored: said so, exit 0, nothing changes.
    let stored = stored_rates(&app).await;
    let run = refresh(
        &app,
        &[
            "--from",
            fixture("eurofxref-daily-2024-06-28.xml").to_str().expect("path"),
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.starts_with("not applied"), "{}", run.stdout);
    assert_eq!(stored_rates(&app).await, stored);
}

#[tokio::test]
async fn a_refresh_reprices_listings_in_usd_in_the_same_step() {
    let app = TestApp::spawn().await;
    let mut conn = app.db().await;
    diesel::sql_query("UPDATE treatment_packages SET currency = 'GBP' WHERE slug = 'liv-hospital-ulus-back-pain-indicative'")
        .execute(&mut conn)
        .await
        .expect("price one package in GBP");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("today.xml");
    std::fs::write(&file, dated_file(today())).expect("write");
    let run = refresh(&app, &["--from", file.to_str().expect("path")], &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    #[derive(diesel::QueryableByName)]
    struct Usd {
        #[diesel(sql_type = Text)]
        min: String,
    }
    let usd: Usd = diesel::sql_query(
        "SELECT price_min_usd::text AS min FROM treatment_packages WHERE slug = 'liv-hospital-ulus-back-pain-indicative'",
    )
    .get_result(&mut conn)
    .await
    .expect("usd price");
    assert_eq!(usd.min, "8853.59"); // 7000 ÷ 0.790640 = 8853.5869… (GBP per USD: 0.84638 / 1.07050)
}

#[tokio::test]
async fn bad_files_give_one_line_and_change_nothing() {
    let app = TestApp::spawn().await;
    let stored = stored_rates(&app).await;
    for (file, expected) in [
        ("malformed.xml", "not well-formed XML"),
        ("no-usd.xml", "no USD rate"),
        (
            "negative-rate.xml",
            "GBP rate \"-0.84638\" is not a positive decimal",
        ),
        (
            "wrong-namespace.xml",
            "expected one <Cube> in namespace http://www.ecb.int/vocabulary/2002-08-01/eurofxref",
        ),
        ("missing.xml", "cannot read"),
    ] {
        let run = refresh(&app, &["--from", fixture(file).to_str().expect("path")], &[]).await;
        assert_eq!(run.code, Some(1), "{file}: {}", run.stdout);
        assert_eq!(
            run.stderr.trim().lines().count(),
            1,
            "{file}: one line: {}",
            run.stderr
        );
        assert!(run.stderr.contains(expected), "{file}: {}", run.stderr);
        assert!(
            run.stderr.contains("nothing was changed"),
            "{file}: {}",
            run.stderr
        );
    }
    assert_eq!(stored_rates(&app).await, stored);
}

/// What the loopback server answers.
#[derive(Clone)]
enum Reply {
    /// `failures` requests get 503, then every one gets 200 with this body.
    Serve { body: String, failures: usize },
    /// Accept and never answer.
    Hang,
}

/// An HTTP/1.1 server on 127.0.0.1 answering every request with `reply`; returns its base URL
/// and a count of the requests seen.
async fn loopback(reply: Reply) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let response = match reply {
                    Reply::Hang => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                    Reply::Serve { failures, .. } if n < failures => {
                        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned()
                    }
                    Reply::Serve { body, .. } => format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    ),
                };
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{address}"), seen)
}

#[tokio::test]
async fn cli_refresh_reads_a_loopback_url_and_refuses_http_errors_and_timeouts() {
    let app = TestApp::spawn().await;
    let stored = stored_rates(&app).await;
    let (failing, _) = loopback(Reply::Serve {
        body: String::new(),
        failures: usize::MAX,
    })
    .await;
    let url = format!("{failing}/stats/eurofxref/eurofxref-daily.xml");
    let run = refresh(&app, &["--from", &url], &[]).await;
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("answered HTTP 503"), "{}", run.stderr);

    let (hanging, _) = loopback(Reply::Hang).await;
    let started = Instant::now();
    let run = refresh(
        &app,
        &["--from", &format!("{hanging}/x.xml")],
        &[("STEMCARE_ECB_TIMEOUT_SECS", "1")],
    )
    .await;
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("did not answer within 1 s"), "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        stored_rates(&app).await,
        stored,
        "failed downloads change nothing"
    );

    let (serving, seen) = loopback(Reply::Serve {
        body: dated_file(today()),
        failures: 0,
    })
    .await;
    let url = format!("{serving}/stats/eurofxref/eurofxref-daily.xml");
    // The setting is the default source; --from is not needed.
    let run = refresh(&app, &[], &[("STEMCARE_ECB_URL", &url)]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(AtomicUsize::load(&seen, Ordering::SeqCst), 1);
    let gbp = rate(&app, "GBP").await;
    assert_eq!(gbp["as_of"], today().to_string());
    assert_eq!(gbp["source"]["url"], url);
    assert!(gbp["source"]["title"]
        .as_str()
        .is_some_and(|t| t.starts_with("European Central Bank euro foreign exchange reference rates")));
}

#[tokio::test]
async fn an_admin_correction_dated_after_the_file_is_kept() {
    let app = TestApp::spawn().await;
    let admin = app.staff_key("admin").await;
    let response = app
        .client
        .put(app.url("/v1/admin/exchange-rates/EUR"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"units_per_usd": "0.9", "as_of": today(), "source": {"title": "desk correction"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status().as_u16(), 200);
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("yesterday.xml");
    std::fs::write(&file, dated_file(today() - Days::new(1))).expect("write");
    let run = refresh(&app, &["--from", file.to_str().expect("path")], &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("kept EUR"), "{}", run.stdout);
    let eur = rate(&app, "EUR").await;
    assert_eq!(eur["units_per_usd"], "0.9");
    assert_eq!(eur["source"]["title"], "desk correction");
    assert!(eur["derivation"]
        .as_str()
        .is_some_and(|d| d.starts_with("entered by an admin")));
    assert_eq!(
        rate(&app, "GBP").await["as_of"],
        (today() - Days::new(1)).to_string()
    );
    // The ECB's file of the same day does not undo the correction either.
    std::fs::write(&file, dated_file(today())).expect("write");
    let run = refresh(&app, &["--from", file.to_str().expect("path")], &[]).await;
    assert!(run.stdout.contains("kept EUR"), "{}", run.stdout);
    assert_eq!(rate(&app, "EUR").await["units_per_usd"], "0.9");
    assert_eq!(rate(&app, "GBP").await["as_of"], today().to_string());
    let future = app
        .client
        .put(app.url("/v1/admin/exchange-rates/EUR"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"units_per_usd": "0.9", "as_of": today() + Days::new(30), "source": {"title": "x"}}))
        .send()
        .await
        .expect("PUT");
    crate::helpers::assert_problem(future, 422, "validation-failed").await;
}

#[tokio::test]
async fn the_periodic_refresh_reads_a_loopback_server_and_retries_after_a_failure() {
    let (serving, seen) = loopback(Reply::Serve {
        body: dated_file(today()),
        failures: 1,
    })
    .await;
    let url = format!("{serving}/stats/eurofxref/eurofxref-daily.xml");
    let app = TestApp::spawn_with(|settings| {
        settings.ecb_url = url.clone();
        settings.ecb_refresh_interval_secs = 1;
    })
    .await;
    let eur = eventually(&app, "/v1/exchange-rates?page_size=100", |page| {
        page["items"].as_array().is_some_and(|items| {
            items
                .iter()
                .any(|r| r["currency"] == "EUR" && r["as_of"] == today().to_string())
        })
    })
    .await;
    assert!(
        AtomicUsize::load(&seen, Ordering::SeqCst) >= 2,
        "the 503 was retried"
    );
    let eur = eur["items"]
        .as_array()
        .and_then(|items| items.iter().find(|r| r["currency"] == "EUR").cloned())
        .expect("EUR");
    assert_eq!(eur["units_per_usd"], "0.934143");
    assert_eq!(eur["stale"], false);
    assert_eq!(eur["source"]["url"], url);
}

#[tokio::test]
async fn instances_refreshing_at_once_write_the_day_once() {
    use stemcare::exchange_rates::refresh::{prepare, store, Outcome, RateSource};
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("today.xml");
    std::fs::write(&file, dated_file(today())).expect("write");
    let source = RateSource::parse(file.to_str().expect("path")).expect("source");
    let prepared = prepare(&source, Duration::from_secs(5))
        .await
        .expect("a sound file");
    let (mut first, mut second) = (app.db().await, app.db().await);
    let (a, b) = tokio::join!(store(&mut first, &prepared), store(&mut second, &prepared));
    let mut outcomes = [a.expect("first"), b.expect("second")];
    outcomes.sort_by_key(|o| matches!(o, Outcome::Unchanged { .. }));
    assert!(matches!(outcomes[0], Outcome::Applied { .. }), "{outcomes:?}");
    assert_eq!(outcomes[1], Outcome::Unchanged { date: today() });
}

#[tokio::test]
async fn seeding_again_keeps_rates_refreshed_since() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("today.xml");
    std::fs::write(&file, dated_file(today())).expect("write");
    let run = refresh(&app, &["--from", file.to_str().expect("path")], &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let refreshed = stored_rates(&app).await;
    let mut conn = app.db().await;
    stemcare::seeds::load(&mut conn).await.expect("seed again");
    assert_eq!(
        stored_rates(&app).await,
        refreshed,
        "the 2026-02-20 seed rates do not come back"
    );
}
