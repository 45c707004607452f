//! Links from clinics and packages to the evidence for their conditions, and the flag for efficacy
//! claims that go beyond it.

use std::collections::HashMap;
use std::sync::Arc;

use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::evidence::grading::Certainty;
use crate::evidence::repo;
use crate::red_flags::RedFlag;

/// A link from a listing to the evidence summary of one of its conditions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceLink {
    #[schema(example = "degenerative-disc-disease")]
    pub condition: String,
    /// `GET /v1/evidence-summaries/{summary_id}`.
    pub summary_id: Uuid,
    pub certainty: Certainty,
}

/// The condition-level evidence summaries, for linking listings to them. Links are shared, not
/// copied, into every listing that shows them (a page of clinics shows some 170).
pub struct EvidenceLinks(HashMap<String, Arc<EvidenceLink>>);

impl EvidenceLinks {
    pub async fn load(conn: &mut &AsyncPgConnection) -> diesel::QueryResult<Self> {
        let rows = repo::condition_summaries(conn).await?;
        Ok(Self(
            rows.into_iter()
                .map(|(condition, summary_id, certainty)| {
                    let link = EvidenceLink {
                        condition: condition.clone(),
                        summary_id,
                        certainty: Certainty::parse(&certainty),
                    };
                    (condition, Arc::new(link))
                })
                .collect(),
        ))
    }

    /// Links for `conditions`, in their order; conditions without a summary are skipped.
    pub fn for_conditions(&self, conditions: &[String]) -> Vec<Arc<EvidenceLink>> {
        conditions.iter().filter_map(|c| self.0.get(c).cloned()).collect()
    }

    /// The links of a listing treating `conditions`, and whether its red flags show efficacy claims
    /// beyond that evidence (see [`claims_beyond_evidence`]). For packages, whose only text is
    /// their stem cell offer.
    pub fn assess(&self, conditions: &[String], red_flags: &[RedFlag]) -> (Vec<Arc<EvidenceLink>>, bool) {
        let links = self.for_conditions(conditions);
        let beyond = claims_beyond_evidence(red_flags.iter().map(|f| f.code.as_str()), &links);
        (links, beyond)
    }

    /// The links of a clinic treating `conditions`, and whether `efficacy_claim` goes beyond that
    /// evidence. `efficacy_claim` says whether the clinic's texts about stem cell treatment raise
    /// an efficacy red flag (kept by `listings`): a claim about another treatment, such as a
    /// weight-loss-surgery figure, is not a claim about the evidence for stem cells.
    pub fn assess_claim(
        &self,
        conditions: &[String],
        efficacy_claim: bool,
    ) -> (Vec<Arc<EvidenceLink>>, bool) {
        let links = self.for_conditions(conditions);
        let beyond = efficacy_claim && weak_evidence(&links);
        (links, beyond)
    }
}

/// Red flags raised by an efficacy claim: an outcome promised, quantified or described as repair.
pub const EFFICACY_CLAIM_CODES: [&str; 3] = [
    "GUARANTEED_OUTCOME",
    "OUTCOME_CLAIM_UNSOURCED",
    "REGENERATE_AVOID_SURGERY",
];

/// True when a listing makes an efficacy claim (one of [`EFFICACY_CLAIM_CODES`]) while no condition
/// it lists has evidence of at least `moderate` certainty (evidence.md rule 3: efficacy claims must
/// be backed by an evidence summary).
pub fn claims_beyond_evidence<'a>(
    flag_codes: impl IntoIterator<Item = &'a str>,
    links: &[Arc<EvidenceLink>],
) -> bool {
    let claims = flag_codes
        .into_iter()
        .any(|code| EFFICACY_CLAIM_CODES.contains(&code));
    claims && weak_evidence(links)
}

/// No linked condition has evidence of at least `moderate` certainty (true when none is linked).
fn weak_evidence(links: &[Arc<EvidenceLink>]) -> bool {
    links.iter().all(|l| l.certainty < Certainty::Moderate)
}
