//! Builds the actix App (routes registered once for actix and OpenAPI) and runs the server.

use std::net::TcpListener;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{from_fn, Condition, DefaultHeaders};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::replicas::CatalogueReads;
use crate::db::shared::SharedReads;
use crate::error::{ApiError, ProblemKind};
use crate::openapi::{ApiDoc, SpecJson};
use crate::pagination::PageTokens;
use crate::rate_limit::RateLimits;
use crate::reference::ReferenceCache;
use crate::state::AppState;
use crate::{
    admin, cell_types, clinics, conditions, cost_estimates, countries, exchange_rates, extract, health,
    middleware, openapi, partner_listings, quotes, red_flags, treatment_packages,
};

/// Extra routes mounted inside the full middleware stack; the test suite uses it to exercise
/// failure paths (panics, body parsing) that no production endpoint triggers on demand.
pub type ExtraRoutes = fn(&mut web::ServiceConfig);

/// Every documented route. Registering through utoipa-actix-web keeps routes and spec in step.
fn routes(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    openapi::configure(cfg);
    crate::disclaimer::configure(cfg);
    conditions::configure(cfg);
    cell_types::configure(cfg);
    crate::inclusion_items::configure(cfg);
    countries::configure(cfg);
    exchange_rates::configure(cfg);
    clinics::configure(cfg);
    crate::clinic_detail::configure(cfg);
    treatment_packages::configure(cfg);
    cost_estimates::configure(cfg);
    red_flags::configure(cfg);
    quotes::configure(cfg);
    partner_listings::configure(cfg);
    admin::configure(cfg);
    crate::evidence::configure(cfg);
    crate::webhooks::configure(cfg);
    crate::exports::configure(cfg);
    crate::fhir::configure(cfg);
    crate::practitioners::configure(cfg);
    crate::verifications::configure(cfg);
    crate::treatments::configure(cfg);
    crate::handover::configure(cfg);
    crate::trials::configure(cfg);
    crate::reviews::configure(cfg);
    crate::follow_ups::configure(cfg);
    crate::outcome_registry::configure(cfg);
}

/// The OpenAPI document generated from the handlers, as `stemcare openapi` prints it.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_app, document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    let mut document = document;
    // The events section belongs to the webhooks resource; the core's ApiDoc does not know it.
    utoipa::Modify::modify(&crate::webhooks::WebhooksSection, &mut document);
    openapi::document_common_errors(&mut document);
    document
}

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Paths and methods from the spec, so a known path with the wrong method answers 405 (not 404).
pub struct RouteTable(Vec<(actix_router::ResourceDef, Vec<String>)>);

impl RouteTable {
    pub fn from_openapi(document: &utoipa::openapi::OpenApi) -> Self {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = serde_json::to_value(item)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .map(|o| {
                        HTTP_METHODS
                            .iter()
                            .filter(|m| o.contains_key(**m))
                            .map(|m| m.to_ascii_uppercase())
                            .collect()
                    })
                    .unwrap_or_default();
                (actix_router::ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods served at `path`, empty when no route matches it.
    pub fn allowed_methods(&self, path: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, m)| m.clone())
            .collect()
    }
}

async fn fallback(req: HttpRequest, table: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    let allowed = table.allowed_methods(req.path());
    if allowed.is_empty() {
        return Err(ApiError::not_found(format!("no endpoint at {}", req.path())));
    }
    Err(ApiError::new(
        ProblemKind::MethodNotAllowed,
        format!("{} is not allowed here; use {}", req.method(), allowed.join(", ")),
    )
    .with_header(header::ALLOW, allowed.join(", ")))
}

/// CORS for the configured browser origins only (never a wildcard).
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("ratelimit"),
            header::HeaderName::from_static("ratelimit-policy"),
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

/// Opens the pool and the shared connections to the (migrated, seeded) database at `database_url`
/// as `settings` say, and reads what the state needs from it (page-token key, red-flag rules).
pub async fn connect(database_url: &str, settings: Settings) -> Result<AppState, String> {
    let pool = crate::db::build_pool_with_timeout(
        database_url,
        settings.pool_size,
        settings.statement_timeout_ms,
        settings.pool_timeout_ms,
    )?;
    let primary_reads = SharedReads::new(
        database_url,
        settings.shared_connections,
        settings.statement_timeout_ms,
        settings.pool_timeout_ms,
    );
    let reads = CatalogueReads::new(primary_reads, &settings)?;
    let data_key = settings
        .data_key
        .clone()
        .ok_or("no data key: set STEMCARE_DATA_KEY (64 hex characters)")?;
    let mut conn = pool
        .get()
        .await
        .map_err(|e| format!("database unreachable: {e}"))?;
    let page_tokens = PageTokens::load_or_create(&mut conn).await?;
    let rules = crate::red_flags::repo::load_rule_book(&mut conn)
        .await
        .map_err(|e| format!("could not load red-flag rules: {e}"))?;
    drop(conn);
    Ok(AppState {
        pool,
        reads,
        page_tokens,
        shutting_down: Arc::new(AtomicBool::new(false)),
        metrics: Arc::new(crate::metrics::Metrics::default()),
        clock: crate::clock::Clock::system(),
        rules: Arc::new(rules),
        data_key,
        settings,
    })
}

/// Binds the server to `listener` with the full middleware stack. Returns the running server.
pub fn build_server(listener: TcpListener, state: AppState, extra: ExtraRoutes) -> std::io::Result<Server> {
    // Off unless STEMCARE_ECB_REFRESH_INTERVAL_SECS is set; started here so every server has it.
    let reference = web::Data::new(ReferenceCache::new(Duration::from_secs(
        state.settings.reference_ttl_seconds as u64,
    )));
    // The column sets `fields=` has selected on the clinic list (bounded: see `ColumnSets`).
    let column_sets = web::Data::new(crate::clinics::ColumnSets::default());
    let rate_limits = web::Data::new(RateLimits::new(
        state.settings.rate_limit_per_minute,
        state.settings.quote_rate_limit_per_hour,
    ));
    crate::exchange_rates::refresh::spawn_worker(&state, reference.clone().into_inner());
    crate::verifications::expiry::spawn_worker(&state);
    // One registry client per instance, shared by both registry workers, so together they keep
    // to one request at a time at STEMCARE_CTGOV_REQUESTS_PER_MINUTE.
    match crate::trial_registry::client::RegistryClient::new(&state.settings) {
        Ok(client) => {
            let client = Arc::new(client);
            crate::trial_registry::worker::spawn_worker(&state, client.clone());
            crate::trials::refresh::spawn_worker(&state, client);
        }
        Err(e) => log::error!("trial registry checks are off: {e}"),
    }
    state.reads.spawn_health_checks(state.pool.clone());
    crate::follow_ups::announce::spawn_worker(&state);
    let erasure_steps = web::Data::new(crate::quotes::erasure::ErasureSteps(vec![
        crate::follow_ups::erasure::erasure_step,
    ]));
    let document = openapi_document();
    let spec = web::Data::new(SpecJson::new(openapi::render(&document)));
    let table = web::Data::new(RouteTable::from_openapi(&document));
    let body_limit = state.settings.body_limit;
    let workers = state.settings.workers;
    let cors_origins = state.settings.cors_origins.clone();
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        let (app, _document) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(routes)
            .split_for_parts();
        app.app_data(state.clone())
            .app_data(reference.clone())
            .app_data(column_sets.clone())
            .app_data(rate_limits.clone())
            .app_data(erasure_steps.clone())
            .app_data(spec.clone())
            .app_data(table.clone())
            .app_data(extract::json_config(body_limit))
            .app_data(extract::payload_config(body_limit))
            .app_data(extract::query_config())
            .app_data(extract::path_config())
            .configure(extra)
            .route("/docs", web::get().to(docs_redirect))
            .service(
                SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::new(["/v1/openapi.json"])),
            )
            .default_service(web::to(fallback))
            // Innermost: a catalogue read that failed on a replica is answered again from the
            // primary, after authentication and rate limiting ran once.
            .wrap(crate::db::replicas::ReplicaFallback)
            .wrap(
                DefaultHeaders::new()
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "no-referrer"))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'")),
            )
            .wrap(from_fn(crate::auth::authenticate_first))
            .wrap(from_fn(crate::rate_limit::rate_limit))
            .wrap(Condition::new(!cors_origins.is_empty(), cors(&cors_origins)))
            // Inside the request context, so compression CPU counts in the logged time, and around
            // everything else, so problems and CORS responses get `Vary` too.
            .wrap(from_fn(crate::compression::compress_responses))
            .wrap(from_fn(middleware::request_context))
    })
    .workers(workers)
    // Signals are handled by `serve`, which first turns readiness off (see main.rs).
    .disable_signals()
    .client_request_timeout(std::time::Duration::from_secs(10))
    .client_disconnect_timeout(std::time::Duration::from_secs(2))
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}
