//! Rows of `practitioners` (never serialised to clients directly).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::json::JsonbOrDefault;
use crate::db::schema::practitioners;
use crate::red_flags::verified::PractitionerRole;
use crate::red_flags::RedFlag;
use crate::states::ListingStatus;

/// One practitioner.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = practitioners)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Practitioner {
    pub id: Uuid,
    pub clinic_id: Uuid,
    pub name: String,
    pub role: PractitionerRole,
    pub specialty: Option<String>,
    pub licence_number: Option<String>,
    pub licence_issuer: Option<String>,
    pub licence_country: Option<String>,
    pub languages: Vec<String>,
    pub status: ListingStatus,
    /// The red flags raised on its free text at the last write.
    #[diesel(deserialize_as = JsonbOrDefault<Vec<RedFlag>>)]
    pub red_flags: Vec<RedFlag>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The writable columns, for inserts and updates.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = practitioners)]
#[diesel(treat_none_as_null = true)]
pub struct PractitionerValues<'a> {
    pub name: &'a str,
    pub role: PractitionerRole,
    pub specialty: Option<&'a str>,
    pub licence_number: Option<&'a str>,
    pub licence_issuer: Option<&'a str>,
    pub licence_country: Option<&'a str>,
    pub languages: &'a [String],
    pub status: ListingStatus,
    pub red_flags: serde_json::Value,
    pub updated_at: DateTime<Utc>,
}
