//! Partner organisations as admins see them.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::partners;

/// A partner row.
#[derive(Queryable)]
pub struct PartnerRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// One partner.
pub async fn partner(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<PartnerRow> {
    partners::table
        .find(id)
        .select((partners::id, partners::name, partners::created_at))
        .first(conn)
        .await
}

/// Every partner, oldest first.
pub async fn all_partners(conn: &mut AsyncPgConnection) -> QueryResult<Vec<PartnerRow>> {
    partners::table
        .order(partners::created_at.asc())
        .select((partners::id, partners::name, partners::created_at))
        .load(conn)
        .await
}

/// Whether a partner with this id exists.
pub async fn partner_exists(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    let count: i64 = partners::table.find(id).count().get_result(conn).await?;
    Ok(count > 0)
}
