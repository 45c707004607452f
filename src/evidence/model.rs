//! Database rows of `studies` and `evidence_summaries`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{evidence_summaries, studies};
use crate::evidence::grading::{Design, StudyFacts};

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = studies)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Study {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub publication: Option<String>,
    pub year: Option<i32>,
    pub url: Option<String>,
    pub pmcid: Option<String>,
    pub doi: Option<String>,
    pub design: String,
    pub oxford_level: Option<i32>,
    pub participants: Option<i32>,
    pub follow_up_months: Option<i32>,
    pub has_control_group: Option<bool>,
    pub conditions: Vec<String>,
    pub population: String,
    pub intervention: serde_json::Value,
    pub comparator: Option<String>,
    pub outcome_measures: Vec<String>,
    pub result_as_stated: String,
    pub adverse_events_as_stated: Option<String>,
    pub reported_via: String,
    pub article_text: Option<String>,
    pub cited_source: Option<String>,
    pub possible_origin_note: Option<String>,
    /// `{status, text, source}` (see `evidence::funding::FundingCoi`).
    pub funding_coi: serde_json::Value,
    pub source: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Study {
    /// What the certainty rule needs from this study.
    pub fn facts(&self) -> StudyFacts {
        StudyFacts {
            design: Design::parse(&self.design),
            primary_source: self.reported_via == "primary_source",
            participants: self.participants,
            has_control_group: self.has_control_group,
            follow_up_months: self.follow_up_months,
            outcome_measures: self.outcome_measures.clone(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = evidence_summaries)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct EvidenceSummary {
    pub id: Uuid,
    pub slug: String,
    pub condition: String,
    pub cell_type: Option<String>,
    pub study_slugs: Vec<String>,
    pub plain_summary: String,
    pub unknowns: Vec<String>,
    pub benefit_range: Option<String>,
    pub known_harms: Option<String>,
    pub regulatory_context: String,
    pub last_reviewed_at: NaiveDate,
    pub source: serde_json::Value,
    pub certainty: String,
    pub certainty_reasons: serde_json::Value,
    pub study_count: i32,
    pub participants_known: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
