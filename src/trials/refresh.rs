//! The mirror refresh: for each catalogue condition, the registry's studies with a stem cell or
//! MSC intervention, paged with the API's `pageToken` until the last page (which has none).

use std::sync::Arc;
use std::time::Duration;

use diesel_async::AsyncPgConnection;

use crate::clock::Clock;
use crate::state::AppState;
use crate::trial_registry::client::{RegistryClient, RegistryError};
use crate::trials::repo;

/// The intervention query (Essie syntax) that defines "stem cell or MSC" studies.
pub const INTERVENTION_QUERY: &str = "\"stem cell\" OR \"stem cells\" OR mesenchymal OR MSC";
/// Studies per page: the registry's maximum, as registries.md advises for bulk pulls.
pub const PAGE_SIZE: u32 = 1000;
/// A condition's paging stops here even if the registry offers more (a guard against loops).
pub const MAX_PAGES_PER_CONDITION: usize = 50;
/// Times one page is asked again after a 429 (the client waits the `Retry-After` first).
const RATE_LIMIT_RETRIES: usize = 3;

/// What one refresh did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Refreshed {
    /// Pages read.
    pub pages: usize,
    /// Studies stored (a study found for two conditions counts twice).
    pub studies: usize,
    /// Conditions whose paging stopped on an error.
    pub failed_conditions: Vec<String>,
}

/// Refreshes the mirror from the registry, condition by condition.
pub async fn refresh(
    conn: &mut AsyncPgConnection,
    client: &RegistryClient,
    clock: &Clock,
) -> diesel::QueryResult<Refreshed> {
    let mut done = Refreshed::default();
    for condition in crate::conditions::repo::all(conn).await? {
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES_PER_CONDITION {
            let mut attempt = 0;
            let page = loop {
                match client
                    .search(&condition.name, INTERVENTION_QUERY, PAGE_SIZE, token.as_deref())
                    .await
                {
                    Err(RegistryError::RateLimited { .. }) if attempt < RATE_LIMIT_RETRIES => attempt += 1,
                    other => break other,
                }
            };
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    log::warn!("trial mirror refresh: {} stopped: {e}", condition.slug);
                    done.failed_conditions.push(condition.slug.clone());
                    break;
                }
            };
            done.pages += 1;
            let now = clock.now();
            for study in &page.studies {
                repo::upsert_from_registry(conn, study, &condition.slug, now).await?;
                done.studies += 1;
            }
            match page.next_page_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
    }
    Ok(done)
}

/// Starts the periodic refresh unless `STEMCARE_TRIALS_REFRESH_INTERVAL_SECS` is 0.
pub fn spawn_worker(state: &AppState, client: Arc<RegistryClient>) {
    let interval = state.settings.trials_refresh_interval_secs;
    if interval == 0 {
        return;
    }
    let clock = state.clock.clone();
    crate::periodic::spawn_periodic(
        "trial mirror refresh",
        state.pool.clone(),
        Duration::from_secs(interval as u64),
        state.shutting_down.clone(),
        move |conn| {
            let client = client.clone();
            let clock = clock.clone();
            Box::pin(async move {
                match refresh(conn, &client, &clock).await {
                    Ok(done) => log::info!(
                        "trial mirror refresh: {} page(s), {} stud(ies), {} condition(s) failed",
                        done.pages,
                        done.studies,
                        done.failed_conditions.len()
                    ),
                    Err(e) => log::warn!("trial mirror refresh failed: {e}"),
                }
            })
        },
    );
}
