//! Regulatory status as a sourced structure (issue 18): never a bare "approved".
//!
//! Countries, clinics and packages show `regulatory_status` as a [`RegulatoryStatus`] object. It
//! replaced the earlier string (`approved_locally`, `not_approved`, `unknown`): the API is pre-1.0,
//! and a string that read "approved" while only repeating an article's marketing words misled more
//! than a changed field breaks. `status` says how far StemCare can vouch for the statement:
//! `verified` only when StemCare checked it (the date and a source with a URL are recorded, which
//! the database enforces), `claimed` when it is a clinic's or a source's own words (quoted in
//! `claim`), and `unknown` when nothing is known. For spine indications the US FDA context is always
//! present with its source URL.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::disclaimer::FDA_CONSUMER_UPDATE_URL;

/// How far StemCare can vouch for a regulatory statement.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// StemCare checked it: `source.url` and `verified_at` are recorded.
    Verified,
    /// A clinic's or a source's own words (quoted in `claim`); StemCare has not checked them.
    Claimed,
    /// Nothing is known.
    Unknown,
}

/// The US FDA's position on stem cell products for spine indications, with its source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FdaContext {
    #[schema(
        example = "No stem cell product is approved by the US FDA for disc disease, back pain or neck pain (FDA consumer update, June 2021)."
    )]
    pub text: &'static str,
    pub source: StatementSourceRef,
}

/// A cited source: title, URL and date of the document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementSourceRef {
    pub title: &'static str,
    #[schema(format = "uri")]
    pub url: &'static str,
    /// The document's own date.
    #[schema(example = "2021-06-03", format = Date)]
    pub published: &'static str,
}

/// The FDA sentence of `shared/reference/evidence.md`, as the evidence summaries state it.
pub const FDA_CONTEXT: FdaContext = FdaContext {
    text: "No stem cell product is approved by the US FDA for disc disease, back pain or neck pain \
(FDA consumer update, June 2021). The same update reports blindness, tumour formation and infections \
from unapproved regenerative medicine products, which include stem cells.",
    source: StatementSourceRef {
        title: "FDA: Important Patient and Consumer Information About Regenerative Medicine Therapies",
        url: FDA_CONSUMER_UPDATE_URL,
        published: "2021-06-03",
    },
};

/// The regulatory status of stem cell therapy for back pain where a clinic or package is, as a
/// sourced statement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegulatoryStatus {
    /// `verified`, `claimed` or `unknown`: see [`Verification`].
    pub status: Verification,
    /// What the source states, in a word: `approved_locally`, `not_approved` or `unknown`. Read it
    /// with `status`: a `claimed` approval is only the source's words.
    #[schema(example = "approved_locally")]
    pub stated: String,
    /// The clinic's or source's own words, quoted; null when there are none.
    #[schema(example = "stem cell therapy is approved and regulated by local health authorities")]
    pub claim: Option<String>,
    /// Where the statement comes from (`{title, url, section, retrieved_at}`); for `verified`, the
    /// document StemCare checked.
    #[schema(value_type = Option<Object>)]
    pub source: Option<serde_json::Value>,
    /// When StemCare checked it; null unless `verified`.
    #[schema(value_type = Option<String>, format = Date)]
    pub verified_at: Option<NaiveDate>,
    /// What the statement does and does not say.
    pub note: Option<String>,
    /// The US FDA context, present whenever the listing covers a spine indication.
    pub fda_context: Option<FdaContext>,
}

/// A country's stored regulatory facts.
#[derive(Debug, Clone)]
pub struct CountryRegulation {
    pub stated: String,
    pub claim: Option<String>,
    pub note: Option<String>,
    pub source: serde_json::Value,
    pub verified_at: Option<NaiveDate>,
    pub verified_source: Option<serde_json::Value>,
}

impl CountryRegulation {
    /// The structure shown to patients; `spine` adds the FDA context.
    pub fn present(&self, spine: bool) -> RegulatoryStatus {
        let verified_url = self
            .verified_source
            .as_ref()
            .and_then(|s| s.get("url"))
            .and_then(|u| u.as_str())
            .is_some_and(|u| !u.is_empty());
        let (status, source) = match (self.verified_at, verified_url) {
            (Some(_), true) => (Verification::Verified, self.verified_source.clone()),
            _ if self.stated == "unknown" && self.claim.is_none() => (Verification::Unknown, None),
            _ => (Verification::Claimed, Some(self.source.clone())),
        };
        RegulatoryStatus {
            status,
            stated: self.stated.clone(),
            claim: self.claim.clone(),
            source,
            verified_at: self.verified_at.filter(|_| status == Verification::Verified),
            note: self.note.clone(),
            fda_context: spine.then_some(FDA_CONTEXT),
        }
    }
}

/// The structure for a listing whose country has no stored regulatory facts.
pub fn unknown(spine: bool) -> RegulatoryStatus {
    RegulatoryStatus {
        status: Verification::Unknown,
        stated: "unknown".to_owned(),
        claim: None,
        source: None,
        verified_at: None,
        note: None,
        fda_context: spine.then_some(FDA_CONTEXT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mexico() -> CountryRegulation {
        CountryRegulation {
            stated: "approved_locally".into(),
            claim: Some("approved and regulated by local health authorities".into()),
            note: None,
            source: serde_json::json!({"title": "article", "url": null}),
            verified_at: None,
            verified_source: None,
        }
    }

    #[test]
    fn an_unchecked_approval_is_only_claimed() {
        let shown = mexico().present(true);
        assert_eq!(shown.status, Verification::Claimed);
        assert!(shown.claim.is_some() && shown.source.is_some() && shown.verified_at.is_none());
        assert_eq!(
            shown.fda_context.map(|c| c.source.url),
            Some(FDA_CONSUMER_UPDATE_URL)
        );
        assert!(mexico().present(false).fda_context.is_none());
    }

    #[test]
    fn verified_needs_a_date_and_a_source_url() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1);
        let mut checked = mexico();
        checked.verified_at = date;
        assert_eq!(checked.present(false).status, Verification::Claimed);
        checked.verified_source = Some(serde_json::json!({"title": "register", "url": "https://x.example"}));
        let shown = checked.present(false);
        assert_eq!(shown.status, Verification::Verified);
        assert_eq!(shown.verified_at, date);
    }
}
