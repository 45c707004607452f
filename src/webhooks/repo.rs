//! Every statement of the webhook endpoints and the delivery log (the outbox and the delivery
//! worker keep theirs beside their logic: `outbox.rs`, `delivery.rs`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints, webhook_events};
use crate::webhooks::domain::DeliveryStatus;

/// An endpoint as shown to its partner: id, url, description, created_at.
pub type EndpointRow = (Uuid, String, Option<String>, DateTime<Utc>);

/// Serialises concurrent registrations of one owner (a partner, or staff when `None`) until the
/// transaction ends, so a cap on its endpoints holds.
pub async fn lock_partner_endpoints(conn: &mut AsyncPgConnection, owner: Option<Uuid>) -> QueryResult<()> {
    let owner = owner.map_or_else(|| "staff".to_owned(), |id| id.to_string());
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<diesel::sql_types::Text, _>(format!("webhook-endpoints:{owner}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// The owner's endpoints that are not deleted (staff's when `owner` is `None`).
pub async fn count_active_endpoints(conn: &mut AsyncPgConnection, owner: Option<Uuid>) -> QueryResult<i64> {
    webhook_endpoints::table
        .filter(webhook_endpoints::partner_id.is_not_distinct_from(owner))
        .filter(webhook_endpoints::deleted_at.is_null())
        .count()
        .get_result(conn)
        .await
}

/// Stores a new endpoint with its sealed signing secret.
pub async fn insert_endpoint(
    conn: &mut AsyncPgConnection,
    owner: Option<Uuid>,
    url: &str,
    secret_ciphertext: &[u8],
    description: Option<&str>,
) -> QueryResult<EndpointRow> {
    diesel::insert_into(webhook_endpoints::table)
        .values((
            webhook_endpoints::partner_id.eq(owner),
            webhook_endpoints::url.eq(url),
            webhook_endpoints::secret_ciphertext.eq(secret_ciphertext),
            webhook_endpoints::description.eq(description),
        ))
        .returning((
            webhook_endpoints::id,
            webhook_endpoints::url,
            webhook_endpoints::description,
            webhook_endpoints::created_at,
        ))
        .get_result(conn)
        .await
}

/// The owner's active endpoints (staff's when `owner` is `None`), oldest first; only `id` when given.
pub async fn own_endpoints(
    conn: &mut AsyncPgConnection,
    owner: Option<Uuid>,
    id: Option<Uuid>,
) -> QueryResult<Vec<EndpointRow>> {
    let mut query = webhook_endpoints::table
        .filter(webhook_endpoints::partner_id.is_not_distinct_from(owner))
        .filter(webhook_endpoints::deleted_at.is_null())
        .select((
            webhook_endpoints::id,
            webhook_endpoints::url,
            webhook_endpoints::description,
            webhook_endpoints::created_at,
        ))
        .order((webhook_endpoints::created_at.asc(), webhook_endpoints::id.asc()))
        .into_boxed();
    if let Some(id) = id {
        query = query.filter(webhook_endpoints::id.eq(id));
    }
    query.load(conn).await
}

/// Marks the owner's endpoint deleted; false when it has no such active endpoint.
pub async fn delete_endpoint(
    conn: &mut AsyncPgConnection,
    owner: Option<Uuid>,
    id: Uuid,
) -> QueryResult<bool> {
    let deleted = diesel::update(
        webhook_endpoints::table
            .find(id)
            .filter(webhook_endpoints::partner_id.is_not_distinct_from(owner))
            .filter(webhook_endpoints::deleted_at.is_null()),
    )
    .set(webhook_endpoints::deleted_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// Gives up the pending deliveries to a deleted endpoint.
pub async fn fail_pending_deliveries(conn: &mut AsyncPgConnection, endpoint_id: Uuid) -> QueryResult<usize> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending)),
    )
    .set((
        webhook_deliveries::status.eq(DeliveryStatus::Failed),
        webhook_deliveries::next_attempt_at.eq(None::<DateTime<Utc>>),
        webhook_deliveries::last_error.eq("endpoint deleted"),
        webhook_deliveries::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
}

/// One delivery of the log with its event.
pub struct DeliveryRow {
    pub id: Uuid,
    pub event_id: Uuid,
    pub endpoint_id: Uuid,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub event_type: String,
    pub payload: serde_json::Value,
}

type DeliveryTuple = (
    (Uuid, Uuid, Uuid, DeliveryStatus, i32),
    (
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<i32>,
        Option<String>,
        DateTime<Utc>,
    ),
    (String, serde_json::Value),
);

/// The partner's deliveries, newest first, strictly after the keyset position `after`
/// (`created_at`, `id`) when given; at most `limit`.
pub async fn delivery_page(
    conn: &mut AsyncPgConnection,
    partner_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut query = webhook_deliveries::table
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::partner_id.eq(partner_id))
        .select((
            (
                webhook_deliveries::id,
                webhook_deliveries::event_id,
                webhook_deliveries::endpoint_id,
                webhook_deliveries::status,
                webhook_deliveries::attempts,
            ),
            (
                webhook_deliveries::next_attempt_at,
                webhook_deliveries::last_attempt_at,
                webhook_deliveries::last_status_code,
                webhook_deliveries::last_error,
                webhook_deliveries::created_at,
            ),
            (webhook_events::type_, webhook_events::payload),
        ))
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            webhook_deliveries::created_at
                .lt(at)
                .or(webhook_deliveries::created_at
                    .eq(at)
                    .and(webhook_deliveries::id.lt(id))),
        );
    }
    let rows: Vec<DeliveryTuple> = query
        .order((
            webhook_deliveries::created_at.desc(),
            webhook_deliveries::id.desc(),
        ))
        .limit(limit)
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |((id, event_id, endpoint_id, status, attempts), more, (event_type, payload))| {
                let (next_attempt_at, last_attempt_at, last_status_code, last_error, created_at) = more;
                DeliveryRow {
                    id,
                    event_id,
                    endpoint_id,
                    status,
                    attempts,
                    next_attempt_at,
                    last_attempt_at,
                    last_status_code,
                    last_error,
                    created_at,
                    event_type,
                    payload,
                }
            },
        )
        .collect())
}

/// One attempt: delivery id, at, status code, error, duration in ms.
pub type AttemptRow = (Uuid, DateTime<Utc>, Option<i32>, Option<String>, i32);

/// Every attempt of these deliveries, oldest first.
pub async fn attempts_of(
    conn: &mut AsyncPgConnection,
    delivery_ids: &[Uuid],
) -> QueryResult<Vec<AttemptRow>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(delivery_ids))
        .order(webhook_attempts::id.asc())
        .select((
            webhook_attempts::delivery_id,
            webhook_attempts::at,
            webhook_attempts::status_code,
            webhook_attempts::error,
            webhook_attempts::duration_ms,
        ))
        .load(conn)
        .await
}

/// For the partner's delivery `id`: `None` when there is none, else when its endpoint was
/// deleted (`Some(None)`: not deleted).
pub async fn delivery_endpoint_deleted_at(
    conn: &mut AsyncPgConnection,
    partner_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<Option<DateTime<Utc>>>> {
    webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::partner_id.eq(partner_id))
        .select(webhook_endpoints::deleted_at)
        .first(conn)
        .await
        .optional()
}

/// Queues the delivery to be sent again now, whatever its status.
pub async fn requeue_delivery(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Pending),
            webhook_deliveries::next_attempt_at.eq(diesel::dsl::now),
            webhook_deliveries::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
}
