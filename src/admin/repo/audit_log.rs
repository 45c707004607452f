//! Reading the audit log (it is written by `crate::audit`).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::audit_log;

/// One stored audit entry.
#[derive(Queryable)]
pub struct AuditRow {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_key_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub quote_id: Option<Uuid>,
    pub subject: Option<String>,
    pub request_id: Option<String>,
}

/// The newest `limit` entries, newest first.
pub async fn newest(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor_key_id,
            audit_log::actor_role,
            audit_log::action,
            audit_log::quote_id,
            audit_log::subject,
            audit_log::request_id,
        ))
        .load(conn)
        .await
}
