//! The wire shape of a clinic.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::clinics::model::PublicClinic;
use crate::clinics::scoring::ScorePart;
use crate::countries::regulatory::RegulatoryStatus;
use crate::red_flags::disclosures::Disclosures;
use crate::red_flags::RedFlag;
use crate::sparse_fields::{needs, FieldSet};
use crate::treatment_packages::present::{ConvertedPrice, PackagePrice};

/// Who the clinic treats; null means the source does not say.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgesServed {
    pub adults: Option<bool>,
    pub children: Option<bool>,
    /// Youngest age accepted, where stated.
    #[schema(example = 12)]
    pub min_age: Option<i32>,
}

/// A claim the clinic makes about itself, quoted, not verified.
#[derive(Debug, Clone, Serialize, ToSchema, serde::Deserialize)]
pub struct Claim {
    /// The claim verbatim.
    pub text: String,
    /// `marketing_claim`: the clinic's words, not a fact StemCare checked.
    #[schema(example = "marketing_claim")]
    pub kind: String,
    /// What the claim is about; only claims about another treatment are left out of
    /// `claims_beyond_evidence`.
    #[serde(default)]
    pub topic: ClaimTopic,
}

/// What a clinic's claim is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimTopic {
    /// It names stem cells or stem cell therapy.
    StemCellTreatment,
    /// It is only about named treatments that are not stem cell therapy (e.g. weight loss
    /// surgery, cosmetic procedures, equipment for them).
    OtherTreatment,
    /// It names no treatment (the clinic, its staff, patients or results in general). On a stem
    /// cell listing a patient may read it as being about stem cells, so it counts as such.
    #[default]
    Unspecified,
}

impl ClaimTopic {
    /// Whether the claim is read as being about stem cell treatment.
    pub fn about_stem_cells(self) -> bool {
        self != Self::OtherTreatment
    }
}

/// How the score was reached, so no ranking is a black box.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankExplanation {
    /// Total out of 100.
    #[schema(value_type = String, example = "50")]
    #[serde(with = "rust_decimal::serde::str")]
    pub score: Decimal,
    pub parts: Vec<ScorePart>,
    /// True only for paid placement; no seeded clinic is promoted.
    pub promoted: bool,
}

/// The cheapest published package price of the clinic.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceFrom {
    pub price: PackagePrice,
    pub price_provenance: String,
    pub converted_price: Option<ConvertedPrice>,
}

/// A clinic listing. Its red flags come first: a patient reads the warnings before the rest.
///
/// Every property is sent unless `fields=` asked for others (properties are optional only for that
/// reason; see docs/SPARSE_FIELDS.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClinicResponse {
    /// Most severe first; see `GET /v1/red-flag-rules` for every rule and its source.
    #[schema(required = false)]
    pub red_flags: Vec<RedFlag>,
    /// True when any red flag of the clinic itself is critical.
    #[schema(required = false)]
    pub has_critical_red_flags: bool,
    /// False when a critical red flag (on the clinic or one of its published packages) leaves it
    /// out of default lists and searches; `include_flagged=true` lists it.
    #[schema(required = false)]
    pub listed_by_default: bool,
    #[schema(required = false)]
    pub id: Uuid,
    #[schema(example = "id-clinic-bangkok")]
    #[schema(required = false)]
    pub slug: String,
    #[schema(example = "ID Clinic Bangkok")]
    #[schema(required = false)]
    pub name: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "TH")]
    #[schema(required = false)]
    pub country: String,
    #[schema(required = false)]
    pub city: Option<String>,
    /// The clinic's own website (an https URL), as its listing gives it; null when unknown.
    #[schema(format = "uri", example = "https://clinic.example")]
    #[schema(required = false)]
    pub website: Option<String>,
    /// `private` or `public`; null when unknown.
    #[schema(required = false)]
    pub ownership: Option<String>,
    /// `single` or `multi` specialty; null when unknown.
    #[schema(required = false)]
    pub specialty_scope: Option<String>,
    #[schema(required = false)]
    pub specialties: Vec<String>,
    #[schema(required = false)]
    pub years_experience: Option<i32>,
    /// The source's wording behind `years_experience` (e.g. "for over 20 years").
    #[schema(required = false)]
    pub years_experience_note: Option<String>,
    #[schema(required = false)]
    pub patients_per_year: Option<i32>,
    #[schema(required = false)]
    pub ages_served: AgesServed,
    #[schema(required = false)]
    pub patient_origin_regions: Vec<String>,
    /// Languages the clinic serves patients in (BCP 47 tags), as its listing gives them; empty
    /// when unknown.
    #[schema(example = json!(["en", "es-MX"]))]
    #[schema(required = false)]
    pub languages: Vec<String>,
    /// What the listing discloses about its treatment protocol, ethics committee or regulator
    /// approval, deposit and reviews, as the clinic states it (not verified by StemCare). Each
    /// field is null when not stated (and listed in `unknown_fields`).
    #[schema(required = false)]
    pub disclosures: Disclosures,
    #[schema(required = false)]
    pub notable_technology: Vec<String>,
    #[schema(required = false)]
    pub description: String,
    /// The clinic's own claims, quoted; see `red_flags` for the ones that match warning signs.
    #[schema(required = false)]
    pub claims: Vec<Claim>,
    /// Everything the source says the clinic treats.
    #[schema(required = false)]
    pub conditions_treated: Vec<String>,
    /// Condition slugs covered by its published packages.
    #[schema(required = false)]
    pub conditions: Vec<String>,
    /// Accreditations on record (empty: none known).
    #[schema(value_type = Vec<Object>)]
    #[schema(required = false)]
    pub accreditations: serde_json::Value,
    /// Regulatory status of stem cell therapy for back pain where the clinic is, as a sourced
    /// statement (`verified`, `claimed` or `unknown`), with the US FDA context for spine indications.
    #[schema(required = false)]
    pub regulatory_status: RegulatoryStatus,
    #[schema(required = false)]
    pub rank_explanation: RankExplanation,
    #[schema(required = false)]
    pub promoted: bool,
    #[schema(required = false)]
    pub price_from: Option<PriceFrom>,
    /// How fast the clinic answers quote requests; null until it has answered one.
    #[schema(required = false)]
    pub response_time: Option<ResponseTimeView>,
    /// Evidence summaries for the conditions in `conditions` (`GET /v1/evidence-summaries/{summary_id}`).
    #[schema(value_type = Vec<crate::evidence::EvidenceLink>)]
    #[schema(required = false)]
    pub evidence: Vec<std::sync::Arc<crate::evidence::EvidenceLink>>,
    /// True when this listing makes an efficacy claim about stem cell treatment (red flag
    /// `GUARANTEED_OUTCOME`, `OUTCOME_CLAIM_UNSOURCED` or `REGENERATE_AVOID_SURGERY` raised by its
    /// description or a claim not about another treatment, see `claims[].topic`) while no
    /// condition it lists has evidence of at least moderate certainty.
    #[schema(required = false)]
    pub claims_beyond_evidence: bool,
    /// Fields left null (or empty) because the source does not give them: unknown, not "no".
    #[schema(required = false)]
    pub unknown_fields: Vec<&'static str>,
    #[schema(required = false)]
    pub notes: Option<String>,
    #[schema(value_type = Object)]
    #[schema(required = false)]
    pub source: serde_json::Value,
    #[serde(serialize_with = "crate::json_time::timestamp")]
    #[schema(required = false)]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::json_time::timestamp")]
    #[schema(required = false)]
    pub updated_at: DateTime<Utc>,
}

/// How fast a clinic makes its first offer after a quote is shared with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseTimeView {
    /// Median hours from sharing to the first offer.
    #[schema(example = 6.5)]
    pub median_hours_to_first_offer: f64,
    /// Quotes it has answered.
    pub quotes_answered: i64,
}

/// The clinic's wire shape. Under `fields=` the parts no asked field needs (its unknown fields,
/// its disclosures) are left empty: they are dropped before serialisation anyway.
pub fn present(
    clinic: PublicClinic,
    red_flags: Vec<RedFlag>,
    price_from: Option<PriceFrom>,
    speed: Option<&crate::clinics::repo::ResponseTime>,
    regulatory_status: RegulatoryStatus,
    fields: Option<&FieldSet>,
) -> ClinicResponse {
    let disclosures = if needs(fields, &["disclosures", "unknown_fields"]) {
        Disclosures::from(&clinic.disclosures.facts())
    } else {
        Disclosures::default()
    };
    let unknown_fields = if needs(fields, &["unknown_fields"]) {
        unknown_fields(&clinic, &disclosures)
    } else {
        Vec::new()
    };
    ClinicResponse {
        has_critical_red_flags: red_flags.iter().any(|f| f.severity == "critical"),
        red_flags,
        listed_by_default: !clinic.has_critical_flag,
        regulatory_status,
        id: clinic.id,
        slug: clinic.slug,
        name: clinic.name,
        country: clinic.country_code,
        city: clinic.city,
        website: clinic.website,
        ownership: clinic.ownership,
        specialty_scope: clinic.specialty_scope,
        specialties: clinic.specialties,
        years_experience: clinic.years_experience,
        years_experience_note: clinic.years_experience_note,
        patients_per_year: clinic.patients_per_year,
        ages_served: AgesServed {
            adults: clinic.serves_adults,
            children: clinic.serves_children,
            min_age: clinic.min_age,
        },
        patient_origin_regions: clinic.patient_origin_regions,
        languages: clinic.languages,
        disclosures,
        notable_technology: clinic.notable_technology,
        description: clinic.description,
        claims: clinic.claims,
        conditions_treated: clinic.conditions_treated,
        conditions: clinic.condition_slugs,
        accreditations: clinic.accreditations,
        rank_explanation: RankExplanation {
            score: clinic.score.normalize(),
            parts: clinic.score_parts,
            promoted: clinic.promoted,
        },
        promoted: clinic.promoted,
        price_from,
        response_time: speed.map(|s| ResponseTimeView {
            median_hours_to_first_offer: (s.hours * 10.0).round() / 10.0,
            quotes_answered: s.answered,
        }),
        evidence: Vec::new(),
        claims_beyond_evidence: false,
        unknown_fields,
        notes: clinic.notes,
        source: clinic.source,
        created_at: clinic.created_at,
        updated_at: clinic.updated_at,
    }
}

/// The fields of a clinic left null or empty because its source does not give them.
fn unknown_fields(clinic: &PublicClinic, disclosures: &Disclosures) -> Vec<&'static str> {
    [
        ("city", clinic.city.is_none()),
        ("website", clinic.website.is_none()),
        ("ownership", clinic.ownership.is_none()),
        ("specialty_scope", clinic.specialty_scope.is_none()),
        ("years_experience", clinic.years_experience.is_none()),
        ("patients_per_year", clinic.patients_per_year.is_none()),
        ("ages_served.adults", clinic.serves_adults.is_none()),
        ("ages_served.children", clinic.serves_children.is_none()),
        ("ages_served.min_age", clinic.min_age.is_none()),
        ("languages", clinic.languages.is_empty()),
        (
            "accreditations",
            clinic.accreditations.as_array().is_none_or(|a| a.is_empty()),
        ),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .chain(disclosures.unknown_fields())
    .collect()
}
