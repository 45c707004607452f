//! Expiry: open or offered quotes past `expires_at` and pending offers past `valid_until` become
//! `expired`. Safe with several instances: rows are claimed with `FOR UPDATE SKIP LOCKED`, so two
//! workers never expire the same row twice and never block each other. The clock is a parameter,
//! so tests can move time forward.

use std::sync::LazyLock;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::sql::prepared;
use crate::db::DbPool;
use crate::states::{OfferStatus, QuoteStatus};

// The states are written into the SQL text (not bound) so the planner can use the partial indexes
// `quotes_expiry_idx` and `offers_expiry_idx` in the prepared plan; the text comes from the enums.
static EXPIRE_QUOTES: LazyLock<String> = LazyLock::new(|| {
    let [open, offered] = QuoteStatus::EXPIRABLE;
    let expired = QuoteStatus::Expired;
    format!(
        "
WITH due AS (
    SELECT id FROM quotes WHERE status IN ('{open}', '{offered}') AND expires_at <= $1
    ORDER BY expires_at LIMIT 500 FOR UPDATE SKIP LOCKED
)
UPDATE quotes q SET status = '{expired}', updated_at = now() FROM due WHERE q.id = due.id"
    )
});

static EXPIRE_OFFERS: LazyLock<String> = LazyLock::new(|| {
    let (pending, expired) = (OfferStatus::Pending, OfferStatus::Expired);
    let (quote_expired, cancelled) = (QuoteStatus::Expired, QuoteStatus::Cancelled);
    format!(
        "
WITH due AS (
    SELECT o.id FROM offers o JOIN quotes q ON q.id = o.quote_id
    WHERE o.status = '{pending}' AND (o.valid_until <= $1 OR q.status IN ('{quote_expired}', '{cancelled}'))
    ORDER BY o.valid_until LIMIT 500 FOR UPDATE OF o SKIP LOCKED
)
UPDATE offers o SET status = '{expired}', updated_at = now() FROM due WHERE o.id = due.id"
    )
});

/// Expires what is due at `now`; returns (quotes, offers) expired.
pub async fn expire_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> diesel::QueryResult<(usize, usize)> {
    let quotes = prepared(diesel::sql_query(EXPIRE_QUOTES.as_str()).bind::<Timestamptz, _>(now))
        .execute(conn)
        .await?;
    let offers = prepared(diesel::sql_query(EXPIRE_OFFERS.as_str()).bind::<Timestamptz, _>(now))
        .execute(conn)
        .await?;
    Ok((quotes, offers))
}

/// Runs expiry and the idempotency purge every `interval` until the process ends.
pub fn spawn_worker(
    pool: DbPool,
    interval: StdDuration,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    crate::periodic::spawn_periodic("expiry", pool, interval, stop, |conn| {
        Box::pin(async move {
            match expire_due(conn, Utc::now()).await {
                Ok((0, 0)) => {}
                Ok((quotes, offers)) => log::info!("expired {quotes} quote(s) and {offers} offer(s)"),
                Err(e) => log::warn!("expiry worker failed: {e}"),
            }
            if let Err(e) = crate::idempotency::purge_expired(conn).await {
                log::warn!("idempotency purge failed: {e}");
            }
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_names_the_enum_states() {
        let [open, offered] = QuoteStatus::EXPIRABLE;
        assert!(EXPIRE_QUOTES.contains(&format!("status IN ('{open}', '{offered}')")));
        assert!(EXPIRE_QUOTES.contains(&format!("status = '{}'", QuoteStatus::Expired)));
        assert!(EXPIRE_OFFERS.contains(&format!("o.status = '{}'", OfferStatus::Pending)));
        let ended = format!(
            "q.status IN ('{}', '{}')",
            QuoteStatus::Expired,
            QuoteStatus::Cancelled
        );
        assert!(EXPIRE_OFFERS.contains(&ended));
        assert!(EXPIRE_OFFERS.contains(&format!("SET status = '{}'", OfferStatus::Expired)));
    }
}
