//! Validation of catalogue query parameters shared by several endpoints, and the list query they
//! narrow. Enumerated values (countries, conditions, cell types) are checked against the cached
//! reference data (`reference`): an unknown one is a 400, not an empty list, so a typo never looks
//! like "no clinics".

use rust_decimal::Decimal;
use std::str::FromStr;

use crate::db::sql::{Bind, SqlBuilder};
use crate::error::ApiError;
use crate::pagination::{PageTokens, SortKey};

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

    /// Verifies the page token against this query's scope, then adds the order, the keyset
    /// condition and the limit (one row more than the page, to know whether another follows).
    pub fn into_page<O>(
        self,
        order: O,
        sort: SortKey,
        id_column: &str,
        page_tokens: &PageTokens,
        page_token: Option<&str>,
        size: i64,
    ) -> Result<PageQuery<O>, ApiError> {
        let scope = self.scope();
        let after = page_token.map(|t| page_tokens.verify(&scope, t)).transpose()?;
        let mut sql = self.sql;
        sort.finish(&mut sql, id_column, after.as_ref(), size + 1)?;
        Ok(PageQuery {
            sql,
            scope,
            size,
            order,
        })
    }
}

/// The SQL of one page of a list and what its handler needs to cut the page and issue the next
/// token.
pub struct PageQuery<O> {
    pub sql: SqlBuilder,
    pub scope: String,
    pub size: i64,
    pub order: O,
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

/// A language range for `language=`: a plausible BCP 47 tag, in lower case (tags are
/// case-insensitive, and the index holds lower-case prefixes).
pub fn language_range(field: &str, raw: &str) -> Result<String, ApiError> {
    if !crate::openapi::items::plausible_language_tag(raw) {
        return Err(ApiError::invalid_query(
            field,
            "must be a BCP 47 language tag or its leading part, such as es or es-MX",
        ));
    }
    Ok(raw.to_ascii_lowercase())
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
