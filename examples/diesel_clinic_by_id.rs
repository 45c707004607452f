//! Bench-only twin of `examples/raw_clinic_by_id.rs` on the stack the API uses: the same one query
//! and the same JSON, but through diesel-async and StemCare's own deadpool pool (with its
//! per-checkout `SELECT 1` check, statement timeout and JIT off). `bench/run` compares the two to
//! show what diesel-async and the pool cost, apart from the real handler's extra queries.
//!
//! Settings: `DIESEL_BIND` (default `127.0.0.1:8091`), `DIESEL_PG` (a connection string as
//! tokio-postgres accepts it), `DIESEL_POOL_SIZE` (default 16, the API's default).

use actix_web::{get, web, App, HttpResponse, HttpServer};
use diesel::sql_types::{Nullable, Text};
use diesel::OptionalExtension;
use diesel_async::RunQueryDsl;
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

#[get("/clinics/{id}")]
async fn clinic_by_id(pool: web::Data<DbPool>, id: web::Path<String>) -> HttpResponse {
    if uuid::Uuid::parse_str(&id).is_err() {
        return HttpResponse::NotFound().finish();
    }
    let mut conn = match pool.get().await {
        Ok(conn) => conn,
        Err(e) => return HttpResponse::ServiceUnavailable().body(e.to_string()),
    };
    let row: Result<Option<ClinicRow>, _> = diesel::sql_query(QUERY)
        .bind::<Text, _>(id.as_str())
        .get_result(&mut conn)
        .await
        .optional();
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
    let size: usize = std::env::var("DIESEL_POOL_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
        .max(1);
    let pool = stemcare::db::build_pool_with_timeout(&pg, size, 5000, 5000).map_err(std::io::Error::other)?;
    println!("diesel_clinic_by_id listening on http://{bind}");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(pool.clone()))
            .service(clinic_by_id)
    })
    .bind(bind)?
    .run()
    .await
}
