//! Queries of the export: the watermark and keyset batches of clinics and packages.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Bool, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::clinics::model::Clinic;
use crate::db::sql::{Bind, SqlBuilder};
use crate::states::ListingStatus;
use crate::treatment_packages::model::TreatmentPackage;

/// The newest `updated_at` an export may include so that the next export (with this value as
/// `since`) misses nothing: just before the start of the oldest transaction still open in this
/// database (its writes are invisible now but will carry an `updated_at` no later than its start),
/// and never later than now. `pg_stat_activity` shows `xact_start` for sessions of the same role
/// (or to superusers and `pg_read_all_stats`), which covers the API's own writers.
const WATERMARK: &str = "
SELECT LEAST(now(), COALESCE(
         (SELECT min(xact_start) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL),
         'infinity'::timestamptz)) - interval '1 microsecond' AS t";

#[derive(QueryableByName)]
struct Watermark {
    #[diesel(sql_type = Timestamptz)]
    t: DateTime<Utc>,
}

/// The export's `transaction_time` (see [`WATERMARK`]).
pub async fn watermark(conn: &mut AsyncPgConnection) -> diesel::QueryResult<DateTime<Utc>> {
    let row: Watermark = diesel::sql_query(WATERMARK).get_result(conn).await?;
    Ok(row.t)
}

/// Where one batch starts and which rows qualify.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Only rows changed after this (exclusive); `None`: the whole public catalogue, no tombstones.
    pub since: Option<DateTime<Utc>>,
    /// Only rows changed up to this (inclusive): the export's `transaction_time`.
    pub until: DateTime<Utc>,
    /// The `(changed_at, id)` of the last row already sent.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// A clinic with whether it is public now and when it last changed.
#[derive(QueryableByName)]
pub struct ClinicRow {
    #[diesel(embed)]
    pub clinic: Clinic,
    #[diesel(sql_type = Bool)]
    pub public: bool,
    #[diesel(sql_type = Timestamptz)]
    pub changed_at: DateTime<Utc>,
}

/// A package with whether it is public now and when it (or its clinic) last changed.
#[derive(QueryableByName)]
pub struct PackageRow {
    #[diesel(embed)]
    pub package: TreatmentPackage,
    #[diesel(sql_type = Bool)]
    pub public: bool,
    #[diesel(sql_type = Timestamptz)]
    pub changed_at: DateTime<Utc>,
}

/// Whether the clinic `c` is public, with `published` the placeholder of the bound published state.
fn clinic_public(published: &str) -> String {
    format!("(c.status = {published} AND c.deleted_at IS NULL)")
}

/// Binds the published state, returning its placeholder (used wherever the query needs it).
fn bind_published(query: &mut SqlBuilder) -> String {
    query.bind(Bind::Text(ListingStatus::Published.as_str().to_owned()))
}

/// Appends the window's conditions on `changed` (an expression) and `id`, order and limit.
fn finish(query: &mut SqlBuilder, changed: &str, id: &str, public: &str, window: &Window) {
    let until = query.bind(Bind::Timestamp(window.until));
    query.push(&format!(" AND {changed} <= {until}"));
    match window.since {
        Some(since) => {
            let since = query.bind(Bind::Timestamp(since));
            query.push(&format!(" AND {changed} > {since}"));
        }
        None => {
            query.push(&format!(" AND {public}"));
        }
    }
    if let Some((at, after_id)) = window.after {
        let at = query.bind(Bind::Timestamp(at));
        let after_id = query.bind(Bind::Uuid(after_id));
        query.push(&format!(" AND ({changed}, {id}) > ({at}, {after_id})"));
    }
    let limit = query.bind(Bind::BigInt(window.limit));
    query.push(&format!(" ORDER BY {changed}, {id} LIMIT {limit}"));
}

/// One batch of clinics in `(updated_at, id)` order.
pub async fn clinics(conn: &mut AsyncPgConnection, window: &Window) -> diesel::QueryResult<Vec<ClinicRow>> {
    let mut query = SqlBuilder::new("");
    let public = clinic_public(&bind_published(&mut query));
    query.push(&format!(
        "SELECT c.*, {public} AS public, c.updated_at AS changed_at FROM clinics c WHERE TRUE"
    ));
    finish(&mut query, "c.updated_at", "c.id", &public, window);
    query.into_query().load(conn).await
}

/// One batch of packages in `(changed_at, id)` order. A package is public when it and its clinic
/// are; its change time is the later of its own and its clinic's, so a clinic's removal also
/// removes its packages.
pub async fn packages(conn: &mut AsyncPgConnection, window: &Window) -> diesel::QueryResult<Vec<PackageRow>> {
    let mut query = SqlBuilder::new("");
    let published = bind_published(&mut query);
    let public = format!(
        "(p.status = {published} AND p.deleted_at IS NULL AND {})",
        clinic_public(&published)
    );
    let changed = "GREATEST(p.updated_at, c.updated_at)";
    query.push(&format!(
        "SELECT p.*, {public} AS public, {changed} AS changed_at \
         FROM treatment_packages p JOIN clinics c ON c.id = p.clinic_id WHERE TRUE"
    ));
    finish(&mut query, changed, "p.id", &public, window);
    query.into_query().load(conn).await
}
