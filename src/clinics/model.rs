//! Database rows of `clinics` (never serialised to clients directly).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::clinics::present::Claim;
use crate::clinics::scoring::ScorePart;
use crate::db::json::JsonbOrDefault;
use crate::db::schema::clinics;
use crate::red_flags::disclosures::{deposit_timing_str, review_hosting_str};
use crate::red_flags::engine::{DepositTerms, DepositTiming, Disclosed, Disclosures, ReviewHosting};

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = clinics)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Clinic {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub country_code: String,
    pub city: Option<String>,
    pub ownership: Option<String>,
    pub specialty_scope: Option<String>,
    pub specialties: Vec<String>,
    pub years_experience: Option<i32>,
    pub years_experience_note: Option<String>,
    pub patients_per_year: Option<i32>,
    pub serves_adults: Option<bool>,
    pub serves_children: Option<bool>,
    pub min_age: Option<i32>,
    pub patient_origin_regions: Vec<String>,
    pub notable_technology: Vec<String>,
    pub description: String,
    /// The clinic's claims (`[{text, kind}]`); empty if the stored value is not that shape.
    #[diesel(deserialize_as = JsonbOrDefault<Vec<Claim>>)]
    pub claims: Vec<Claim>,
    pub conditions_treated: Vec<String>,
    pub stem_cell_indications: Vec<String>,
    pub accreditations: serde_json::Value,
    pub notes: Option<String>,
    pub source: serde_json::Value,
    pub promoted: bool,
    pub status: String,
    pub score: Decimal,
    #[diesel(deserialize_as = JsonbOrDefault<Vec<ScorePart>>)]
    pub score_parts: Vec<ScorePart>,
    pub price_from_usd: Option<Decimal>,
    pub condition_slugs: Vec<String>,
    pub cell_type_slugs: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The partner organisation that manages this listing, if any.
    pub partner_id: Option<Uuid>,
    pub version: i32,
    pub external_id: Option<String>,
    pub languages: Vec<String>,
    pub website: Option<String>,
    pub input_hash: Option<Vec<u8>>,
    pub moderation_note: Option<String>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// What `patients_per_year` counts: `stem_cell_treatment`, `all_care`, or null (not stated).
    pub patients_per_year_scope: Option<String>,
    /// The figure StemCare verified; `patients_per_year` is verified only while it equals this.
    pub patients_per_year_verified_value: Option<i32>,
    /// What the listing discloses about its protocol, ethics approval, deposit and reviews.
    #[diesel(embed)]
    pub disclosures: DisclosureColumns,
}

impl Clinic {
    /// The texts of the clinic's claims.
    pub fn claim_texts(&self) -> Vec<String> {
        self.claims.iter().map(|c| c.text.clone()).collect()
    }

    /// Accreditations whose `verified_at` is set.
    pub fn verified_accreditations(&self) -> usize {
        self.accreditations
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a.get("verified_at").is_some_and(|v| !v.is_null()))
            .count()
    }

    /// Names of accreditations claimed without verification.
    pub fn unverified_accreditations(&self) -> Vec<String> {
        self.accreditations
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a.get("verified_at").is_none_or(|v| v.is_null()))
            .filter_map(|a| a.get("body").and_then(|b| b.as_str()).map(str::to_owned))
            .collect()
    }
}

/// The columns public catalogue responses show or order by: all that `GET /v1/clinics` and
/// `GET /v1/clinics/{id}` load. Internal columns (moderation notes, partner and external ids,
/// input hashes, versions) never reach a public handler, and rows decode nine columns fewer.
#[derive(Debug, Default, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = clinics)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct PublicClinic {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub country_code: String,
    pub city: Option<String>,
    pub website: Option<String>,
    pub ownership: Option<String>,
    pub specialty_scope: Option<String>,
    pub specialties: Vec<String>,
    pub years_experience: Option<i32>,
    pub years_experience_note: Option<String>,
    pub patients_per_year: Option<i32>,
    pub serves_adults: Option<bool>,
    pub serves_children: Option<bool>,
    pub min_age: Option<i32>,
    pub patient_origin_regions: Vec<String>,
    pub languages: Vec<String>,
    pub notable_technology: Vec<String>,
    pub description: String,
    /// The clinic's claims (`[{text, kind}]`); empty if the stored value is not that shape.
    #[diesel(deserialize_as = JsonbOrDefault<Vec<Claim>>)]
    pub claims: Vec<Claim>,
    pub conditions_treated: Vec<String>,
    pub accreditations: serde_json::Value,
    pub notes: Option<String>,
    pub source: serde_json::Value,
    pub promoted: bool,
    pub score: Decimal,
    #[diesel(deserialize_as = JsonbOrDefault<Vec<ScorePart>>)]
    pub score_parts: Vec<ScorePart>,
    pub price_from_usd: Option<Decimal>,
    /// The listed price of the same cheapest published package (kept by `listings`).
    #[diesel(embed)]
    pub cheapest: CheapestPriceColumns,
    pub condition_slugs: Vec<String>,
    /// A critical red flag on the clinic or one of its published packages (kept by `listings`):
    /// the clinic is left out of default lists.
    pub has_critical_flag: bool,
    /// The clinic's texts about stem cell treatment raise an efficacy red flag (kept by `listings`).
    pub stem_cell_efficacy_claim: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the listing discloses about its protocol, ethics approval, deposit and reviews.
    #[diesel(embed)]
    pub disclosures: DisclosureColumns,
}

/// The disclosure columns of a clinic (migration `000910_listing_disclosures`), the inputs of the
/// rules `NO_PROTOCOL`, `NO_IRB_OR_REGULATOR`, `DEPOSIT_BEFORE_CONSULT` and
/// `REVIEWS_ONLY_SELF_HOSTED`. NULL means not stated; `*_disclosure` is `none` or `given`, and a
/// reference is stored exactly when it is `given`.
#[derive(
    Debug, Clone, Default, PartialEq, Queryable, QueryableByName, Selectable, Insertable, AsChangeset,
)]
#[diesel(table_name = clinics)]
#[diesel(check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_null = true)]
pub struct DisclosureColumns {
    pub protocol_disclosure: Option<String>,
    pub protocol_ref: Option<String>,
    pub ethics_disclosure: Option<String>,
    pub ethics_ref: Option<String>,
    /// `none`, `after_medical_review` or `before_medical_review`.
    pub deposit_due: Option<String>,
    /// 0–100, only with a deposit that is asked for.
    pub deposit_refund_pct: Option<i16>,
    /// `self_hosted_only`, `independent` or `no_reviews`.
    pub review_hosting: Option<String>,
}

impl DisclosureColumns {
    /// The columns of the engine's typed disclosures.
    pub fn of(facts: &Disclosures) -> Self {
        let reference = |fact: &Disclosed<String>| match fact {
            Disclosed::NotStated => (None, None),
            Disclosed::None => (Some("none".to_owned()), None),
            Disclosed::Given(reference) => (Some("given".to_owned()), Some(reference.clone())),
        };
        let (protocol_disclosure, protocol_ref) = reference(&facts.protocol);
        let (ethics_disclosure, ethics_ref) = reference(&facts.ethics_approval);
        let (deposit_due, deposit_refund_pct) = match &facts.deposit {
            Disclosed::NotStated => (None, None),
            Disclosed::None => (Some("none"), None),
            Disclosed::Given(terms) => (
                Some(deposit_timing_str(terms.due)),
                match terms.due {
                    DepositTiming::NoDeposit => None,
                    _ => terms.refund_pct.map(i16::from),
                },
            ),
        };
        Self {
            protocol_disclosure,
            protocol_ref,
            ethics_disclosure,
            ethics_ref,
            deposit_due: deposit_due.map(str::to_owned),
            deposit_refund_pct,
            review_hosting: match &facts.reviews {
                Disclosed::NotStated => None,
                Disclosed::None => Some("no_reviews".to_owned()),
                Disclosed::Given(hosting) => Some(review_hosting_str(*hosting).to_owned()),
            },
        }
    }

    /// The engine's typed disclosures (a value the columns' checks would refuse counts as not
    /// stated).
    pub fn facts(&self) -> Disclosures {
        let reference =
            |status: &Option<String>, reference: &Option<String>| match (status.as_deref(), reference) {
                (Some("none"), _) => Disclosed::None,
                (Some("given"), Some(reference)) => Disclosed::Given(reference.clone()),
                _ => Disclosed::NotStated,
            };
        let due = match self.deposit_due.as_deref() {
            Some("none") => Some(DepositTiming::NoDeposit),
            Some("after_medical_review") => Some(DepositTiming::AfterMedicalReview),
            Some("before_medical_review") => Some(DepositTiming::BeforeMedicalReview),
            _ => None,
        };
        Disclosures {
            protocol: reference(&self.protocol_disclosure, &self.protocol_ref),
            ethics_approval: reference(&self.ethics_disclosure, &self.ethics_ref),
            deposit: due.map_or(Disclosed::NotStated, |due| {
                Disclosed::Given(DepositTerms {
                    due,
                    refund_pct: self
                        .deposit_refund_pct
                        .and_then(|pct| u8::try_from(pct).ok())
                        .filter(|pct| *pct <= 100),
                })
            }),
            reviews: match self.review_hosting.as_deref() {
                Some("self_hosted_only") => Disclosed::Given(ReviewHosting::SelfHostedOnly),
                Some("independent") => Disclosed::Given(ReviewHosting::Independent),
                Some("no_reviews") => Disclosed::Given(ReviewHosting::NoReviews),
                _ => Disclosed::NotStated,
            },
        }
    }
}

/// The listed price of a clinic's cheapest published package (ties: lowest id), kept by `listings`
/// beside `price_from_usd` (migration 000600 of 2026-12-07) so a page of clinics shows
/// `price_from` without reading packages; all `None` when the clinic has no published package.
#[derive(Debug, Default, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = clinics)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct CheapestPriceColumns {
    #[diesel(column_name = price_from_min)]
    pub min: Option<Decimal>,
    #[diesel(column_name = price_from_max)]
    pub max: Option<Decimal>,
    #[diesel(column_name = price_from_kind)]
    pub kind: Option<String>,
    #[diesel(column_name = price_from_currency)]
    pub currency: Option<String>,
    #[diesel(column_name = price_from_provenance)]
    pub provenance: Option<String>,
}
