//! Read replicas (issue 22): public catalogue reads go to a healthy streaming replica, what must
//! see its own writes stays on the primary, and a replica that is down or lags past the bound is
//! skipped until it recovers. Each test runs a real replica (`streaming_replica`).

use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::streaming_replica::{readiness, reads_from, spawn_with_replica, wait_for_state, WAIT};

const SLUG: &str = "cellular-hope-institute";

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// The id of the seeded clinic, read on the primary without going through the API.
async fn clinic_id(app: &crate::helpers::TestApp) -> String {
    let mut conn = app.db().await;
    diesel::sql_query("SELECT id::text AS value FROM clinics WHERE slug = $1")
        .bind::<diesel::sql_types::Text, _>(SLUG)
        .get_result::<Found>(&mut conn)
        .await
        .expect("seeded clinic")
        .value
}

/// What the public catalogue says of the clinic (through `state.reads`).
async fn public_city(app: &crate::helpers::TestApp, id: &str) -> Value {
    app.get_json(&format!("/v1/clinics/{id}"), 200).await["city"].clone()
}

#[tokio::test]
async fn catalogue_reads_are_served_by_a_healthy_replica() {
    let t = spawn_with_replica(|_| {}).await;
    let app = &t.app;
    let admin = app.staff_key("admin").await;
    let ready = readiness(app).await;
    assert_eq!(ready["replicas"][0]["name"], "replica-1");
    assert!(ready["replicas"][0]["lag_ms"].is_u64(), "{ready}");

    let id = clinic_id(app).await;
    app.get_json("/v1/treatment-packages?page_size=5", 200).await;
    app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    app.get_json("/v1/clinics?page_size=5", 200).await;
    app.get_json("/v1/evidence-summaries", 200).await;
    app.get_json("/v1/conditions", 200).await;
    assert_eq!(reads_from(app, &admin, "replica-1").await, 5);
    assert_eq!(reads_from(app, &admin, "primary").await, 0);

    // The replica itself saw them: its read connections carry their application_name, and
    // the last statement of one of them read a table catalogue pages read (a page's last
    // pipelined statement may be its red flags or its clinics' response times).
    #[derive(QueryableByName)]
    struct Seen {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        connections: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        catalogue_reads: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        queries: String,
    }
    let mut replica = t.replica.db(&t.dbname).await;
    let seen: Seen = diesel::sql_query(
        "SELECT count(*) AS connections, count(*) FILTER (WHERE query ~* '(clinics|treatment_packages|red_flag_detections|quote_routes)') AS catalogue_reads, \
         coalesce(string_agg(left(query, 200), ' | '), '') AS queries FROM pg_stat_activity WHERE application_name = 'stemcare-replica-read' AND datname = current_database()",
    )
    .get_result(&mut replica)
    .await
    .expect("replica pg_stat_activity");
    assert!(
        seen.connections >= 1 && seen.catalogue_reads >= 1,
        "{}",
        seen.queries
    );
    // And the primary has no such connection: nothing was read there under that name.
    let mut primary = app.db().await;
    let on_primary: Seen = diesel::sql_query(
        "SELECT count(*) AS connections, 0::bigint AS catalogue_reads, '' AS queries FROM pg_stat_activity \
         WHERE application_name = 'stemcare-replica-read'",
    )
    .get_result(&mut primary)
    .await
    .expect("primary pg_stat_activity");
    assert_eq!(on_primary.connections, 0);

    let metrics = crate::streaming_replica::metrics(app, &admin).await;
    assert!(
        metrics.contains("stemcare_replica_state{replica=\"replica-1\",state=\"healthy\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("stemcare_replica_lag_seconds{replica=\"replica-1\"} "),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_partners_edit_is_read_back_at_once_from_the_primary() {
    // A generous bound: the paused replica stays in use, so public reads show its stale copy.
    let t = spawn_with_replica(|s| s.replica_max_lag_ms = 600_000).await;
    let app = &t.app;
    let partner = app.partner_key("Partner P", SLUG).await;
    let created = app
        .post_json(
            "/v1/partner/clinics",
            Some(&partner),
            &crate::partners::clinic("p-1", "Example Spine Clinic"),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["status"], "published");
    let id = created["id"].as_str().expect("id").to_owned();
    let own_path = format!("/v1/partner/clinics/{id}");
    // Until the replica has the new clinic (the public read is served there).
    let deadline = std::time::Instant::now() + WAIT;
    while app.get(&format!("/v1/clinics/{id}")).await.status().as_u16() != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never showed the new clinic"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(public_city(app, &id).await, "Cancun");

    t.replica.pause_replay(&t.dbname).await;
    let own = app.get_as(&own_path, &partner).await;
    assert_eq!(own.status().as_u16(), 200);
    let etag = own.headers()["etag"].to_str().expect("etag").to_owned();
    let patched = app
        .client
        .patch(app.url(&own_path))
        .bearer_auth(&partner)
        .header("content-type", "application/merge-patch+json")
        .header("if-match", etag)
        .body(json!({"city": "Tulum"}).to_string())
        .send()
        .await
        .expect("PATCH");
    assert_eq!(patched.status().as_u16(), 200);

    // The partner sees the edit at once (the primary) ...
    let own: Value = app.get_as(&own_path, &partner).await.json().await.expect("json");
    assert_eq!(own["listing"]["city"], "Tulum");
    assert_eq!(own["status"], "published");
    // ... while the public catalogue still reads the paused replica's copy.
    assert_eq!(public_city(app, &id).await, "Cancun");
    assert_eq!(readiness(app).await["replicas"][0]["state"], "healthy");

    t.replica.resume_replay(&t.dbname).await;
    let deadline = std::time::Instant::now() + WAIT;
    while public_city(app, &id).await != json!("Tulum") {
        assert!(
            std::time::Instant::now() < deadline,
            "the replica did not catch up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_stopped_replica_is_skipped_and_reads_return_when_it_is_back() {
    let mut t = spawn_with_replica(|_| {}).await;
    let admin = t.app.staff_key("admin").await;
    let id = clinic_id(&t.app).await;
    t.app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    t.app.get_json("/v1/evidence-summaries", 200).await;
    assert_eq!(reads_from(&t.app, &admin, "replica-1").await, 2);

    t.replica.stop().await;
    // The very next reads answer, from the primary; readiness stays 200.
    t.app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    t.app.get_json("/v1/evidence-summaries", 200).await;
    assert_eq!(reads_from(&t.app, &admin, "primary").await, 2);
    let down = wait_for_state(&t.app, "down").await;
    assert!(down["replicas"][0]["lag_ms"].is_null(), "{down}");
    let metrics = crate::streaming_replica::metrics(&t.app, &admin).await;
    assert!(
        metrics.contains("stemcare_replica_state{replica=\"replica-1\",state=\"down\"} 1"),
        "{metrics}"
    );

    t.replica.restart().await;
    wait_for_state(&t.app, "healthy").await;
    t.app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    t.app.get_json("/v1/evidence-summaries", 200).await;
    assert_eq!(reads_from(&t.app, &admin, "replica-1").await, 4);
    assert_eq!(reads_from(&t.app, &admin, "primary").await, 2);
}

#[tokio::test]
async fn a_replica_lagging_past_the_bound_is_skipped_until_it_catches_up() {
    let t = spawn_with_replica(|s| s.replica_max_lag_ms = 300).await;
    let app = &t.app;
    let admin = app.staff_key("admin").await;
    let id = clinic_id(app).await;
    let before = public_city(app, &id).await;
    assert_eq!(reads_from(app, &admin, "replica-1").await, 1);

    // Replay paused and a write on the primary: the replica falls behind by more and more.
    t.replica.pause_replay(&t.dbname).await;
    let mut primary = app.db().await;
    diesel::sql_query("UPDATE clinics SET city = 'Merida' WHERE slug = $1")
        .bind::<diesel::sql_types::Text, _>(SLUG)
        .execute(&mut primary)
        .await
        .expect("write on the primary");
    let lagging = wait_for_state(app, "lagging").await;
    assert!(
        lagging["replicas"][0]["lag_ms"].as_u64().expect("lag") >= 300,
        "{lagging}"
    );
    let metrics = crate::streaming_replica::metrics(app, &admin).await;
    assert!(
        metrics.contains("stemcare_replica_state{replica=\"replica-1\",state=\"lagging\"} 1"),
        "{metrics}"
    );

    // Reads go to the primary, which has the write the replica has not applied.
    assert_ne!(before, json!("Merida"));
    assert_eq!(public_city(app, &id).await, "Merida");
    assert_eq!(reads_from(app, &admin, "primary").await, 1);
    assert_eq!(reads_from(app, &admin, "replica-1").await, 1);

    t.replica.resume_replay(&t.dbname).await;
    wait_for_state(app, "healthy").await;
    assert_eq!(public_city(app, &id).await, "Merida");
    assert_eq!(reads_from(app, &admin, "replica-1").await, 2);
}

/// A read whose replica backend dies under it is answered again from the primary, and the replica
/// is marked down at once (the health check here is too slow to have done it).
#[tokio::test]
async fn a_read_that_fails_on_the_replica_is_answered_from_the_primary() {
    let t = spawn_with_replica(|s| s.replica_check_interval_ms = 600_000).await;
    let app = &t.app;
    assert_eq!(
        app.get_json("/__test/slow-catalogue-read", 200).await["on_replica"],
        true
    );

    let url = app.url("/__test/slow-catalogue-read");
    let client = app.client.clone();
    let in_flight = tokio::spawn(async move { client.get(url).send().await });
    // Once the read is running on the replica, kill the replica backends serving reads.
    let mut replica = t.replica.db(&t.dbname).await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let killed: Vec<Found> = diesel::sql_query(
            "SELECT pg_terminate_backend(pid)::text AS value FROM pg_stat_activity
             WHERE application_name = 'stemcare-replica-read' AND query LIKE '%pg_sleep%' AND state = 'active'",
        )
        .load(&mut replica)
        .await
        .expect("terminate");
        if !killed.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the read never ran on the replica"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let response = in_flight.await.expect("request task").expect("response");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["on_replica"], false, "answered again from the primary");
    assert_eq!(readiness(app).await["replicas"][0]["state"], "down");
}

/// Clients reading the catalogue while the replica stops and starts again see no error.
#[tokio::test]
async fn no_read_fails_while_the_replica_restarts_under_load() {
    let mut t = spawn_with_replica(|_| {}).await;
    let admin = t.app.staff_key("admin").await;
    let id = clinic_id(&t.app).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let paths = [
        format!("/v1/clinics/{id}"),
        "/v1/clinics".to_owned(),
        "/v1/countries".to_owned(),
        "/v1/evidence-summaries".to_owned(),
    ];
    let clients: Vec<_> = (0..6)
        .map(|n| {
            let (client, stop) = (t.app.client.clone(), stop.clone());
            let url = t.app.url(&paths[n % paths.len()]);
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while !std::sync::atomic::AtomicBool::load(&stop, std::sync::atomic::Ordering::Relaxed) {
                    let response = client.get(&url).send().await.expect("response");
                    statuses.push(response.status().as_u16());
                }
                statuses
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    t.replica.stop().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    t.replica.restart().await;
    wait_for_state(&t.app, "healthy").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut statuses = Vec::new();
    for client in clients {
        statuses.extend(client.await.expect("client task"));
    }
    let failed: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(
        failed.is_empty(),
        "{} of {} reads failed: {failed:?}",
        failed.len(),
        statuses.len()
    );
    assert!(reads_from(&t.app, &admin, "replica-1").await > 0);
    assert!(reads_from(&t.app, &admin, "primary").await > 0);
}
