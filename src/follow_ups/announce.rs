//! The follow-up worker: announces each follow-up once when its window opens (`follow_up.due`
//! to the coordinators' webhook endpoints, through the outbox) and refreshes the registry rows of
//! consenting patients whose follow-ups became due. Several instances may run it: the
//! announcement's primary key lets one of them write the event, and the quote row is locked
//! while its registry rows change.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::crypto::DataKey;
use crate::error::ApiError;
use crate::follow_ups::domain::{FollowUpState, TimePoint};
use crate::follow_ups::{context, registry, repo};
use crate::state::AppState;
use crate::webhooks::outbox;

/// Accepted quotes read per batch.
const BATCH: i64 = 200;

/// One round at `now`: returns how many follow-ups it announced.
pub async fn announce_due(
    conn: &mut AsyncPgConnection,
    key: &DataKey,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let today = now.date_naive();
    let mut announced_now = 0;
    let mut after = None;
    loop {
        let batch = repo::accepted_quotes_after(conn, after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.quote_id);
        for quote in batch {
            let quote_id = quote.quote_id;
            let context = context::with_treatment(conn, quote).await?;
            let responses = repo::responses(conn, quote_id).await?;
            let already = repo::announced(conn, quote_id).await?;
            let due: Vec<TimePoint> = context
                .schedule()
                .into_iter()
                .filter(|w| {
                    let response = responses
                        .iter()
                        .find(|r| r.time_point == w.time_point)
                        .map(|r| r.state);
                    w.state(response, today) == FollowUpState::Due && !already.contains(&w.time_point)
                })
                .map(|w| w.time_point)
                .collect();
            if due.is_empty() {
                continue;
            }
            announced_now += conn
                .transaction::<_, ApiError, _>(async |conn| {
                    crate::quotes::repo::lock(conn, quote_id).await?;
                    let mut written = 0;
                    for time_point in due {
                        if repo::claim_announcement(conn, quote_id, time_point, now).await? {
                            let event_id = outbox::follow_up_due(conn, quote_id, time_point.as_str()).await?;
                            repo::set_announcement_event(conn, quote_id, time_point, event_id).await?;
                            written += 1;
                        }
                    }
                    registry::sync(conn, key, quote_id, today).await?;
                    Ok(written)
                })
                .await?;
        }
    }
    Ok(announced_now)
}

/// Starts the worker when `STEMCARE_FOLLOW_UP_INTERVAL_MS` is above 0; it reads the time from
/// `state.clock`, so tests that move the clock see follow-ups fall due.
pub fn spawn_worker(state: &AppState) {
    let interval_ms = state.settings.follow_up_interval_ms;
    if interval_ms == 0 {
        return;
    }
    let key = state.data_key.clone();
    let clock = state.clock.clone();
    crate::periodic::spawn_periodic(
        "follow-up",
        state.pool.clone(),
        Duration::from_millis(interval_ms as u64),
        state.shutting_down.clone(),
        move |conn| {
            let key = key.clone();
            let now = clock.now();
            Box::pin(async move {
                match announce_due(conn, &key, now).await {
                    Ok(0) => {}
                    Ok(n) => log::info!("announced {n} due follow-up(s)"),
                    // The error names no patient data: ids and statements only.
                    Err(e) => log::warn!("follow-up worker failed: {e}"),
                }
            })
        },
    );
}
