//! API keys as admins see them (never their secrets or hashes).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::api_keys;

/// What an admin may see of a key.
#[derive(Queryable)]
pub struct KeyRow {
    pub id: Uuid,
    pub prefix: String,
    pub role: String,
    pub partner_id: Option<Uuid>,
    pub name: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One key.
pub async fn key(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<KeyRow> {
    api_keys::table
        .find(id)
        .select((
            api_keys::id,
            api_keys::prefix,
            api_keys::role,
            api_keys::partner_id,
            api_keys::name,
            api_keys::created_at,
            api_keys::revoked_at,
        ))
        .first(conn)
        .await
}

/// The ids of every key, oldest first.
pub async fn key_ids(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Uuid>> {
    api_keys::table
        .order(api_keys::created_at.asc())
        .select(api_keys::id)
        .load(conn)
        .await
}

/// The role, partner and name of a key that is not revoked.
pub async fn active_key_grant(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<(String, Option<Uuid>, Option<String>)>> {
    api_keys::table
        .find(id)
        .filter(api_keys::revoked_at.is_null())
        .select((api_keys::role, api_keys::partner_id, api_keys::name))
        .first(conn)
        .await
        .optional()
}
