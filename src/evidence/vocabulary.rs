//! Validation of the evidence lists' vocabulary filters (condition and cell type slugs).

use diesel_async::AsyncPgConnection;

use crate::error::ApiError;
use crate::evidence::repo;

/// The condition filter's slug, or the 400 the reference cache gives for an unknown one.
pub async fn known_condition(conn: &mut AsyncPgConnection, raw: &str) -> Result<String, ApiError> {
    if repo::condition_exists(conn, raw).await? {
        return Ok(raw.to_owned());
    }
    Err(ApiError::invalid_query(
        "condition",
        format!("`{raw}` is not a known condition slug (see GET /v1/conditions)"),
    ))
}

/// The cell type filter's slug, or a 400.
pub async fn known_cell_type(conn: &mut AsyncPgConnection, raw: &str) -> Result<String, ApiError> {
    if repo::cell_type_exists(conn, raw).await? {
        return Ok(raw.to_owned());
    }
    Err(ApiError::invalid_query(
        "cell_type",
        format!("`{raw}` is not a known cell type slug (see GET /v1/cell-types)"),
    ))
}
