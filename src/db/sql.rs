//! A small builder for SQL whose filters vary per request: text is appended, values are always
//! bound as parameters (never interpolated), and the result is a diesel `BoxedSqlQuery`.

use std::marker::PhantomData;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use diesel::pg::{Pg, PgQueryBuilder};
use diesel::query_builder::{AstPass, BoxedSqlQuery, Query, QueryBuilder, QueryFragment, QueryId, SqlQuery};
use diesel::sql_types::{Array, Bool, Int4, Int8, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryResult;
use diesel::{Selectable, SelectableHelper};
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

    /// The query, prepared like [`into_query`](Self::into_query), whose rows decode into `T` by
    /// position. Its select list must be `T`'s, in order: build it with [`select_list`].
    pub fn into_query_of<T: Selectable<Pg>>(
        self,
    ) -> Typed<Prepared<BoxedSqlQuery<'static, Pg, SqlQuery>>, diesel::dsl::AsSelect<T, Pg>> {
        Typed(self.into_query(), PhantomData)
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

/// A raw query that declares the SQL type of its rows, so diesel decodes them by position
/// (`Queryable`) instead of by name. `QueryableByName` finds each field by a linear search over
/// the row's columns: for a 21-row page of 40-column clinics that search was ~5% of the
/// request's CPU.
#[derive(Debug)]
pub struct Typed<Q, ST>(Q, PhantomData<fn() -> ST>);

impl<Q: QueryFragment<Pg>, ST> QueryFragment<Pg> for Typed<Q, ST> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, backend: &Pg) -> QueryResult<bool> {
        self.0.is_safe_to_cache_prepared(backend)
    }
}

impl<Q, ST> QueryId for Typed<Q, ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, ST> Query for Typed<Q, ST> {
    type SqlType = ST;
}

/// The columns of `T`'s select list, in order and qualified by `alias`, for raw SQL read with
/// [`SqlBuilder::into_query_of`]: `c."id", c."slug", …` for `select_list::<Clinic>(&CACHE,
/// "clinics", "c")`. Rendered on first use and kept in `cache` (a `static` of the caller's).
pub fn select_list<T: Selectable<Pg>>(
    cache: &'static OnceLock<String>,
    table: &str,
    alias: &str,
) -> QueryResult<&'static str>
where
    T::SelectExpression: QueryFragment<Pg>,
{
    statement_of::<T>(cache, table, alias, str::to_owned)
}

/// A whole statement around `T`'s select list (`render` gets the list), rendered on first use
/// and kept in `cache`, for hot reads whose text never changes: read with
/// [`SqlBuilder::into_query_of`], it skips rendering a DSL query's SQL on every call (diesel-async
/// renders it each time to look up its prepared statement).
pub fn statement_of<T: Selectable<Pg>>(
    cache: &'static OnceLock<String>,
    table: &str,
    alias: &str,
    render: impl FnOnce(&str) -> String,
) -> QueryResult<&'static str>
where
    T::SelectExpression: QueryFragment<Pg>,
{
    if let Some(statement) = cache.get() {
        return Ok(statement);
    }
    let mut builder = PgQueryBuilder::default();
    T::as_select().to_sql(&mut builder, &Pg)?;
    let columns = builder
        .finish()
        .replace(&format!("\"{table}\"."), &format!("{alias}."));
    Ok(cache.get_or_init(|| render(&columns)))
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

/// One `count(*) AS n` row.
#[derive(diesel::QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Int8)]
    n: i64,
}

/// Runs a `SELECT count(*) AS n …` built with [`SqlBuilder`]; 0 when there is no query (a list
/// that can leave nothing out has nothing to count).
pub async fn count_or_zero(
    conn: &mut &diesel_async::AsyncPgConnection,
    query: Option<SqlBuilder>,
) -> QueryResult<i64> {
    use diesel_async::RunQueryDsl;
    match query {
        Some(sql) => Ok(sql.into_query().get_result::<CountRow>(conn).await?.n),
        None => Ok(0),
    }
}
