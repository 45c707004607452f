//! Database rows of `treatment_packages`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::schema::treatment_packages;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = treatment_packages)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct TreatmentPackage {
    pub id: Uuid,
    pub slug: String,
    pub clinic_id: Uuid,
    pub title: String,
    pub conditions: Vec<String>,
    pub cell_type: Option<String>,
    pub cell_source: Option<String>,
    pub administration_method: Option<String>,
    pub injections: Option<i32>,
    pub price_min: Decimal,
    pub price_max: Option<Decimal>,
    pub price_kind: String,
    pub currency: String,
    pub price_basis: String,
    pub price_provenance: String,
    pub price_as_of: NaiveDate,
    pub price_date_note: Option<String>,
    pub price_source: serde_json::Value,
    pub inclusions: Vec<String>,
    pub exclusions: Vec<String>,
    pub unknown_items: Vec<String>,
    pub add_ons: serde_json::Value,
    pub source: serde_json::Value,
    pub status: String,
    pub price_min_usd: Decimal,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub protocol_url: Option<String>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// The clinic's country (copied by a trigger, for indexed country filters).
    pub country_code: String,
    /// The maximum price in USD at the current rate, when there is a maximum.
    pub price_max_usd: Option<Decimal>,
    /// A critical red flag on the package or its clinic (kept by `listings`): the package is left
    /// out of default lists and quote estimates.
    pub has_critical_flag: bool,
}

impl TreatmentPackage {
    /// True when the clinic itself set this price (not StemCare's regional estimate).
    pub fn priced_by_clinic(&self) -> bool {
        self.price_provenance != "regional_indicative"
    }

    /// True when the exclusions were stated: clinics must send an explicit list with every package
    /// they price; for StemCare's regional estimates only a fully classified vocabulary counts.
    pub fn exclusions_stated(&self) -> bool {
        self.priced_by_clinic() || self.unknown_items.is_empty()
    }
}
