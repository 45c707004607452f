//! Statements on the cell types and administration methods vocabularies.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{administration_methods, cell_types};

/// A cell type as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = cell_types)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct CellTypeRow {
    pub slug: String,
    pub name: String,
    pub abbreviation: String,
    pub source_tissue: Option<String>,
    pub collection_method: Option<String>,
    pub autologous: Option<bool>,
    pub allogeneic: Option<bool>,
    pub clinical_status: String,
    pub description: String,
    pub source: serde_json::Value,
}

/// An administration method as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = administration_methods)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct AdministrationMethodRow {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub imaging_guidance: Option<String>,
    pub source: serde_json::Value,
}

/// Every cell type, by slug.
pub async fn cell_types(conn: &mut AsyncPgConnection) -> QueryResult<Vec<CellTypeRow>> {
    cell_types::table
        .select(CellTypeRow::as_select())
        .order(cell_types::slug.asc())
        .load(conn)
        .await
}

/// One cell type by slug.
pub async fn find_cell_type(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<CellTypeRow>> {
    cell_types::table
        .find(slug)
        .select(CellTypeRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Every administration method, by slug.
pub async fn administration_methods(
    conn: &mut AsyncPgConnection,
) -> QueryResult<Vec<AdministrationMethodRow>> {
    administration_methods::table
        .select(AdministrationMethodRow::as_select())
        .order(administration_methods::slug.asc())
        .load(conn)
        .await
}
