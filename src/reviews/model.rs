//! Database rows of reviews, their earlier versions and clinics' replies.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::schema::{review_replies, review_revisions, reviews};
use crate::ids::{ClinicId, PartnerId, QuoteId, ReviewId};

/// A published review. `quote_id` links it to a person: it never leaves the API's private side.
#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reviews)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Review {
    pub id: ReviewId,
    pub quote_id: QuoteId,
    pub clinic_id: ClinicId,
    pub rating: i16,
    pub body: String,
    pub treated_month: NaiveDate,
    /// The red flags the text raised (the wire shape of `red_flags::RedFlag`).
    pub red_flags: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

/// A version of a review that an edit replaced; its text is encrypted (it is no longer published).
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = review_revisions)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Revision {
    pub id: uuid::Uuid,
    pub review_id: ReviewId,
    pub rating: i16,
    pub body_ciphertext: Vec<u8>,
    pub written_at: DateTime<Utc>,
    pub replaced_at: DateTime<Utc>,
}

/// The clinic's one reply to a review.
#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = review_replies)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Reply {
    pub review_id: ReviewId,
    pub partner_id: PartnerId,
    pub body: String,
    pub red_flags: serde_json::Value,
    pub created_at: DateTime<Utc>,
}
