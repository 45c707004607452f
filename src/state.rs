//! Shared state handed to every handler.

use std::sync::Arc;

use crate::config::Settings;
use crate::crypto::DataKey;
use crate::db::shared::SharedReads;
use crate::db::DbPool;
use crate::pagination::PageTokens;
use crate::red_flags::engine::RuleBook;

/// Everything a handler may need besides the request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    /// Connections shared by concurrent catalogue reads, per HTTP worker (see `db::shared`).
    pub reads: SharedReads,
    pub settings: Settings,
    pub page_tokens: PageTokens,
    /// The current red-flag rules, compiled once at start-up.
    pub rules: Arc<RuleBook>,
    /// Encrypts patients' personal data at rest.
    pub data_key: DataKey,
    /// Per-instance request limits.
    pub rate_limits: Arc<crate::rate_limit::RateLimits>,
    /// Set on SIGTERM: readiness turns 503 so load balancers stop sending traffic first.
    pub shutting_down: Arc<std::sync::atomic::AtomicBool>,
    /// Request counts and latencies for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Rates, evidence links and vocabularies, cached for a few seconds.
    pub reference: Arc<crate::reference::ReferenceCache>,
}

impl AppState {
    /// Opens the pool and the shared connections to the (migrated, seeded) database at
    /// `database_url` as `settings` say, and reads what the state needs from it.
    pub async fn connect(database_url: &str, settings: Settings) -> Result<Self, String> {
        let pool = crate::db::build_pool_with_timeout(
            database_url,
            settings.pool_size,
            settings.statement_timeout_ms,
            settings.pool_timeout_ms,
        )?;
        let reads = SharedReads::new(
            database_url,
            settings.shared_connections,
            settings.statement_timeout_ms,
            settings.pool_timeout_ms,
        );
        Self::load(pool, reads, settings).await
    }

    /// Reads what the state needs from the (migrated, seeded) database.
    async fn load(pool: DbPool, reads: SharedReads, settings: Settings) -> Result<Self, String> {
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
        Ok(Self {
            pool,
            reads,
            page_tokens,
            rate_limits: Arc::new(crate::rate_limit::RateLimits::new(
                settings.rate_limit_per_minute,
                settings.quote_rate_limit_per_hour,
            )),
            shutting_down: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            metrics: Arc::new(crate::metrics::Metrics::default()),
            reference: Arc::new(crate::reference::ReferenceCache::new(
                std::time::Duration::from_secs(settings.reference_ttl_seconds as u64),
            )),
            rules: Arc::new(rules),
            data_key,
            settings,
        })
    }
}
