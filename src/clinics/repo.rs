//! Statements on the clinics' tables that the clinic routes need.

use std::collections::HashMap;

use diesel::sql_types::{Array, Uuid as SqlUuid};
use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::sql::prepared;

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
