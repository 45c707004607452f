//! Validation of catalogue query parameters shared by several endpoints. Enumerated values
//! (countries, conditions, cell types) must exist: an unknown one is a 400, not an empty list,
//! so a typo never looks like "no clinics".

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use std::str::FromStr;

use crate::db::schema::{cell_types, conditions, countries};
use crate::error::ApiError;

pub async fn known_country(conn: &mut AsyncPgConnection, field: &str, raw: &str) -> Result<String, ApiError> {
    let code = raw.trim().to_ascii_uppercase();
    let exists: i64 = countries::table
        .filter(countries::code.eq(&code))
        .count()
        .get_result(conn)
        .await?;
    if exists == 0 {
        let known: Vec<String> = countries::table
            .select(countries::code)
            .order(countries::code)
            .load(conn)
            .await?;
        return Err(ApiError::invalid_query(
            field,
            format!("`{raw}` is not a listed country; use one of {}", known.join(", ")),
        ));
    }
    Ok(code)
}

pub async fn known_condition(
    conn: &mut AsyncPgConnection,
    field: &str,
    raw: &str,
) -> Result<String, ApiError> {
    let exists: i64 = conditions::table
        .filter(conditions::slug.eq(raw))
        .count()
        .get_result(conn)
        .await?;
    if exists == 0 {
        return Err(ApiError::invalid_query(
            field,
            format!("`{raw}` is not a known condition slug (see GET /v1/conditions)"),
        ));
    }
    Ok(raw.to_owned())
}

/// A known cell type slug and its clinical status (`in_use` or `research`).
pub async fn known_cell_type(
    conn: &mut AsyncPgConnection,
    field: &str,
    raw: &str,
) -> Result<(String, String), ApiError> {
    let status: Option<String> = cell_types::table
        .filter(cell_types::slug.eq(raw))
        .select(cell_types::clinical_status)
        .first(conn)
        .await
        .optional()?;
    match status {
        Some(status) => Ok((raw.to_owned(), status)),
        None => Err(ApiError::invalid_query(
            field,
            format!("`{raw}` is not a known cell type slug (see GET /v1/cell-types)"),
        )),
    }
}

/// A non-negative amount with at most two decimal places and at most 12 digits before the point.
pub fn amount(field: &str, raw: &str) -> Result<Decimal, ApiError> {
    let value = Decimal::from_str(raw.trim())
        .map_err(|_| ApiError::invalid_query(field, "must be a decimal amount such as 5000 or 5000.50"))?;
    if value.is_sign_negative() || value.scale() > 2 || value > Decimal::from(999_999_999_999i64) {
        return Err(ApiError::invalid_query(
            field,
            "must be between 0 and 999999999999 with at most 2 decimals",
        ));
    }
    Ok(value)
}

/// Free-text search: trimmed, 1–200 characters.
pub fn search_text(field: &str, raw: &str) -> Result<String, ApiError> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(ApiError::invalid_query(field, "must be 1 to 200 characters"));
    }
    Ok(text.to_owned())
}
