//! Database rows of quotes and offers.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::schema::{offers, quotes};
use crate::quotes::domain::{OfferStatus, QuoteStatus};

/// A quote row. Personal data is only present as ciphertext.
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = quotes)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Quote {
    pub id: Uuid,
    pub status: QuoteStatus,
    pub condition_slug: String,
    pub has_mri: bool,
    pub preferred_countries: Vec<String>,
    pub preferred_cell_types: Vec<String>,
    pub budget_amount: Option<Decimal>,
    pub budget_currency: Option<String>,
    pub travel_from: Option<NaiveDate>,
    pub travel_to: Option<NaiveDate>,
    pub patient_country: Option<String>,
    pub preferred_language: Option<String>,
    pub contact_ciphertext: Option<Vec<u8>>,
    pub notes_ciphertext: Option<Vec<u8>>,
    pub share_mode: String,
    pub estimates: serde_json::Value,
    pub accepted_offer_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An offer row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = offers)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Offer {
    pub id: Uuid,
    pub quote_id: Uuid,
    pub clinic_id: Uuid,
    pub author_key_id: Uuid,
    pub package_id: Option<Uuid>,
    pub line_items: serde_json::Value,
    pub total: Decimal,
    pub currency: String,
    pub injections: Option<i32>,
    pub cell_type: Option<String>,
    pub cell_source: Option<String>,
    pub exclusions: Vec<String>,
    pub price_change_conditions: Option<String>,
    pub max_increase_percent: Decimal,
    pub deposit: serde_json::Value,
    pub refund_policy: serde_json::Value,
    pub outcome_guarantee: Option<String>,
    pub valid_until: DateTime<Utc>,
    pub notes: Option<String>,
    pub red_flags: serde_json::Value,
    pub status: OfferStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
