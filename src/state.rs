//! Shared state handed to every handler.

use crate::config::Settings;
use crate::db::DbPool;

/// Everything a handler may need besides the request; cheap to clone (the pool is an `Arc`).
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub settings: Settings,
}
