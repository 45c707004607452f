//! A small builder for SQL whose filters vary per request: text is appended, values are always
//! bound as parameters (never interpolated), and the result is a diesel `BoxedSqlQuery`.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, Bool, Int4, Int8, Numeric, Text, Timestamptz, Uuid as SqlUuid};
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

    pub fn into_query(self) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
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
        query
    }
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
