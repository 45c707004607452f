//! The delivery worker: sends due deliveries, records every attempt and schedules retries.
//!
//! Safe with several instances: due rows are claimed with `FOR UPDATE SKIP LOCKED` and leased
//! (their `next_attempt_at` moves a minute ahead) in one statement, so no lock is held while the
//! HTTP request runs and a crashed worker's claims simply become due again. Delivery is at least
//! once; receivers deduplicate on `webhook-id`. The clock is a parameter so tests can move time.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Int4, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::crypto::DataKey;
use crate::db::schema::{webhook_attempts, webhook_deliveries};
use crate::db::DbPool;
use crate::webhooks::domain::DeliveryStatus;
use crate::webhooks::signing;
use crate::webhooks::url_check::{self, UrlPolicy};

/// Waits after the 1st, 2nd, … failed attempt; the last repeats.
pub const BACKOFF_SECONDS: [i64; 7] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
/// No attempt is scheduled later than this after the event; the delivery then fails.
pub const GIVE_UP_AFTER_DAYS: i64 = 3;
// A claimed delivery stays reserved for the worker sending it for 60 s (in `CLAIM`): longer
// than an attempt can take (DNS 5 s + request 10 s).
/// Deliveries claimed per round (sent concurrently).
pub const BATCH: i64 = 20;

/// What the worker needs besides the database.
#[derive(Clone)]
pub struct Deliverer {
    /// See [`url_check::delivery_client`].
    pub client: reqwest::Client,
    /// Decrypts the endpoints' signing secrets.
    pub data_key: DataKey,
    /// Which endpoint URLs may be reached (checked again before every attempt).
    pub policy: UrlPolicy,
}

/// When to try again after `attempts` failed attempts, or `None` to give up.
pub fn next_attempt_at(
    attempts: i32,
    event_created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let index = usize::try_from(attempts.max(1) - 1)
        .unwrap_or(0)
        .min(BACKOFF_SECONDS.len() - 1);
    let next = now + Duration::seconds(BACKOFF_SECONDS[index]);
    (next <= event_created_at + Duration::days(GIVE_UP_AFTER_DAYS)).then_some(next)
}

// The state is written into the text (not bound) so the prepared plan can use the partial index
// `webhook_deliveries_due_idx`.
static CLAIM: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let pending = DeliveryStatus::Pending;
    format!(
        "
WITH due AS (
    SELECT id FROM webhook_deliveries
    WHERE status = '{pending}' AND next_attempt_at <= $1
    ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET next_attempt_at = $1 + interval '60 seconds', updated_at = now()
FROM due, webhook_events e, webhook_endpoints p
WHERE d.id = due.id AND e.id = d.event_id AND p.id = d.endpoint_id
RETURNING d.id, d.attempts, e.id AS event_id, e.payload, e.created_at AS event_created_at,
          p.url, p.secret_ciphertext, p.deleted_at IS NOT NULL AS endpoint_deleted"
    )
});

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Int4)]
    attempts: i32,
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
    #[diesel(sql_type = Jsonb)]
    payload: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    event_created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Bytea)]
    secret_ciphertext: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    endpoint_deleted: bool,
}

/// The outcome of one attempt.
struct Outcome {
    status_code: Option<i32>,
    error: Option<String>,
    duration_ms: i32,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Deliveries acknowledged with a 2xx.
    pub succeeded: usize,
    /// Attempts that failed (retried later, or given up).
    pub failed: usize,
}

/// Sends every delivery due at `now` (one batch) and records the attempts.
pub async fn deliver_due(
    conn: &mut AsyncPgConnection,
    deliverer: &Deliverer,
    now: DateTime<Utc>,
) -> QueryResult<Round> {
    let claimed: Vec<Claimed> = crate::db::sql::prepared(
        diesel::sql_query(CLAIM.as_str())
            .bind::<Timestamptz, _>(now)
            .bind::<BigInt, _>(BATCH),
    )
    .load(conn)
    .await?;
    let outcomes = futures_util::future::join_all(claimed.iter().map(|c| attempt(deliverer, c))).await;
    let mut round = Round::default();
    for (delivery, outcome) in claimed.iter().zip(outcomes) {
        if delivery.endpoint_deleted {
            // Enqueued while the endpoint was being deleted: nothing was sent.
            diesel::update(webhook_deliveries::table.find(delivery.id))
                .set((
                    webhook_deliveries::status.eq(DeliveryStatus::Failed),
                    webhook_deliveries::next_attempt_at.eq(None::<DateTime<Utc>>),
                    webhook_deliveries::last_error.eq("endpoint deleted"),
                ))
                .execute(conn)
                .await?;
            continue;
        }
        if outcome.succeeded() {
            round.succeeded += 1;
        } else {
            round.failed += 1;
        }
        record(conn, delivery, &outcome, now).await?;
    }
    Ok(round)
}

async fn attempt(deliverer: &Deliverer, delivery: &Claimed) -> Outcome {
    let started = Instant::now();
    let result = if delivery.endpoint_deleted {
        Err("endpoint deleted".to_owned())
    } else {
        send(deliverer, delivery).await
    };
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    match result {
        Ok(code) => Outcome {
            status_code: Some(i32::from(code)),
            error: None,
            duration_ms,
        },
        Err(error) => Outcome {
            status_code: None,
            error: Some(error),
            duration_ms,
        },
    }
}

async fn send(deliverer: &Deliverer, delivery: &Claimed) -> Result<u16, String> {
    let url = url_check::check(&delivery.url, deliverer.policy)
        .await
        .map_err(|e| format!("URL refused: {e}"))?;
    let secret = deliverer
        .data_key
        .decrypt(&delivery.secret_ciphertext)
        .ok()
        .and_then(|plain| String::from_utf8(plain).ok())
        .and_then(|s| signing::secret_bytes(&s))
        .ok_or("the signing secret could not be read")?;
    let body = serde_json::to_vec(&delivery.payload).map_err(|_| "the payload could not be encoded")?;
    let message_id = delivery.event_id.to_string();
    // The real clock: receivers compare it with theirs to reject replays.
    let timestamp = Utc::now().timestamp();
    let signature = signing::sign(&secret, &message_id, timestamp, &body);
    let response = deliverer
        .client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out after 10 s".to_owned()
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                "the request failed".to_owned()
            }
        })?;
    Ok(response.status().as_u16())
}

async fn record(
    conn: &mut AsyncPgConnection,
    delivery: &Claimed,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let attempts = delivery.attempts.saturating_add(1);
    let (status, next) = if outcome.succeeded() {
        (DeliveryStatus::Succeeded, None)
    } else {
        match next_attempt_at(attempts, delivery.event_created_at, now) {
            Some(next) => (DeliveryStatus::Pending, Some(next)),
            None => (DeliveryStatus::Failed, None),
        }
    };
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        diesel::insert_into(webhook_attempts::table)
            .values((
                webhook_attempts::delivery_id.eq(delivery.id),
                webhook_attempts::at.eq(now),
                webhook_attempts::status_code.eq(outcome.status_code),
                webhook_attempts::error.eq(&outcome.error),
                webhook_attempts::duration_ms.eq(outcome.duration_ms),
            ))
            .execute(conn)
            .await?;
        diesel::update(webhook_deliveries::table.find(delivery.id))
            .set((
                webhook_deliveries::status.eq(status),
                webhook_deliveries::attempts.eq(attempts),
                webhook_deliveries::next_attempt_at.eq(next),
                webhook_deliveries::last_attempt_at.eq(now),
                webhook_deliveries::last_status_code.eq(outcome.status_code),
                webhook_deliveries::last_error.eq(&outcome.error),
                webhook_deliveries::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
}

/// Delivers due webhooks every `interval` until the process ends.
pub fn spawn_worker(
    pool: DbPool,
    deliverer: Deliverer,
    interval: StdDuration,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    // A claimed delivery's lease lets another instance retry it after shutdown (see `periodic`).
    crate::periodic::spawn_periodic("webhook", pool, interval, stop, move |conn| {
        let deliverer = deliverer.clone();
        Box::pin(async move {
            match deliver_due(conn, &deliverer, Utc::now()).await {
                Ok(Round {
                    succeeded: 0,
                    failed: 0,
                }) => {}
                Ok(round) => log::info!(
                    "webhooks: {} delivered, {} attempt(s) failed",
                    round.succeeded,
                    round.failed
                ),
                Err(e) => log::warn!("webhook worker failed: {e}"),
            }
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_names_the_pending_state() {
        // Spelled out in the SQL so the planner can use the partial index `webhook_deliveries_due_idx`.
        assert!(CLAIM.contains(&format!("status = '{}'", DeliveryStatus::Pending)));
    }

    #[test]
    fn backoff_grows_and_stops_after_three_days() {
        let created = Utc::now();
        let after = |n, at| next_attempt_at(n, created, at).map(|t| (t - at).num_seconds());
        assert_eq!(after(1, created), Some(5));
        assert_eq!(after(2, created), Some(300));
        assert_eq!(after(3, created), Some(1800));
        assert_eq!(after(6, created), Some(36_000));
        assert_eq!(after(20, created), Some(36_000));
        assert_eq!(after(8, created + Duration::days(3) - Duration::hours(1)), None);
    }
}
