//! Shared state handed to every handler.

use std::sync::Arc;

use crate::config::Settings;
use crate::crypto::DataKey;
use crate::db::replicas::CatalogueReads;
use crate::db::DbPool;
use crate::pagination::PageTokens;
use crate::red_flag_engine::RuleBook;

/// Everything a handler may need besides the request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    /// Connections for public catalogue reads: a healthy read replica's when one is configured,
    /// else the primary's shared connections (see `db::replicas`, `db::shared`). Whatever writes
    /// or must see its own writes uses `pool`, the primary.
    pub reads: CatalogueReads,
    pub settings: Settings,
    pub page_tokens: PageTokens,
    /// The current red-flag rules, compiled once at start-up.
    pub rules: Arc<RuleBook>,
    /// Encrypts patients' personal data at rest.
    pub data_key: DataKey,
    /// Set on SIGTERM: readiness turns 503 so load balancers stop sending traffic first.
    pub shutting_down: Arc<std::sync::atomic::AtomicBool>,
    /// Request counts and latencies for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The time the API acts on (the system clock; tests move it forward).
    pub clock: crate::clock::Clock,
}

// What resources own (the reference-data cache, the rate limiters) is registered as its own
// `web::Data` in `startup`, so this core type names no resource and no import cycle runs through it.
