//! Every statement on handover links. Only the token's hash is stored.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::handover_links;

/// A doctor's link as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = handover_links)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct HandoverLinkRow {
    pub id: Uuid,
    pub quote_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Stores a new link.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    token_hash: &[u8],
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<HandoverLinkRow> {
    diesel::insert_into(handover_links::table)
        .values((
            handover_links::quote_id.eq(quote_id),
            handover_links::token_hash.eq(token_hash),
            handover_links::created_at.eq(created_at),
            handover_links::expires_at.eq(expires_at),
        ))
        .returning(HandoverLinkRow::as_returning())
        .get_result(conn)
        .await
}

/// The link whose token has this hash.
pub async fn find_by_token_hash(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<HandoverLinkRow>> {
    handover_links::table
        .filter(handover_links::token_hash.eq(token_hash))
        .select(HandoverLinkRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Revokes the quote's link `id` at `at` (a revoked link stays revoked); `false` when the quote
/// has no such link.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    let found: Option<Uuid> = handover_links::table
        .find(id)
        .filter(handover_links::quote_id.eq(quote_id))
        .select(handover_links::id)
        .first(conn)
        .await
        .optional()?;
    if found.is_none() {
        return Ok(false);
    }
    diesel::update(
        handover_links::table
            .find(id)
            .filter(handover_links::revoked_at.is_null()),
    )
    .set(handover_links::revoked_at.eq(at))
    .execute(conn)
    .await?;
    Ok(true)
}
