//! The admin endpoints' request and response types and their schemas.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A listing waiting for moderation.
#[derive(Serialize, ToSchema)]
pub struct ModerationItem {
    pub clinic_id: Uuid,
    pub name: String,
    pub partner_id: Option<Uuid>,
    pub status: String,
    /// The flags that sent it to moderation.
    pub red_flags: Vec<crate::red_flags::RedFlag>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A moderation decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationDecision {
    /// `approve` (publish, flags stay visible) or `reject`.
    #[schema(example = "approve", max_length = 7, pattern = "^(approve|reject)$")]
    pub decision: String,
    /// Why (1–1,000 characters); shown to the partner.
    #[schema(
        example = "Claims rephrased after review; remaining flags are informational.",
        min_length = 1,
        max_length = 1000,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: String,
}

/// A new exchange rate.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRateInput {
    /// Units of the currency per 1 USD: more than 0, below 1,000,000,000,000, at most 12 decimals.
    #[schema(value_type = String, example = "0.92", max_length = 25, pattern = r"^[0-9]{1,12}(\.[0-9]{1,12})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub units_per_usd: Decimal,
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    /// Where the rate comes from: `{title, url, section, retrieved_at}`.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
}

/// A partner organisation.
#[derive(Serialize, ToSchema)]
pub struct PartnerResponse {
    pub id: Uuid,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A new partner and the clinics it manages.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    /// The organisation's name (1–200 characters, not only spaces).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// Slugs of existing clinics it manages (at most 100).
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::items::Slug>, inline, max_items = 100)]
    pub clinic_slugs: Vec<String>,
}

/// A new API key.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyInput {
    /// `admin`, `coordinator` or `partner`.
    #[schema(max_length = 11, pattern = "^(admin|coordinator|partner)$")]
    pub role: String,
    /// Required for partner keys.
    pub partner_id: Option<Uuid>,
    /// A label for your own records (at most 100 characters).
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
}

/// An API key (never its secret, except once at creation).
#[derive(Serialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: Uuid,
    /// The visible start of the key.
    pub prefix: String,
    pub role: String,
    pub partner_id: Option<Uuid>,
    pub name: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The full key, present only in the creation response.
    pub secret: Option<String>,
}

/// One audit entry.
#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_key_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub quote_id: Option<Uuid>,
    pub subject: Option<String>,
    pub request_id: Option<String>,
}
