//! Validation of catalogue query parameters shared by several endpoints, and the list query they
//! narrow. Enumerated values (countries, conditions, cell types) are checked against the cached
//! reference data (`reference`): an unknown one is a 400, not an empty list, so a typo never looks
//! like "no clinics".

use rust_decimal::Decimal;
use std::str::FromStr;

use crate::db::sql::{Bind, SqlBuilder};
use crate::error::ApiError;

/// A list query under construction and the scope its page tokens are bound to. Every filter
/// narrows both at once, so a token issued for one set of filters is refused for another.
pub struct ListQuery {
    pub sql: SqlBuilder,
    resource: &'static str,
    scope: Vec<String>,
}

impl ListQuery {
    /// `base` selects the published rows; `order` names the allow-listed order.
    pub fn new(resource: &'static str, base: &str, order: &str) -> Self {
        Self {
            sql: SqlBuilder::new(base),
            resource,
            scope: vec![format!("order={order}")],
        }
    }

    /// Adds `AND <template>` with `{}` standing for the bound `value`, and `scope` to the token scope.
    pub fn filter(&mut self, template: &str, value: Bind, scope: String) {
        let placeholder = self.sql.bind(value);
        self.sql.push(" AND ");
        self.sql.push(&template.replace("{}", &placeholder));
        self.scope.push(scope);
    }

    /// The scope page tokens of this query are signed for.
    pub fn scope(&self) -> String {
        format!("{}|{}", self.resource, self.scope.join("|"))
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

/// Free-text search: 1–200 characters, not only white space, no control characters other than
/// tab and line breaks (`text::TEXT_PATTERN`); used trimmed.
pub fn search_text(field: &str, raw: &str) -> Result<String, ApiError> {
    if !crate::text::is_text(raw, 200) {
        return Err(ApiError::invalid_query(
            field,
            "must be 1 to 200 characters, without control characters",
        ));
    }
    Ok(raw.trim().to_owned())
}
