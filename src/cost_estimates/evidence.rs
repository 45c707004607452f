//! The evidence badge each cost estimate carries: a price is never shown without how little is
//! known about whether the treatment works (issue 18).

use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::evidence::grading::Certainty;
use crate::evidence::repo;

/// The evidence behind treating the estimate's condition.
#[derive(Debug, Serialize, ToSchema)]
pub struct EstimateEvidence {
    /// GRADE certainty of the evidence summary used; `none` means no study in StemCare's sources
    /// (then `studies` is 0), never "safe" or "works".
    pub certainty: Certainty,
    /// The consumer badge for `certainty` (e.g. "Very uncertain / experimental", "No studies found").
    #[schema(example = "Very uncertain / experimental")]
    pub badge: &'static str,
    /// Records the summary cites; 0 when there are none.
    #[schema(example = 3)]
    pub studies: i32,
    /// The cell type of the summary used: the requested one where a summary exists for it, else
    /// null (the summary for the condition as a whole).
    #[schema(example = "bm-msc")]
    pub cell_type: Option<String>,
    /// `GET /v1/evidence-summaries/{summary_id}`; null when no summary exists.
    pub summary_id: Option<Uuid>,
}

impl EstimateEvidence {
    fn none() -> Self {
        Self {
            certainty: Certainty::None,
            badge: Certainty::None.badge(),
            studies: 0,
            cell_type: None,
            summary_id: None,
        }
    }
}

/// The evidence for `condition` (and `cell_type`, when a summary exists for it).
pub async fn for_estimate(
    conn: &mut AsyncPgConnection,
    condition: &str,
    cell_type: Option<&str>,
) -> diesel::QueryResult<EstimateEvidence> {
    let summaries = repo::summaries_for_condition(conn, condition).await?;
    let chosen = summaries
        .iter()
        .find(|s| cell_type.is_some() && s.cell_type.as_deref() == cell_type)
        .or_else(|| summaries.iter().find(|s| s.cell_type.is_none()));
    Ok(chosen.map_or_else(EstimateEvidence::none, |summary| {
        let certainty = Certainty::parse(&summary.certainty);
        EstimateEvidence {
            certainty,
            badge: certainty.badge(),
            studies: summary.study_count,
            cell_type: summary.cell_type.clone(),
            summary_id: Some(summary.id),
        }
    }))
}
