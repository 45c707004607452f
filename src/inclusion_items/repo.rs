//! Statements on the inclusion vocabulary.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::inclusion_items;

/// An inclusion item as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = inclusion_items)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct InclusionItemRow {
    pub position: i32,
    pub code: String,
    pub label: String,
    pub description: String,
    pub source: serde_json::Value,
}

/// The whole vocabulary in display order.
pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<InclusionItemRow>> {
    inclusion_items::table
        .order(inclusion_items::position.asc())
        .select(InclusionItemRow::as_select())
        .load(conn)
        .await
}
