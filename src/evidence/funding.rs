//! Funding and conflicts of interest of a study, as far as a source says: never a bare null that
//! a reader could take for "none".

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What is known about a study's funding and its authors' interests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FundingStatus {
    /// The study's own funding or competing-interests statement, as read in `source`.
    Declared,
    /// A source other than the study reports a financial tie of an author to a seller of the
    /// treatment (for example a founder of the clinic network); the study's own statement was not
    /// read.
    TieReported,
    /// No source StemCare read states the funding or the authors' interests. Unknown, not "none".
    NotReported,
}

impl FundingStatus {
    /// Whether this status must name its source.
    pub fn needs_source(self) -> bool {
        !matches!(self, Self::NotReported)
    }
}

/// `funding_coi` of a study: a status, a plain sentence and, unless nothing was found, its source.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FundingCoi {
    pub status: FundingStatus,
    /// What is known, in one or two plain sentences.
    #[schema(
        example = "Not reported: StemCare has read no funding or competing-interests statement for this study."
    )]
    pub text: String,
    /// Where the statement or the tie comes from: `{title, url, section, retrieved_at}`; null when
    /// `status` is `not_reported`.
    #[schema(value_type = Option<Object>)]
    pub source: Option<serde_json::Value>,
}

impl FundingCoi {
    /// The value shown when the stored one cannot be read: nothing is known.
    pub fn not_reported() -> Self {
        Self {
            status: FundingStatus::NotReported,
            text: "Not reported: StemCare has read no funding or competing-interests statement for this \
                   record."
                .to_owned(),
            source: None,
        }
    }

    /// Reads the stored jsonb; a malformed value shows as not reported rather than failing.
    pub fn from_stored(value: &serde_json::Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_else(|_| Self::not_reported())
    }
}
