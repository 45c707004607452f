//! The append-only audit log: reads of patients' personal data by staff and partners, and admin
//! writes. The database refuses updates and deletes of its rows.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::Principal;
use crate::db::schema::audit_log;
use crate::request_context::RequestContext;

/// Records that `principal` read `action` (e.g. `read_contact`) of a quote, in this request.
pub async fn record(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    action: &str,
    quote_id: Uuid,
) -> QueryResult<()> {
    insert(conn, principal, action, Some(quote_id), None).await
}

/// Records an admin write (`action` on `subject`, e.g. `approve_listing` on `clinic:<id>`).
pub async fn record_admin(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    action: &str,
    subject: &str,
) -> QueryResult<()> {
    insert(conn, principal, action, None, Some(subject)).await
}

async fn insert(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    action: &str,
    quote_id: Option<Uuid>,
    subject: Option<&str>,
) -> QueryResult<()> {
    let request_id = RequestContext::current().map(|c| c.request_id);
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_key_id.eq(principal.key_id()),
            audit_log::actor_role.eq(principal.role()),
            audit_log::action.eq(action),
            audit_log::quote_id.eq(quote_id),
            audit_log::subject.eq(subject),
            audit_log::request_id.eq(request_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
