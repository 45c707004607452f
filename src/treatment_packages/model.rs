//! Database rows of `treatment_packages`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Numeric, Record, Text};
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

/// The SQL type of a clinic's cheapest published price as one record column (`price_min`,
/// `price_max`, `price_kind`, `currency`, `price_provenance`; see
/// [`cheapest_published_price`](crate::treatment_packages::repo::cheapest_published_price)).
pub type CheapestPriceSql = Record<(Numeric, Nullable<Numeric>, Text, Text, Text)>;

/// The price of a clinic's cheapest published package: all a clinic listing shows of it
/// (`price_from`). A page of clinics reads it as one column of its own statement.
#[derive(Debug, Clone)]
pub struct CheapestPrice {
    pub price_min: Decimal,
    pub price_max: Option<Decimal>,
    pub price_kind: String,
    pub currency: String,
    pub price_provenance: String,
}

impl FromSql<CheapestPriceSql, Pg> for CheapestPrice {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let (price_min, price_max, price_kind, currency, price_provenance) =
            <(Decimal, Option<Decimal>, String, String, String) as FromSql<CheapestPriceSql, Pg>>::from_sql(
                value,
            )?;
        Ok(Self {
            price_min,
            price_max,
            price_kind,
            currency,
            price_provenance,
        })
    }
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
