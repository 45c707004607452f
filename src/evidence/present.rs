//! The wire shapes of studies and evidence summaries.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::evidence::funding::FundingCoi;
use crate::evidence::grading::{Certainty, CertaintyReason, Design};
use crate::evidence::model::{EvidenceSummary, Study};

/// Carried by every evidence response: the one disclaimer of every patient-facing response (its
/// full statement keeps this module's former text).
pub use crate::disclaimer::{Disclaimer, DISCLAIMER as EVIDENCE_DISCLAIMER};

/// A page of evidence records with the medical disclaimer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceList<T> {
    /// The items of this page, in the documented order.
    pub items: Vec<T>,
    /// Pass as `page_token` to get the next page; absent on the last page.
    pub next_page_token: Option<String>,
    pub disclaimer: Disclaimer,
}

/// A study cited by a summary, enough to find and read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Citation {
    pub study_id: Uuid,
    #[schema(example = "centeno-2017-bm-msc-registry")]
    pub slug: String,
    pub title: String,
    #[schema(example = "Journal of Translational Medicine")]
    pub publication: Option<String>,
    #[schema(example = 2017)]
    pub year: Option<i32>,
    pub url: Option<String>,
    #[schema(example = "PMC5610473")]
    pub pmcid: Option<String>,
    #[schema(example = "10.1186/s13287-017-0710-3")]
    pub doi: Option<String>,
    /// `primary_source` (read in the study itself) or `article_paraphrase` (the source article's
    /// unverified words).
    #[schema(example = "primary_source")]
    pub reported_via: String,
}

/// What the studies show for one condition (and, optionally, one cell type), graded with GRADE.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceSummaryResponse {
    pub id: Uuid,
    #[schema(example = "degenerative-disc-disease")]
    pub slug: String,
    /// Condition slug.
    #[schema(example = "degenerative-disc-disease")]
    pub condition: String,
    /// Cell type slug; null for the summary of the condition as a whole.
    #[schema(example = "bm-msc")]
    pub cell_type: Option<String>,
    /// Computed from the cited studies (see `src/evidence/grading.rs`); `none` when no study exists.
    pub certainty: Certainty,
    /// The consumer badge for `certainty`.
    #[schema(example = "Very uncertain / experimental")]
    pub badge: String,
    /// Why certainty is what it is, per GRADE domain.
    pub certainty_reasons: Vec<CertaintyReason>,
    /// Number of cited records (studies and article findings).
    #[schema(example = 8)]
    pub study_count: i32,
    /// Sum of the participants of every cited study that states it.
    #[schema(example = 78)]
    pub participants_known: i32,
    /// The range of reported results, with denominators; null when no study reports one.
    pub benefit_range: Option<String>,
    /// Harms the studies report; null when none is reported.
    pub known_harms: Option<String>,
    /// A plain-language summary.
    pub plain_summary: String,
    /// What is not known.
    pub unknowns: Vec<String>,
    /// Approval status and regulator warnings.
    pub regulatory_context: String,
    /// When StemCare last reviewed this summary.
    #[schema(value_type = String, format = Date, example = "2026-11-29")]
    pub last_reviewed_at: NaiveDate,
    /// The cited studies, in the summary's order.
    pub citations: Vec<Citation>,
    /// Where the grading rules come from: `{title, url, section, retrieved_at}`.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
}

/// One evidence summary with the medical disclaimer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceSummaryDetail {
    #[serde(flatten)]
    pub summary: EvidenceSummaryResponse,
    pub disclaimer: Disclaimer,
}

/// A study or article finding, as recorded from its source.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudyResponse {
    pub id: Uuid,
    #[schema(example = "centeno-2017-bm-msc-registry")]
    pub slug: String,
    pub title: String,
    pub publication: Option<String>,
    pub year: Option<i32>,
    pub url: Option<String>,
    #[schema(example = "PMC5610473")]
    pub pmcid: Option<String>,
    pub doi: Option<String>,
    pub design: Design,
    /// OCEBM 2011 level for "Does this intervention help?" (1–5); null when none applies.
    #[schema(example = 4)]
    pub oxford_level: Option<i32>,
    /// Number of participants; null when the source does not say.
    #[schema(example = 33)]
    pub participants: Option<i32>,
    #[schema(example = 72)]
    pub follow_up_months: Option<i32>,
    pub has_control_group: Option<bool>,
    /// Condition slugs the study population maps to.
    pub conditions: Vec<String>,
    pub population: String,
    /// `{cell_type, cell_source, administration_method, description}`.
    #[schema(value_type = Object)]
    pub intervention: serde_json::Value,
    pub comparator: Option<String>,
    pub outcome_measures: Vec<String>,
    /// The result in the source's own terms.
    pub result_as_stated: String,
    pub adverse_events_as_stated: Option<String>,
    /// `primary_source` or `article_paraphrase`.
    #[schema(example = "primary_source")]
    pub reported_via: String,
    /// For article paraphrases: the article's sentence(s), verbatim.
    pub article_text: Option<String>,
    /// The reference the article gives for this finding, verbatim.
    pub cited_source: Option<String>,
    /// Which study this paraphrase possibly comes from ("possibly", never as fact).
    pub possible_origin_note: Option<String>,
    /// Funding and conflicts of interest: `declared` (the study's own statement), `tie_reported`
    /// (another source reports an author's tie to a seller of the treatment) or `not_reported`
    /// (unknown, not "none"), with the source.
    pub funding_coi: FundingCoi,
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
}

/// One study with the medical disclaimer.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudyDetail {
    #[serde(flatten)]
    pub study: StudyResponse,
    pub disclaimer: Disclaimer,
}

/// The evidence for one condition: its summary, per-cell-type summaries and every cited study.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionEvidenceResponse {
    #[schema(example = "degenerative-disc-disease")]
    pub condition: String,
    /// The summary for the condition as a whole.
    pub summary: Option<EvidenceSummaryResponse>,
    /// Summaries for single cell types, where the studies differ by cell type.
    pub cell_type_summaries: Vec<EvidenceSummaryResponse>,
    /// Every study cited by the summaries above, ordered by slug.
    pub studies: Vec<StudyResponse>,
    pub disclaimer: Disclaimer,
}

pub fn present_study(study: &Study) -> StudyResponse {
    StudyResponse {
        id: study.id,
        slug: study.slug.clone(),
        title: study.title.clone(),
        publication: study.publication.clone(),
        year: study.year,
        url: study.url.clone(),
        pmcid: study.pmcid.clone(),
        doi: study.doi.clone(),
        design: Design::parse(&study.design),
        oxford_level: study.oxford_level,
        participants: study.participants,
        follow_up_months: study.follow_up_months,
        has_control_group: study.has_control_group,
        conditions: study.conditions.clone(),
        population: study.population.clone(),
        intervention: study.intervention.clone(),
        comparator: study.comparator.clone(),
        outcome_measures: study.outcome_measures.clone(),
        result_as_stated: study.result_as_stated.clone(),
        adverse_events_as_stated: study.adverse_events_as_stated.clone(),
        reported_via: study.reported_via.clone(),
        article_text: study.article_text.clone(),
        cited_source: study.cited_source.clone(),
        possible_origin_note: study.possible_origin_note.clone(),
        funding_coi: FundingCoi::from_stored(&study.funding_coi),
        source: study.source.clone(),
    }
}

/// Presents a summary; `studies` must hold its cited studies (missing ones are left out).
pub fn present_summary(
    summary: &EvidenceSummary,
    studies: &HashMap<String, Study>,
) -> EvidenceSummaryResponse {
    let certainty = Certainty::parse(&summary.certainty);
    let citations = summary
        .study_slugs
        .iter()
        .filter_map(|slug| studies.get(slug))
        .map(|s| Citation {
            study_id: s.id,
            slug: s.slug.clone(),
            title: s.title.clone(),
            publication: s.publication.clone(),
            year: s.year,
            url: s.url.clone(),
            pmcid: s.pmcid.clone(),
            doi: s.doi.clone(),
            reported_via: s.reported_via.clone(),
        })
        .collect();
    EvidenceSummaryResponse {
        id: summary.id,
        slug: summary.slug.clone(),
        condition: summary.condition.clone(),
        cell_type: summary.cell_type.clone(),
        certainty,
        badge: certainty.badge().to_owned(),
        certainty_reasons: serde_json::from_value(summary.certainty_reasons.clone()).unwrap_or_default(),
        study_count: summary.study_count,
        participants_known: summary.participants_known,
        benefit_range: summary.benefit_range.clone(),
        known_harms: summary.known_harms.clone(),
        plain_summary: summary.plain_summary.clone(),
        unknowns: summary.unknowns.clone(),
        regulatory_context: summary.regulatory_context.clone(),
        last_reviewed_at: summary.last_reviewed_at,
        citations,
        source: summary.source.clone(),
    }
}
