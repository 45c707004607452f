use crate::helpers::{assert_problem, TestApp};

#[tokio::test]
async fn healthz_answers_200_without_the_database() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_is_200_when_migrated() {
    let app = TestApp::spawn().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn readyz_is_503_when_a_migration_is_pending() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let app = TestApp::spawn().await;
    let mut conn = AsyncPgConnection::establish(&app.database_url)
        .await
        .expect("connect");
    // Forget the newest migration, as a database one release behind the binary would look.
    diesel::sql_query(
        "DELETE FROM __diesel_schema_migrations WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)",
    )
    .execute(&mut conn)
    .await
    .expect("forget a migration");
    let body = assert_problem(app.get("/readyz").await, 503, "service-unavailable").await;
    assert!(
        !body.to_string().contains("__diesel"),
        "no internals in the body: {body}"
    );
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_gone() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let app = TestApp::spawn().await;
    let name = app
        .database_url
        .rsplit("dbname='")
        .next()
        .expect("db name")
        .trim_end_matches('\'')
        .to_owned();
    let maintenance = app
        .database_url
        .replace(&format!("dbname='{name}'"), "dbname='postgres'");
    let mut conn = AsyncPgConnection::establish(&maintenance).await.expect("connect");
    diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .expect("drop");
    let body = assert_problem(app.get("/readyz").await, 503, "service-unavailable").await;
    assert!(
        !body.to_string().contains(&name),
        "no database names in the body: {body}"
    );
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}
