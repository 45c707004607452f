//! Statements on the clinics' tables that the clinic routes need, and the SQL of the public
//! clinic list (public for the query-plan test).

use std::collections::HashMap;
use std::sync::OnceLock;

use diesel::prelude::*;
use diesel::sql_types::{Array, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::clinics::domain::{ClinicFilter, ClinicOrder};
use crate::clinics::model::PublicClinic;
use crate::clinics::sparse_row::{self, ColumnSets, SparseClinic};
use crate::db::schema::clinics;
use crate::db::sql::{prepared, select_list, Bind, SqlBuilder};
use crate::error::ApiError;
use crate::filters::{ListQuery, PageQuery};
use crate::pagination::PageTokens;
use crate::sparse_fields::{self, FieldSet};
use crate::states::ListingStatus;

const RESPONSE_TIMES: &str = "
SELECT r.clinic_id,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.first_at - r.routed_at)) / 3600.0)::float8 AS hours,
       count(*) AS answered
FROM quote_routes r
JOIN LATERAL (SELECT min(o.created_at) AS first_at FROM offers o
              WHERE o.quote_id = r.quote_id AND o.clinic_id = r.clinic_id) f ON f.first_at IS NOT NULL
WHERE r.clinic_id = ANY($1)
GROUP BY r.clinic_id";

/// How fast a clinic answers quotes.
#[derive(Debug, Clone, Copy, diesel::QueryableByName)]
pub struct ResponseTime {
    #[diesel(sql_type = SqlUuid)]
    pub clinic_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub hours: f64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub answered: i64,
}

/// Median response times of the given clinics (absent for clinics that never made an offer).
pub async fn response_times(
    conn: &mut &AsyncPgConnection,
    clinic_ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, ResponseTime>> {
    let rows: Vec<ResponseTime> =
        prepared(diesel::sql_query(RESPONSE_TIMES).bind::<Array<SqlUuid>, _>(clinic_ids))
            .load(conn)
            .await?;
    Ok(rows.into_iter().map(|r| (r.clinic_id, r)).collect())
}

/// One published clinic (critically flagged ones included: a read by id shows the flags).
pub async fn find_published(conn: &mut &AsyncPgConnection, id: Uuid) -> QueryResult<Option<PublicClinic>> {
    clinics::table
        .find(id)
        .filter(clinics::status.eq(ListingStatus::Published))
        .select(PublicClinic::as_select())
        .first(conn)
        .await
        .optional()
}

/// Runs a page query built by [`list_query`] with the same `fields`.
pub async fn load_page(
    conn: &mut &AsyncPgConnection,
    sql: SqlBuilder,
    fields: Option<&FieldSet>,
) -> QueryResult<Vec<PublicClinic>> {
    match fields {
        None => {
            sql.into_query_of::<PublicClinic>()
                .load::<PublicClinic>(conn)
                .await
        }
        Some(_) => {
            let rows = sql.into_query().load::<SparseClinic>(conn).await?;
            Ok(rows.into_iter().map(|row| row.0).collect())
        }
    }
}

/// The published state spelt out in the SQL text from [`ListingStatus`] rather than bound: the list
/// indexes are partial on that state (migrations 000600 and 000920), and a cached statement's
/// generic plan can use a partial index only when the query's text implies its predicate.
fn published_clinics_where() -> String {
    format!("c.status = '{}'", ListingStatus::Published.as_str())
}

/// Verifies the page token against the filter's scope and builds the page's SQL (one row more
/// than the page, to know whether another follows). Unless `include_flagged`, critically flagged
/// clinics are left out (`clinics.has_critical_flag`, kept by `listings`).
pub fn list_query(
    filter: &ClinicFilter,
    fields: Option<&FieldSet>,
    page_tokens: &PageTokens,
    column_sets: &ColumnSets,
) -> Result<PageQuery<ClinicOrder>, ApiError> {
    // Only the columns of `PublicClinic`, in its order: rows decode by position, and columns no
    // listing shows (the search vector) are not sent. With `fields=`, only the columns an asked
    // field needs (see `sparse_row`), decoded by name.
    static COLUMNS: OnceLock<String> = OnceLock::new();
    let columns = match fields {
        None => select_list::<PublicClinic>(&COLUMNS, "clinics", "c")
            .map_err(ApiError::internal)?
            .to_owned(),
        Some(fields) => sparse_row::select_list(fields, filter.order, column_sets),
    };
    let mut base = format!(
        "SELECT {columns} FROM clinics c WHERE {}",
        published_clinics_where()
    );
    if !filter.include_flagged {
        base.push_str(" AND NOT c.has_critical_flag");
    }
    // `include_flagged` is part of the token's scope like any filter: a page of the screened list
    // does not continue the unscreened one.
    let resource = if filter.include_flagged {
        "clinics+flagged"
    } else {
        "clinics"
    };
    let order = filter.order;
    // The field set joins the order in the token scope: a page of one shape never continues
    // another (the order's name is only used in the scope).
    let scope_order = format!("{}{}", order.name(), sparse_fields::scope_of(fields));
    let mut query = ListQuery::new(resource, &base, &scope_order);
    narrow(&mut query, filter);
    query.into_page(
        order,
        order.sort_key(),
        "c.id",
        page_tokens,
        filter.page_token.as_deref(),
        filter.size,
    )
}

/// The SQL counting the clinics the same filters match but a critical flag leaves out (over the
/// whole result, not one page); `None` with `include_flagged`. Served by the partial index
/// `clinics_critical_idx`.
pub fn excluded_query(filter: &ClinicFilter) -> Option<SqlBuilder> {
    if filter.include_flagged {
        return None;
    }
    let base = format!(
        "SELECT count(*) AS n FROM clinics c WHERE {} AND c.has_critical_flag",
        published_clinics_where()
    );
    let mut query = ListQuery::new("clinics", &base, "");
    narrow(&mut query, filter);
    Some(query.sql)
}

/// Adds every filter to `query` (and to its token scope). `{}` becomes a bound `$n`: the SQL text
/// depends only on which filters are present.
fn narrow(query: &mut ListQuery, filter: &ClinicFilter) {
    if let Some(code) = &filter.country {
        query.filter(
            "c.country_code = {}::bpchar",
            Bind::Text(code.clone()),
            format!("country={code}"),
        );
    }
    if let Some(city) = &filter.city {
        let scope = format!("city={}", city.to_lowercase());
        query.filter("lower(c.city) = lower({})", Bind::Text(city.clone()), scope);
    }
    if let Some(slug) = &filter.condition {
        let scope = format!("condition={slug}");
        query.filter(
            "c.condition_slugs @> ARRAY[{}::text]",
            Bind::Text(slug.clone()),
            scope,
        );
    }
    if let Some(slug) = &filter.cell_type {
        let scope = format!("cell_type={slug}");
        query.filter(
            "c.cell_type_slugs @> ARRAY[{}::text]",
            Bind::Text(slug.clone()),
            scope,
        );
    }
    if let Some(body) = &filter.accreditation {
        let scope = format!("accreditation={body}");
        query.filter(
            "c.accreditation_bodies @> ARRAY[{}::text]",
            Bind::Text(body.clone()),
            scope,
        );
    }
    if let Some(range) = &filter.language_range {
        let scope = format!("language={range}");
        // The expression of the `clinics_language_ranges_idx` index (migration 000800).
        query.filter(
            "language_ranges(c.languages) @> ARRAY[{}::text]",
            Bind::Text(range.clone()),
            scope,
        );
    }
    if let Some(children) = filter.serves_children {
        let scope = format!("serves_children={children}");
        query.filter("c.serves_children = {}", Bind::Bool(children), scope);
    }
    if let Some(min) = filter.min_patients_per_year {
        let scope = format!("min_patients_per_year={min}");
        query.filter("c.patients_per_year >= {}", Bind::Int(min), scope);
    }
    if let Some(max) = &filter.max_price {
        let scope = format!("max_price={}", max.asked);
        query.filter("c.price_from_usd <= {}", Bind::Numeric(max.usd), scope);
    }
    if let Some(q) = &filter.q {
        let scope = format!("q={q}");
        query.filter(
            "c.search @@ websearch_to_tsquery('english', {})",
            Bind::Text(q.clone()),
            scope,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinics::fields::CLINIC_FIELDS;
    use crate::clinics::sparse_row::COLUMNS;

    #[test]
    fn sparse_columns_follow_the_row() {
        static SELECT: OnceLock<String> = OnceLock::new();
        let full = select_list::<PublicClinic>(&SELECT, "clinics", "c").expect("columns");
        let names: Vec<String> = COLUMNS
            .iter()
            .map(|column| format!("c.\"{}\"", column.name))
            .collect();
        assert_eq!(
            full,
            names.join(", "),
            "sparse_row::COLUMNS is PublicClinic's select list"
        );
        for column in &COLUMNS {
            for field in column.needed_by {
                assert!(CLINIC_FIELDS.names.contains(field), "{field}");
            }
        }
        let all = FieldSet::parse(&CLINIC_FIELDS, Some(&CLINIC_FIELDS.names.join(",")))
            .expect("every name")
            .expect("a set");
        // The price column serves only the price order's cursor.
        let sets = ColumnSets::default();
        assert_eq!(sparse_row::select_list(&all, ClinicOrder::Price, &sets), full);
        let screen = FieldSet::parse(&CLINIC_FIELDS, Some("id,name"))
            .expect("valid")
            .expect("a set");
        let sql = sparse_row::select_list(&screen, ClinicOrder::ScoreDesc, &sets);
        assert_eq!(sql, "c.\"id\", c.\"name\", c.\"score\"");
        // Beyond the limit, a new set reads every column.
        let one = ColumnSets::new(1);
        assert_eq!(
            sparse_row::select_list(&screen, ClinicOrder::ScoreDesc, &one),
            sql
        );
        assert_eq!(sparse_row::select_list(&all, ClinicOrder::ScoreDesc, &one), full);
    }
}
