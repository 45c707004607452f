//! Queries for studies and evidence summaries, and the certainty refresh the seed loader runs.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{cell_types, conditions, evidence_summaries, studies};
use crate::db::sql::SqlBuilder;
use crate::evidence::grading::{self, StudyFacts};
use crate::evidence::model::{EvidenceSummary, Study};

/// Whether `slug` names a condition. Evidence sits below the reference-data cache (which embeds
/// evidence links), so its filters ask the vocabulary table directly; only filtered lists pay it.
pub async fn condition_exists(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        conditions::table.filter(conditions::slug.eq(slug)),
    ))
    .get_result(conn)
    .await
}

/// Whether `slug` names a cell type (see `condition_exists`).
pub async fn cell_type_exists(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        cell_types::table.filter(cell_types::slug.eq(slug)),
    ))
    .get_result(conn)
    .await
}

/// Filters of the summary list; every value already validated.
#[derive(Debug, Default)]
pub struct SummaryFilter<'a> {
    pub condition: Option<&'a str>,
    pub cell_type: Option<&'a str>,
    pub certainty: Option<&'a str>,
}

/// Summaries matching `filter`, ordered by slug.
pub async fn list_summaries(
    conn: &mut AsyncPgConnection,
    filter: &SummaryFilter<'_>,
) -> QueryResult<Vec<EvidenceSummary>> {
    let mut query = evidence_summaries::table
        .select(EvidenceSummary::as_select())
        .order(evidence_summaries::slug.asc())
        .into_boxed();
    if let Some(condition) = filter.condition {
        query = query.filter(evidence_summaries::condition.eq(condition.to_owned()));
    }
    if let Some(cell_type) = filter.cell_type {
        query = query.filter(evidence_summaries::cell_type.eq(cell_type.to_owned()));
    }
    if let Some(certainty) = filter.certainty {
        query = query.filter(evidence_summaries::certainty.eq(certainty.to_owned()));
    }
    query.load(conn).await
}

pub async fn find_summary(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<EvidenceSummary>> {
    evidence_summaries::table
        .find(id)
        .select(EvidenceSummary::as_select())
        .first(conn)
        .await
        .optional()
}

/// A condition's summaries: the condition-level one (no cell type) first, then by cell type.
pub async fn summaries_for_condition(
    conn: &mut AsyncPgConnection,
    condition: &str,
) -> QueryResult<Vec<EvidenceSummary>> {
    evidence_summaries::table
        .filter(evidence_summaries::condition.eq(condition))
        .select(EvidenceSummary::as_select())
        .order((
            evidence_summaries::cell_type.asc().nulls_first(),
            evidence_summaries::slug.asc(),
        ))
        .load(conn)
        .await
}

/// The studies with these slugs, keyed by slug.
pub async fn studies_by_slug(
    conn: &mut AsyncPgConnection,
    slugs: &[String],
) -> QueryResult<HashMap<String, Study>> {
    let rows: Vec<Study> = studies::table
        .filter(studies::slug.eq_any(slugs))
        .select(Study::as_select())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|s| (s.slug.clone(), s)).collect())
}

pub async fn find_study(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Study>> {
    studies::table
        .find(id)
        .select(Study::as_select())
        .first(conn)
        .await
        .optional()
}

/// The base of every study list.
pub const STUDY_LIST_BASE: &str = "SELECT s.* FROM studies s WHERE true";

/// Runs a list query built by the routes.
pub async fn run_study_list(conn: &mut AsyncPgConnection, query: SqlBuilder) -> QueryResult<Vec<Study>> {
    query.into_query().load(conn).await
}

/// `(condition, summary id, certainty)` of every condition-level summary (one per condition).
pub async fn condition_summaries(conn: &mut &AsyncPgConnection) -> QueryResult<Vec<(String, Uuid, String)>> {
    evidence_summaries::table
        .filter(evidence_summaries::cell_type.is_null())
        .select((
            evidence_summaries::condition,
            evidence_summaries::id,
            evidence_summaries::certainty,
        ))
        .order(evidence_summaries::condition.asc())
        .load(conn)
        .await
}

/// Recomputes every summary's certainty, reasons and counts from its cited studies and writes
/// only the summaries whose values changed, so running it twice changes nothing.
pub async fn refresh_certainty(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    let summaries: Vec<EvidenceSummary> = evidence_summaries::table
        .select(EvidenceSummary::as_select())
        .load(conn)
        .await?;
    let facts: HashMap<String, StudyFacts> = studies::table
        .select(Study::as_select())
        .load::<Study>(conn)
        .await?
        .into_iter()
        .map(|s| (s.slug.clone(), s.facts()))
        .collect();
    let mut changed = 0;
    for summary in summaries {
        let cited: Vec<StudyFacts> = summary
            .study_slugs
            .iter()
            .filter_map(|slug| facts.get(slug).cloned())
            .collect();
        let grade = grading::grade(&cited);
        let reasons = serde_json::to_value(&grade.reasons).unwrap_or_default();
        let certainty = grade.certainty.as_str();
        if summary.certainty == certainty
            && summary.certainty_reasons == reasons
            && summary.study_count == grade.study_count
            && summary.participants_known == grade.participants_known
        {
            continue;
        }
        changed += diesel::update(evidence_summaries::table.find(summary.id))
            .set((
                evidence_summaries::certainty.eq(certainty),
                evidence_summaries::certainty_reasons.eq(reasons),
                evidence_summaries::study_count.eq(grade.study_count),
                evidence_summaries::participants_known.eq(grade.participants_known),
                evidence_summaries::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
    }
    Ok(changed)
}
