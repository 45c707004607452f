//! Bench-only twin of `examples/raw_clinic_by_id.rs` on the stack the API uses: the same one query
//! and the same JSON, but through diesel-async (the query kept prepared, as the API's are) and
//! StemCare's own connections. `bench/run` compares the two to show what diesel-async and the
//! connection handling cost, apart from the real handler's extra queries.
//!
//! Settings: `DIESEL_BIND` (default `127.0.0.1:8091`), `DIESEL_PG` (a connection string as
//! tokio-postgres accepts it), `DIESEL_MODE`: `shared` (default; the shared, pipelined
//! connections the API's catalogue reads use, `DIESEL_CONNECTIONS` per HTTP worker, default 2, as
//! the raw reference) or `pool` (one pooled connection per request, as the API's writes use,
//! `DIESEL_CONNECTIONS` default 16, the API's pool size).

use actix_web::{get, web, App, HttpResponse, HttpServer};
use diesel::sql_types::{Nullable, Text};
use diesel::OptionalExtension;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stemcare::db::shared::SharedReads;
use stemcare::db::sql::prepared;
use stemcare::db::DbPool;

/// The same allocator as the API server, so the comparison measures handlers, not allocators.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const QUERY: &str = "SELECT id::text AS id, name, country_code::text AS country, city, score::text AS score \
                     FROM clinics WHERE id = $1::uuid AND status = 'published'";

#[derive(diesel::QueryableByName, serde::Serialize)]
struct ClinicRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    country: String,
    #[diesel(sql_type = Nullable<Text>)]
    city: Option<String>,
    #[diesel(sql_type = Text)]
    score: String,
}

/// The API's own choice of connection for a catalogue read: shared, or pooled when sharing is off.
#[derive(Clone)]
struct Connections {
    reads: SharedReads,
    pool: DbPool,
}

async fn find(mut conn: &AsyncPgConnection, id: &str) -> diesel::QueryResult<Option<ClinicRow>> {
    prepared(diesel::sql_query(QUERY).bind::<Text, _>(id))
        .get_result(&mut conn)
        .await
        .optional()
}

#[get("/clinics/{id}")]
async fn clinic_by_id(connections: web::Data<Connections>, id: web::Path<String>) -> HttpResponse {
    if uuid::Uuid::parse_str(&id).is_err() {
        return HttpResponse::NotFound().finish();
    }
    let row = match connections.reads.get_or(&connections.pool).await {
        Ok(conn) => find(&conn, &id).await,
        Err(e) => return HttpResponse::ServiceUnavailable().body(e.to_string()),
    };
    match row {
        Ok(Some(row)) => HttpResponse::Ok().json(row),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("DIESEL_BIND").unwrap_or_else(|_| "127.0.0.1:8091".to_owned());
    let pg = std::env::var("DIESEL_PG").map_err(|_| std::io::Error::other("DIESEL_PG is not set"))?;
    let pooled = std::env::var("DIESEL_MODE").is_ok_and(|m| m == "pool");
    let count: usize = std::env::var("DIESEL_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if pooled { 16 } else { 2 })
        .max(1);
    // Zero shared connections sends every read to the pool (`SharedReads::get_or`); the unused
    // side opens no connection, as both open them on first use.
    let connections = Connections {
        reads: SharedReads::new(&pg, if pooled { 0 } else { count }, 5000, 5000),
        pool: stemcare::db::build_pool_with_timeout(&pg, if pooled { count } else { 1 }, 5000, 5000)
            .map_err(std::io::Error::other)?,
    };
    println!("diesel_clinic_by_id listening on http://{bind}");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(connections.clone()))
            .service(clinic_by_id)
    })
    .bind(bind)?
    .run()
    .await
}
