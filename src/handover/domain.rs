//! The handover pack's fixed content and rules: the sources every statement cites, the
//! complications the references name (never invented advice), how `Accept` picks JSON or HTML,
//! and how long a doctor's link lives.

use crate::error::{ApiError, FieldError, ProblemKind};

/// A source the pack cites, by a short id.
pub struct Source {
    pub id: &'static str,
    pub title: &'static str,
    pub url: Option<&'static str>,
}

/// The treating clinic's own record (the pack's treatment section).
pub const RECORD: &str = "treatment-record";
pub const ICHOM: &str = "ichom-lbp";
pub const FDA_2021: &str = "fda-2021";
pub const ISSCR_HANDBOOK: &str = "isscr-handbook";
pub const CTCAE: &str = "ctcae-v5";
pub const DISCLAIMER: &str = "stemcare-disclaimer";

/// The fixed sources (`shared/reference/outcomes.md`, `registries.md`, `evidence.md`); the
/// evidence summary adds its own citations.
pub const SOURCES: [Source; 6] = [
    Source {
        id: RECORD,
        title: "Treatment record entered by the treating clinic (or StemCare staff) after the treatment; not verified by StemCare",
        url: None,
    },
    Source {
        id: ICHOM,
        title: "ICHOM Standard Set for Low Back Pain (Clement RC et al., Acta Orthop 2015;86(5):523-533, doi:10.3109/17453674.2015.1036696): complications and time points",
        url: Some("https://connect.ichom.org/standard-sets/low-back-pain/"),
    },
    Source {
        id: FDA_2021,
        title: "US FDA, Important Patient and Consumer Information About Regenerative Medicine Therapies (3 June 2021)",
        url: Some("https://www.fda.gov/vaccines-blood-biologics/consumers-biologics/important-patient-and-consumer-information-about-regenerative-medicine-therapies"),
    },
    Source {
        id: ISSCR_HANDBOOK,
        title: "ISSCR Patient Handbook on Stem Cell Therapies (3 Dec 2008): ask the source of the cells and how they were identified, isolated and grown",
        url: Some("http://www.closerlookatstemcells.org/What_to_Ask.html"),
    },
    Source {
        id: CTCAE,
        title: "NCI Common Terminology Criteria for Adverse Events (CTCAE) v5.0: the severity levels of the adverse events",
        url: Some("https://ctep.cancer.gov/protocoldevelopment/electronic_applications/ctc.htm"),
    },
    Source {
        id: DISCLAIMER,
        title: "StemCare medical disclaimer",
        url: Some(crate::disclaimer::DISCLAIMER_PATH),
    },
];

/// A complication the references name, with its source.
pub struct WarningSign {
    pub complication: &'static str,
    pub source_id: &'static str,
}

/// Complications named by the sources: those the ICHOM low back pain set tracks after a lower back
/// procedure, and the harms the FDA reports for unapproved regenerative medicine products. No
/// symptom list or threshold is added: the references give none.
pub const WARNING_SIGNS: [WarningSign; 7] = [
    WarningSign { complication: "Nerve root injury, including cauda equina", source_id: ICHOM },
    WarningSign { complication: "Deep wound infection", source_id: ICHOM },
    WarningSign { complication: "Pulmonary embolus", source_id: ICHOM },
    WarningSign { complication: "Vascular injury", source_id: ICHOM },
    WarningSign { complication: "Dural tear", source_id: ICHOM },
    WarningSign { complication: "Need for rehospitalisation", source_id: ICHOM },
    WarningSign {
        complication: "Infections, blindness and tumours: harms the FDA reports after unapproved regenerative medicine products",
        source_id: FDA_2021,
    },
];

/// What the pack says about the list above.
pub const WARNING_SIGNS_NOTE: &str = "Complications that the cited sources name after low back \
procedures (ICHOM) and after unapproved regenerative medicine products (FDA). This is not a complete \
list and not medical advice: StemCare does not say which symptoms need urgent care. If the patient \
is unwell, a doctor decides, and the treating clinic should be told.";

/// What the pack says about the follow-up schedule.
pub const FOLLOW_UP_NOTE: &str = "Outcome follow-up time points after the treatment date: 6, 12 and \
24 months are the ICHOM low back pain set's core points and 3 months its optional one; the baseline \
is taken before treatment. The windows of 30 days either side are StemCare's rule.";

/// What the pack says about the clinic's contact details.
pub const CLINIC_NOTE: &str = "The clinic's contact details as listed on StemCare. The listing names \
no complications contact, phone or email: ask the clinic through its website or the patient's own \
contact with it.";

/// The fields of a clinic's contact the listings do not hold.
pub const CLINIC_UNKNOWN_FIELDS: [&str; 3] = ["complications_contact", "phone", "email"];

/// What the pack says when there is no evidence summary for the condition.
pub const NO_EVIDENCE: &str = "no study found for this condition";

/// How a pack is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
}

/// The format `accept` asks for: JSON when absent; the highest `q` among `application/json` and
/// `text/html` (and the wildcards that cover them), JSON on a tie; 406 when neither is acceptable.
pub fn negotiate(accept: Option<&str>) -> Result<Format, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Format::Json);
    };
    let (mut json, mut html) = (None::<f32>, None::<f32>);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let (covers_json, covers_html) = match media.as_str() {
            "*/*" => (true, true),
            "application/*" | "application/json" => (true, false),
            "text/*" | "text/html" => (false, true),
            _ => (false, false),
        };
        // The most specific range wins; approximated here by the highest q, which is what
        // clients send in practice (`text/html,…,*/*;q=0.8`).
        if covers_json {
            json = Some(json.map_or(q, |old| {
                if media == "application/json" {
                    q
                } else {
                    old.max(q)
                }
            }));
        }
        if covers_html {
            html = Some(html.map_or(q, |old| if media == "text/html" { q } else { old.max(q) }));
        }
    }
    let json = json.unwrap_or(0.0);
    let html = html.unwrap_or(0.0);
    if json <= 0.0 && html <= 0.0 {
        return Err(ApiError::new(
            ProblemKind::NotAcceptable,
            "the handover pack is served as application/json or text/html",
        ));
    }
    Ok(if html > json { Format::Html } else { Format::Json })
}

/// A doctor's link lives this many days unless the patient asks otherwise.
pub const DEFAULT_LINK_DAYS: u16 = 30;
/// The shortest and longest life a patient may ask for.
pub const MIN_LINK_DAYS: u16 = 1;
pub const MAX_LINK_DAYS: u16 = 90;
/// Prefix of a doctor's link token (so it is never mistaken for a bearer credential).
pub const LINK_TOKEN_PREFIX: &str = "hl_";

/// The link's life in days, or a 422 naming `/expires_in_days`.
pub fn link_days(requested: Option<u16>) -> Result<i64, ApiError> {
    let days = requested.unwrap_or(DEFAULT_LINK_DAYS);
    if (MIN_LINK_DAYS..=MAX_LINK_DAYS).contains(&days) {
        Ok(i64::from(days))
    } else {
        Err(ApiError::validation(vec![FieldError {
            pointer: "/expires_in_days".into(),
            message: format!("must be between {MIN_LINK_DAYS} and {MAX_LINK_DAYS}"),
        }]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_json_or_html() {
        assert_eq!(negotiate(None).ok(), Some(Format::Json));
        assert_eq!(negotiate(Some("*/*")).ok(), Some(Format::Json));
        assert_eq!(negotiate(Some("application/json")).ok(), Some(Format::Json));
        assert_eq!(negotiate(Some("text/html")).ok(), Some(Format::Html));
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(negotiate(Some(browser)).ok(), Some(Format::Html));
        assert_eq!(
            negotiate(Some("text/html;q=0.5, application/json")).ok(),
            Some(Format::Json)
        );
        assert!(negotiate(Some("application/xml")).is_err());
        assert!(negotiate(Some("text/html;q=0, application/json;q=0")).is_err());
    }

    #[test]
    fn every_cited_source_is_listed() {
        for sign in &WARNING_SIGNS {
            assert!(
                SOURCES.iter().any(|s| s.id == sign.source_id),
                "{}",
                sign.source_id
            );
        }
        assert_eq!(link_days(None).ok(), Some(30));
        assert!(link_days(Some(0)).is_err() && link_days(Some(91)).is_err());
    }
}
