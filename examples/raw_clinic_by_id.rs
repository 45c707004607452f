//! Bench-only reference handler for `GET /clinics/{id}`: actix-web and tokio-postgres with no pool,
//! no diesel and one query. `bench/run` benchmarks it next to the real handler to show what the
//! full handler (diesel-async, deadpool, and its follow-up queries) costs over one raw query.
//!
//! Settings: `RAW_BIND` (default `127.0.0.1:8090`), `RAW_PG` (a libpq-style connection string,
//! e.g. `host=/tmp/x/pgdata port=5432 user=postgres dbname=stemcare`), `RAW_CONNECTIONS`
//! (default 2 per HTTP worker, as the API's shared connections: each worker opens its own on its
//! first request, so a query's I/O runs on the thread that awaits it; requests are spread
//! round-robin and each connection pipelines concurrent queries). Connections use the API's transport,
//! `stemcare::db::pg_socket` (a Unix socket watched for read readiness only).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use actix_web::{get, web, App, HttpResponse, HttpServer};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Statement};

/// The same allocator as the API server, so the comparison measures handlers, not allocators.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const QUERY: &str = "SELECT id::text, name, country_code::text, city, score::text \
                     FROM clinics WHERE id = $1::uuid AND status = 'published'";

struct Conn {
    client: Client,
    statement: Statement,
}

/// Where and how many connections each worker opens.
struct Settings {
    pg: String,
    per_worker: usize,
}

thread_local! {
    static WORKER_CONNS: RefCell<Option<Rc<Vec<Conn>>>> = const { RefCell::new(None) };
    static NEXT: Cell<usize> = const { Cell::new(0) };
}

/// This worker's connections, opened on its first request on its own runtime.
async fn worker_conns(settings: &Settings) -> Result<Rc<Vec<Conn>>, tokio_postgres::Error> {
    if let Some(conns) = WORKER_CONNS.with_borrow(Clone::clone) {
        return Ok(conns);
    }
    let mut conns = Vec::with_capacity(settings.per_worker);
    for _ in 0..settings.per_worker {
        // The API's own transport (read readiness only on a Unix socket), so the comparison
        // with diesel_clinic_by_id measures the layers above the socket.
        let (client, connection) = stemcare::db::pg_socket::connect(&settings.pg).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("raw_clinic_by_id: connection error: {e}");
            }
        });
        let statement = client.prepare_typed(QUERY, &[Type::TEXT]).await?;
        conns.push(Conn { client, statement });
    }
    // Two first requests may both connect; the first to finish wins, the other set is dropped.
    Ok(WORKER_CONNS.with_borrow_mut(|slot| slot.get_or_insert(Rc::new(conns)).clone()))
}

#[get("/clinics/{id}")]
async fn clinic_by_id(settings: web::Data<Settings>, id: web::Path<String>) -> HttpResponse {
    if uuid::Uuid::parse_str(&id).is_err() {
        return HttpResponse::NotFound().finish();
    }
    let conns = match worker_conns(&settings).await {
        Ok(conns) => conns,
        Err(e) => return HttpResponse::ServiceUnavailable().body(e.to_string()),
    };
    let turn = NEXT.replace(NEXT.get().wrapping_add(1));
    let conn = &conns[turn % conns.len()];
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
    let per_worker: usize = std::env::var("RAW_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
        .max(1);
    let settings = web::Data::new(Settings { pg, per_worker });
    println!("raw_clinic_by_id listening on http://{bind}");
    HttpServer::new(move || App::new().app_data(settings.clone()).service(clinic_by_id))
        .bind(bind)?
        .run()
        .await
}
