//! The evidence base as admins maintain it: seed-shaped upserts and deletes of studies and
//! summaries, each followed by re-grading the summaries' certainty.

use diesel::prelude::*;
use diesel::sql_types::Jsonb;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::{conditions, evidence_summaries, studies};

/// Runs a seed upsert `statement` with its `document`, then re-grades every summary, atomically.
pub async fn upsert_and_regrade(
    conn: &mut AsyncPgConnection,
    statement: &'static str,
    document: Value,
) -> QueryResult<()> {
    conn.transaction(async |conn| {
        diesel::sql_query(statement)
            .bind::<Jsonb, _>(&document)
            .execute(conn)
            .await?;
        crate::evidence::repo::refresh_certainty(conn).await?;
        Ok(())
    })
    .await
}

/// The id of the study with this slug.
pub async fn study_id(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Uuid> {
    studies::table
        .filter(studies::slug.eq(slug))
        .select(studies::id)
        .first(conn)
        .await
}

/// Every study slug.
pub async fn study_slugs(conn: &mut AsyncPgConnection) -> QueryResult<Vec<String>> {
    studies::table.select(studies::slug).load(conn).await
}

/// How many summaries cite the study.
pub async fn summaries_citing(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<i64> {
    evidence_summaries::table
        .filter(evidence_summaries::study_slugs.contains(vec![slug.to_owned()]))
        .count()
        .get_result(conn)
        .await
}

/// Deletes a study; `false` when there was none.
pub async fn delete_study(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(studies::table.filter(studies::slug.eq(slug)))
        .execute(conn)
        .await?;
    Ok(deleted > 0)
}

/// Whether a condition with this slug exists.
pub async fn condition_exists(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<bool> {
    let count: i64 = conditions::table
        .filter(conditions::slug.eq(slug))
        .count()
        .get_result(conn)
        .await?;
    Ok(count > 0)
}

/// The id and computed certainty of a summary.
pub async fn summary_grade(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<(Uuid, String)> {
    evidence_summaries::table
        .filter(evidence_summaries::slug.eq(slug))
        .select((evidence_summaries::id, evidence_summaries::certainty))
        .first(conn)
        .await
}

/// Deletes a summary; `false` when there was none.
pub async fn delete_summary(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(evidence_summaries::table.filter(evidence_summaries::slug.eq(slug)))
        .execute(conn)
        .await?;
    Ok(deleted > 0)
}
