//! The wire shape of what a listing discloses for the rules `NO_PROTOCOL`, `NO_IRB_OR_REGULATOR`,
//! `DEPOSIT_BEFORE_CONSULT` and `REVIEWS_ONLY_SELF_HOSTED`: partners write it on their clinic
//! listings, `POST /v1/claim-checks` accepts it, and public clinic responses show it.
//!
//! Each disclosure has three states: absent or `null` (not stated: an informational flag), stated
//! as none, or given. The engine's typed form is [`engine::Disclosures`]; this module converts both
//! ways and validates the wire form, so the database, the engine and the wire agree.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::red_flags::engine::{self, DepositTerms, DepositTiming, Disclosed, ReviewHosting};

/// The rules these disclosures feed.
pub const DISCLOSURE_RULES: [&str; 4] = [
    "NO_PROTOCOL",
    "NO_IRB_OR_REGULATOR",
    "DEPOSIT_BEFORE_CONSULT",
    "REVIEWS_ONLY_SELF_HOSTED",
];

/// The longest protocol or approval reference accepted.
const MAX_REFERENCE: usize = 500;

/// A document the listing either references or states it does not have.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReferenceDisclosure {
    /// `given` (with a `reference`) or `none` (the listing states there is none).
    #[schema(example = "given", max_length = 5, pattern = "^(none|given)$")]
    pub status: String,
    /// With `given`: where to find it, as an `https://` URL or a document reference (plain text,
    /// 1–500 characters). Absent or null with `none`.
    #[schema(
        example = "https://clinic.example/protocols/bm-msc-disc-v2.pdf",
        min_length = 1,
        max_length = 500,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reference: Option<String>,
}

/// When a deposit is due and how much of it is refunded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DepositDisclosure {
    /// `none` (no deposit is asked for), `after_medical_review` (due only after a doctor reviewed
    /// the patient's records) or `before_medical_review`.
    #[schema(
        example = "after_medical_review",
        max_length = 21,
        pattern = "^(none|after_medical_review|before_medical_review)$"
    )]
    pub due: String,
    /// Percentage of the deposit refunded when the patient withdraws (0–100); absent or null when
    /// not stated, and always absent with `due: none`.
    #[schema(example = 100, minimum = 0, maximum = 100)]
    pub refund_pct: Option<i32>,
}

/// What a listing discloses about its treatment protocol, its ethics committee or regulator
/// approval, its deposit and its reviews. A field that is absent or null is not stated: it raises
/// an informational "not stated" flag, never a warning.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Disclosures {
    /// The written treatment protocol (rule `NO_PROTOCOL`).
    pub protocol: Option<ReferenceDisclosure>,
    /// The approval of an ethics committee (IRB/ERB) or a regulator for the treatment (rule
    /// `NO_IRB_OR_REGULATOR`).
    #[schema(example = json!({"status": "none"}))]
    pub ethics_approval: Option<ReferenceDisclosure>,
    /// The deposit terms (rule `DEPOSIT_BEFORE_CONSULT`).
    pub deposit: Option<DepositDisclosure>,
    /// Where the reviews the listing shows are hosted (rule `REVIEWS_ONLY_SELF_HOSTED`):
    /// `self_hosted_only` (only testimonials the clinic publishes itself), `independent` (an
    /// independent platform with verified bookings) or `no_reviews`.
    #[schema(
        example = "independent",
        max_length = 16,
        pattern = "^(self_hosted_only|independent|no_reviews)$"
    )]
    pub review_hosting: Option<String>,
}

const REFERENCE_STATUSES: [&str; 2] = ["none", "given"];
const DEPOSIT_DUE: [&str; 3] = ["none", "after_medical_review", "before_medical_review"];
const REVIEW_HOSTING: [&str; 3] = ["self_hosted_only", "independent", "no_reviews"];

impl Disclosures {
    /// True when nothing is stated.
    pub fn is_not_stated(&self) -> bool {
        self == &Self::default()
    }

    /// The names of the fields not stated, as `unknown_fields` lists them (`disclosures.deposit`,
    /// and `disclosures.deposit.refund_pct` for a deposit whose refund is not stated).
    pub fn unknown_fields(&self) -> impl Iterator<Item = &'static str> {
        let deposit_refund_unknown = self
            .deposit
            .as_ref()
            .is_some_and(|d| d.due != "none" && d.refund_pct.is_none());
        [
            ("disclosures.protocol", self.protocol.is_none()),
            ("disclosures.ethics_approval", self.ethics_approval.is_none()),
            ("disclosures.deposit", self.deposit.is_none()),
            ("disclosures.deposit.refund_pct", deposit_refund_unknown),
            ("disclosures.review_hosting", self.review_hosting.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, unknown)| unknown.then_some(name))
    }

    /// Checks every value; `fail(pointer, message)` is called for each problem, with pointers
    /// under `base` (e.g. `/disclosures/deposit/refund_pct`).
    pub fn validate(&self, base: &str, fail: &mut dyn FnMut(String, String)) {
        for (name, reference) in [
            ("protocol", &self.protocol),
            ("ethics_approval", &self.ethics_approval),
        ] {
            if let Some(disclosure) = reference {
                validate_reference(&format!("{base}/{name}"), disclosure, fail);
            }
        }
        if let Some(deposit) = &self.deposit {
            let pointer = format!("{base}/deposit");
            if !DEPOSIT_DUE.contains(&deposit.due.as_str()) {
                fail(format!("{pointer}/due"), one_of(&DEPOSIT_DUE));
            }
            match deposit.refund_pct {
                Some(pct) if !(0..=100).contains(&pct) => fail(
                    format!("{pointer}/refund_pct"),
                    "must be between 0 and 100".into(),
                ),
                Some(_) if deposit.due == "none" => fail(
                    format!("{pointer}/refund_pct"),
                    "must be absent when no deposit is asked for (due: none)".into(),
                ),
                _ => {}
            }
        }
        if let Some(hosting) = &self.review_hosting {
            if !REVIEW_HOSTING.contains(&hosting.as_str()) {
                fail(format!("{base}/review_hosting"), one_of(&REVIEW_HOSTING));
            }
        }
    }

    /// The engine's typed form. Values that do not validate count as not stated, so callers
    /// validate first.
    pub fn facts(&self) -> engine::Disclosures {
        engine::Disclosures {
            protocol: reference_fact(self.protocol.as_ref()),
            ethics_approval: reference_fact(self.ethics_approval.as_ref()),
            deposit: match &self.deposit {
                None => Disclosed::NotStated,
                Some(deposit) => {
                    let due = match deposit.due.as_str() {
                        "none" => Some(DepositTiming::NoDeposit),
                        "after_medical_review" => Some(DepositTiming::AfterMedicalReview),
                        "before_medical_review" => Some(DepositTiming::BeforeMedicalReview),
                        _ => None,
                    };
                    let refund_pct = deposit
                        .refund_pct
                        .and_then(|pct| u8::try_from(pct).ok())
                        .filter(|pct| *pct <= 100);
                    due.map_or(Disclosed::NotStated, |due| {
                        Disclosed::Given(DepositTerms { due, refund_pct })
                    })
                }
            },
            reviews: match self.review_hosting.as_deref() {
                Some("self_hosted_only") => Disclosed::Given(ReviewHosting::SelfHostedOnly),
                Some("independent") => Disclosed::Given(ReviewHosting::Independent),
                Some("no_reviews") => Disclosed::Given(ReviewHosting::NoReviews),
                _ => Disclosed::NotStated,
            },
        }
    }
}

impl From<&engine::Disclosures> for Disclosures {
    fn from(facts: &engine::Disclosures) -> Self {
        let reference = |fact: &Disclosed<String>| match fact {
            Disclosed::NotStated => None,
            Disclosed::None => Some(ReferenceDisclosure {
                status: "none".into(),
                reference: None,
            }),
            Disclosed::Given(reference) => Some(ReferenceDisclosure {
                status: "given".into(),
                reference: Some(reference.clone()),
            }),
        };
        Self {
            protocol: reference(&facts.protocol),
            ethics_approval: reference(&facts.ethics_approval),
            deposit: match &facts.deposit {
                Disclosed::NotStated => None,
                Disclosed::None => Some(DepositDisclosure {
                    due: "none".into(),
                    refund_pct: None,
                }),
                Disclosed::Given(terms) => Some(DepositDisclosure {
                    due: deposit_timing_str(terms.due).into(),
                    refund_pct: match terms.due {
                        DepositTiming::NoDeposit => None,
                        _ => terms.refund_pct.map(i32::from),
                    },
                }),
            },
            review_hosting: match &facts.reviews {
                Disclosed::NotStated => None,
                Disclosed::None => Some("no_reviews".into()),
                Disclosed::Given(hosting) => Some(review_hosting_str(*hosting).into()),
            },
        }
    }
}

/// The wire and database spelling of a deposit timing.
pub fn deposit_timing_str(due: DepositTiming) -> &'static str {
    match due {
        DepositTiming::NoDeposit => "none",
        DepositTiming::AfterMedicalReview => "after_medical_review",
        DepositTiming::BeforeMedicalReview => "before_medical_review",
    }
}

/// The wire and database spelling of a review hosting.
pub fn review_hosting_str(hosting: ReviewHosting) -> &'static str {
    match hosting {
        ReviewHosting::SelfHostedOnly => "self_hosted_only",
        ReviewHosting::Independent => "independent",
        ReviewHosting::NoReviews => "no_reviews",
    }
}

fn one_of(allowed: &[&str]) -> String {
    format!("must be one of {}", allowed.join(", "))
}

fn reference_fact(disclosure: Option<&ReferenceDisclosure>) -> Disclosed<String> {
    match disclosure {
        Some(d) if d.status == "none" => Disclosed::None,
        Some(ReferenceDisclosure {
            status,
            reference: Some(reference),
        }) if status == "given" => Disclosed::Given(reference.clone()),
        _ => Disclosed::NotStated,
    }
}

fn validate_reference(pointer: &str, disclosure: &ReferenceDisclosure, fail: &mut dyn FnMut(String, String)) {
    match (disclosure.status.as_str(), &disclosure.reference) {
        ("none", None) => {}
        ("none", Some(_)) => fail(
            format!("{pointer}/reference"),
            "must be absent when the status is none".into(),
        ),
        ("given", None) => fail(
            format!("{pointer}/reference"),
            "is required when the status is given".into(),
        ),
        ("given", Some(reference)) => {
            if let Some(problem) = reference_problem(reference) {
                fail(format!("{pointer}/reference"), problem.into());
            }
        }
        _ => fail(format!("{pointer}/status"), one_of(&REFERENCE_STATUSES)),
    }
}

/// What is wrong with a reference: it must be plain text of 1–500 characters, and a URL must be
/// an `https://` one.
fn reference_problem(reference: &str) -> Option<&'static str> {
    let length = reference.chars().count();
    if reference.trim().is_empty() || length > MAX_REFERENCE {
        return Some("must be 1 to 500 characters");
    }
    if crate::text::has_forbidden_control(reference) {
        return Some("must not contain control characters");
    }
    let bytes = reference.as_bytes();
    let markup = bytes
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?')));
    if markup {
        return Some("must be plain text (no HTML)");
    }
    if reference.contains("://") || reference.trim_start().to_ascii_lowercase().starts_with("http") {
        let secure = url::Url::parse(reference.trim())
            .is_ok_and(|url| url.scheme() == "https" && url.host_str().is_some());
        if !secure {
            return Some("a URL must be an https:// URL");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: serde_json::Value) -> Disclosures {
        serde_json::from_value(value).expect("parses")
    }

    fn errors(d: &Disclosures) -> Vec<(String, String)> {
        let mut found = Vec::new();
        d.validate("/disclosures", &mut |p, m| found.push((p, m)));
        found
    }

    #[test]
    fn every_state_round_trips_through_the_engine_form() {
        let all = parse(json!({
            "protocol": {"status": "given", "reference": "https://clinic.example/protocol.pdf"},
            "ethics_approval": {"status": "none"},
            "deposit": {"due": "before_medical_review", "refund_pct": 0},
            "review_hosting": "self_hosted_only"
        }));
        assert!(errors(&all).is_empty());
        let facts = all.facts();
        assert_eq!(
            facts.protocol,
            Disclosed::Given("https://clinic.example/protocol.pdf".into())
        );
        assert_eq!(facts.ethics_approval, Disclosed::None);
        assert_eq!(
            facts.deposit,
            Disclosed::Given(DepositTerms {
                due: DepositTiming::BeforeMedicalReview,
                refund_pct: Some(0)
            })
        );
        assert_eq!(facts.reviews, Disclosed::Given(ReviewHosting::SelfHostedOnly));
        assert_eq!(Disclosures::from(&facts), all);

        let nothing = Disclosures::default();
        assert_eq!(nothing.facts(), engine::Disclosures::default());
        assert!(nothing.is_not_stated());
        assert_eq!(nothing.unknown_fields().count(), 4);
        let no_deposit = parse(json!({"deposit": {"due": "none"}}));
        assert_eq!(Disclosures::from(&no_deposit.facts()), no_deposit);
    }

    #[test]
    fn bad_values_are_named_by_pointer() {
        let bad = parse(json!({
            "protocol": {"status": "given"},
            "ethics_approval": {"status": "maybe"},
            "deposit": {"due": "none", "refund_pct": 50},
            "review_hosting": "trustpilot"
        }));
        let pointers: Vec<String> = errors(&bad).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            pointers,
            [
                "/disclosures/protocol/reference",
                "/disclosures/ethics_approval/status",
                "/disclosures/deposit/refund_pct",
                "/disclosures/review_hosting"
            ]
        );
        let out_of_range = parse(json!({"deposit": {"due": "after_medical_review", "refund_pct": 101}}));
        assert_eq!(errors(&out_of_range).len(), 1);
        for reference in [
            "http://clinic.example/protocol",
            "<a href=x>protocol</a>",
            " ",
            &"x".repeat(501),
        ] {
            let d = parse(json!({"protocol": {"status": "given", "reference": reference}}));
            assert_eq!(errors(&d).len(), 1, "{reference}");
        }
        let document = parse(
            json!({"ethics_approval": {"status": "given", "reference": "Ethics committee approval 2025-117"}}),
        );
        assert!(errors(&document).is_empty());
        assert!(serde_json::from_value::<Disclosures>(json!({"protocol_url": "x"})).is_err());
    }
}
