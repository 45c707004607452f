//! A small builder for SQL whose filters vary per request: text is appended, values are always
//! bound as parameters (never interpolated), and the result is a diesel `BoxedSqlQuery`.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, BoxedSqlQuery, Query, QueryFragment, QueryId, SqlQuery};
use diesel::sql_types::{Array, Bool, Int4, Int8, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryResult;
use rust_decimal::Decimal;
use uuid::Uuid;

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub enum Bind {
    Text(String),
    TextArray(Vec<String>),
    Numeric(Decimal),
    Int(i32),
    BigInt(i64),
    Bool(bool),
    Uuid(Uuid),
    UuidArray(Vec<Uuid>),
    Timestamp(DateTime<Utc>),
}

/// SQL text plus its bound values, in placeholder order.
#[derive(Debug, Default)]
pub struct SqlBuilder {
    sql: String,
    binds: Vec<Bind>,
}

impl SqlBuilder {
    pub fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_owned(),
            binds: Vec::new(),
        }
    }

    /// Appends raw SQL (never user input).
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Registers a value and returns its placeholder (`$1`, `$2`, …).
    pub fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// The SQL text, for logs, tests and the benchmark twins.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The query, kept prepared per connection (see [`Prepared`]): its text depends only on which
    /// filters are present, never on their values.
    pub fn into_query(self) -> Prepared<BoxedSqlQuery<'static, Pg, SqlQuery>> {
        let mut query = diesel::sql_query(self.sql).into_boxed::<Pg>();
        for bind in self.binds {
            query = match bind {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::TextArray(v) => query.bind::<Array<Text>, _>(v),
                Bind::Numeric(v) => query.bind::<Numeric, _>(v),
                Bind::Int(v) => query.bind::<Int4, _>(v),
                Bind::BigInt(v) => query.bind::<Int8, _>(v),
                Bind::Bool(v) => query.bind::<Bool, _>(v),
                Bind::Uuid(v) => query.bind::<SqlUuid, _>(v),
                Bind::UuidArray(v) => query.bind::<Array<SqlUuid>, _>(v),
                Bind::Timestamp(v) => query.bind::<Timestamptz, _>(v),
            };
        }
        Prepared(query)
    }
}

/// A raw SQL query that diesel keeps prepared on each connection, like its typed queries.
///
/// Diesel never caches `sql_query`, because its text could embed values and grow the cache
/// without bound; so every raw query was parsed, planned and described again on each request:
/// one extra round trip and the server's parse/plan work (README "Performance"). Wrap only text
/// that holds no values (constants, or [`SqlBuilder`] text, whose variants are the finite set of
/// filter combinations); the cache key is the text plus the bind types.
#[derive(Debug, Clone)]
pub struct Prepared<Q>(Q);

/// Wraps a raw query whose SQL text never embeds a value (see [`Prepared`]).
pub fn prepared<Q>(query: Q) -> Prepared<Q> {
    Prepared(query)
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // No static id: the statement cache keys the query by its SQL text and bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

/// One row of `EXPLAIN (FORMAT JSON)`.
#[derive(diesel::QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = diesel::sql_types::Json, column_name = "QUERY PLAN")]
    plan: serde_json::Value,
}

impl SqlBuilder {
    /// The plan Postgres would use for this query (`EXPLAIN (FORMAT JSON)`), for the query-plan
    /// test and for diagnosing slow lists.
    pub async fn explain(
        self,
        conn: &mut diesel_async::AsyncPgConnection,
    ) -> diesel::QueryResult<serde_json::Value> {
        use diesel_async::RunQueryDsl;
        let Self { sql, binds } = self;
        let explained = Self {
            sql: format!("EXPLAIN (FORMAT JSON) {sql}"),
            binds,
        };
        let row: PlanRow = explained.into_query().get_result(conn).await?;
        Ok(row.plan)
    }
}
