//! Bench-only reference handler for `GET /clinics/{id}`: actix-web and tokio-postgres with no pool,
//! no diesel and one query. `bench/run` benchmarks it next to the real handler to show what the
//! full handler (diesel-async, deadpool, and its follow-up queries) costs over one raw query.
//!
//! Settings: `RAW_BIND` (default `127.0.0.1:8090`), `RAW_PG` (a libpq-style connection string,
//! e.g. `host=/tmp/x/pgdata port=5432 user=postgres dbname=stemcare`), `RAW_CONNECTIONS`
//! (default 4; requests are spread round-robin, each connection pipelines concurrent queries).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix_web::{get, web, App, HttpResponse, HttpServer};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, Statement};

/// The same allocator as the API server, so the comparison measures handlers, not allocators.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const QUERY: &str = "SELECT id::text, name, country_code::text, city, score::text \
                     FROM clinics WHERE id = $1::uuid AND status = 'published'";

struct Conn {
    client: Client,
    statement: Statement,
}

struct Db {
    conns: Vec<Conn>,
    next: AtomicUsize,
}

#[get("/clinics/{id}")]
async fn clinic_by_id(db: web::Data<Arc<Db>>, id: web::Path<String>) -> HttpResponse {
    if uuid::Uuid::parse_str(&id).is_err() {
        return HttpResponse::NotFound().finish();
    }
    let conn = &db.conns[db.next.fetch_add(1, Ordering::Relaxed) % db.conns.len()];
    match conn.client.query_opt(&conn.statement, &[&id.as_str()]).await {
        Ok(Some(row)) => HttpResponse::Ok().json(serde_json::json!({
            "id": row.get::<_, String>(0),
            "name": row.get::<_, String>(1),
            "country": row.get::<_, String>(2),
            "city": row.get::<_, Option<String>>(3),
            "score": row.get::<_, String>(4),
        })),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("RAW_BIND").unwrap_or_else(|_| "127.0.0.1:8090".to_owned());
    let pg = std::env::var("RAW_PG").map_err(|_| std::io::Error::other("RAW_PG is not set"))?;
    let count: usize = std::env::var("RAW_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
        .max(1);
    let mut conns = Vec::with_capacity(count);
    for _ in 0..count {
        let (client, connection) = tokio_postgres::connect(&pg, NoTls)
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("raw_clinic_by_id: connection error: {e}");
            }
        });
        let statement = client
            .prepare_typed(QUERY, &[Type::TEXT])
            .await
            .map_err(std::io::Error::other)?;
        conns.push(Conn { client, statement });
    }
    let db = Arc::new(Db {
        conns,
        next: AtomicUsize::new(0),
    });
    println!("raw_clinic_by_id listening on http://{bind}");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(db.clone()))
            .service(clinic_by_id)
    })
    .bind(bind)?
    .run()
    .await
}
