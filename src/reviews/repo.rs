//! Every statement on the review tables, and the few reads of quotes, treatment records and
//! clinics that reviews need.
//!
//! Those reads are written here rather than called through the quotes, treatments and clinics
//! repositories on purpose: clinic detail shows [`summary_for_clinic`], so `clinics` imports
//! `reviews`, and `quotes` (whose erasure deletes a review) imports it too. Importing any of them
//! back would close an import cycle (docs/CONVENTIONS.md §1), so `reviews` stays below them and
//! reads the handful of columns it needs itself (read-only).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{clinics, review_replies, review_revisions, reviews};
use crate::error::{ApiError, ProblemKind};
use crate::ids::{ClinicId, PartnerId, QuoteId, ReviewId};
use crate::reviews::dto::{ReviewResponse, ReviewSummary};
use crate::reviews::model::{Reply, Review, Revision};
use crate::states::{ListingStatus, QuoteStatus};

/// A review with its reply, if the clinic wrote one.
pub type ReviewWithReply = (Review, Option<Reply>);

#[derive(QueryableByName)]
struct FactsRow {
    #[diesel(sql_type = Bool)]
    treated: bool,
    #[diesel(sql_type = Bool)]
    erased: bool,
    #[diesel(sql_type = Nullable<Date>)]
    treated_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    clinic_id: Option<uuid::Uuid>,
}

/// What reviewing depends on: whether the quote is treated or erased, the treatment date and
/// the clinic that treated. `None` when the quote does not exist.
pub struct QuoteFacts {
    pub treated: bool,
    pub erased: bool,
    pub treated_on: Option<NaiveDate>,
    pub clinic_id: Option<ClinicId>,
}

const FACTS: &str =
    "SELECT q.status = $2 AS treated, q.erased_at IS NOT NULL AS erased, t.treated_on, t.clinic_id \
     FROM quotes q LEFT JOIN treatment_records t ON t.quote_id = q.id WHERE q.id = $1";

pub async fn quote_facts(conn: &mut AsyncPgConnection, quote_id: QuoteId) -> QueryResult<Option<QuoteFacts>> {
    let row: Option<FactsRow> = crate::db::sql::prepared(
        diesel::sql_query(FACTS)
            .bind::<SqlUuid, _>(quote_id)
            .bind::<Text, _>(QuoteStatus::Treated),
    )
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| QuoteFacts {
        treated: r.treated,
        erased: r.erased,
        treated_on: r.treated_on,
        clinic_id: r.clinic_id.map(ClinicId),
    }))
}

/// A unique violation of `constraint` as a 409 with `detail` (a second review of a quote, a
/// second reply to a review); any other error as usual.
pub fn conflict_on(
    constraint: &'static str,
    detail: &'static str,
) -> impl Fn(diesel::result::Error) -> ApiError {
    move |error| match &error {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some(constraint) =>
        {
            ApiError::new(ProblemKind::Conflict, detail)
        }
        _ => error.into(),
    }
}

/// Inserts a review; a second review of the same quote violates `reviews_quote_key`.
pub async fn insert_review(conn: &mut AsyncPgConnection, review: &Review) -> QueryResult<()> {
    diesel::insert_into(reviews::table)
        .values(review.clone())
        .execute(conn)
        .await
        .map(drop)
}

/// The review of a quote, locked for an edit when `for_update`.
pub async fn find_by_quote(
    conn: &mut AsyncPgConnection,
    quote_id: QuoteId,
    for_update: bool,
) -> QueryResult<Option<Review>> {
    let query = reviews::table
        .filter(reviews::quote_id.eq(quote_id))
        .select(Review::as_select());
    if for_update {
        query.for_update().first(conn).await.optional()
    } else {
        query.first(conn).await.optional()
    }
}

/// A review by id.
pub async fn find(conn: &mut AsyncPgConnection, id: ReviewId) -> QueryResult<Option<Review>> {
    reviews::table
        .find(id)
        .select(Review::as_select())
        .first(conn)
        .await
        .optional()
}

/// Replaces a review's rating, text and flags, keeping the replaced version as `revision`.
pub async fn edit_review(
    conn: &mut AsyncPgConnection,
    revised: &Review,
    revision: Revision,
) -> QueryResult<()> {
    diesel::insert_into(review_revisions::table)
        .values(revision)
        .execute(conn)
        .await?;
    diesel::update(reviews::table.find(revised.id))
        .set((
            reviews::rating.eq(revised.rating),
            reviews::body.eq(&revised.body),
            reviews::red_flags.eq(&revised.red_flags),
            reviews::edited_at.eq(revised.edited_at),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// A review's earlier versions, oldest first.
pub async fn revisions_of(conn: &mut AsyncPgConnection, id: ReviewId) -> QueryResult<Vec<Revision>> {
    review_revisions::table
        .filter(review_revisions::review_id.eq(id))
        .order(review_revisions::replaced_at.asc())
        .select(Revision::as_select())
        .load(conn)
        .await
}

/// Erasure: deletes the quote's review, its revisions and its reply (both cascade). Returns
/// how many reviews were deleted (0 or 1).
pub async fn erase_for_quote(conn: &mut AsyncPgConnection, quote_id: QuoteId) -> QueryResult<usize> {
    diesel::delete(reviews::table.filter(reviews::quote_id.eq(quote_id)))
        .execute(conn)
        .await
}

/// Inserts the clinic's reply; a second reply violates the primary key `review_replies_pkey`.
pub async fn insert_reply(conn: &mut AsyncPgConnection, reply: &Reply) -> QueryResult<()> {
    diesel::insert_into(review_replies::table)
        .values(reply.clone())
        .execute(conn)
        .await
        .map(drop)
}

/// The reply to a review, if any.
pub async fn reply_to(conn: &mut AsyncPgConnection, id: ReviewId) -> QueryResult<Option<Reply>> {
    review_replies::table
        .find(id)
        .select(Reply::as_select())
        .first(conn)
        .await
        .optional()
}

/// Whether `partner_id` owns the (not deleted) clinic.
pub async fn partner_owns_clinic(
    conn: &mut AsyncPgConnection,
    partner_id: PartnerId,
    clinic_id: ClinicId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        clinics::table
            .find(clinic_id.uuid())
            .filter(clinics::partner_id.eq(partner_id.uuid()))
            .filter(clinics::deleted_at.is_null()),
    ))
    .get_result(conn)
    .await
}

/// The partner that owns a clinic, who hears of its reviews.
pub async fn clinic_partner(
    conn: &mut AsyncPgConnection,
    clinic_id: ClinicId,
) -> QueryResult<Option<PartnerId>> {
    let partner: Option<Option<uuid::Uuid>> = clinics::table
        .find(clinic_id.uuid())
        .select(clinics::partner_id)
        .first(conn)
        .await
        .optional()?;
    Ok(partner.flatten().map(PartnerId))
}

/// Whether the clinic is publicly listed (its reviews are public exactly when it is).
pub async fn clinic_is_listed(conn: &mut &AsyncPgConnection, clinic_id: ClinicId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        clinics::table
            .find(clinic_id.uuid())
            .filter(clinics::status.eq(ListingStatus::Published))
            .filter(clinics::deleted_at.is_null()),
    ))
    .get_result(conn)
    .await
}

/// One page of a clinic's reviews with their replies, newest first, after the keyset position
/// `after` (the last item's `created_at` and id); `limit` rows at most.
pub async fn page_for_clinic(
    conn: &mut &AsyncPgConnection,
    clinic_id: ClinicId,
    after: Option<(DateTime<Utc>, ReviewId)>,
    limit: i64,
) -> QueryResult<Vec<ReviewWithReply>> {
    let mut query = reviews::table
        .left_join(review_replies::table)
        .filter(reviews::clinic_id.eq(clinic_id))
        .select((Review::as_select(), Option::<Reply>::as_select()))
        .order((reviews::created_at.desc(), reviews::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            reviews::created_at
                .lt(at)
                .or(reviews::created_at.eq(at).and(reviews::id.lt(id))),
        );
    }
    query.load(conn).await
}

/// How many reviews a clinic has with each rating, as (rating, count).
pub async fn rating_counts(
    conn: &mut &AsyncPgConnection,
    clinic_id: ClinicId,
) -> QueryResult<Vec<(i16, i64)>> {
    reviews::table
        .filter(reviews::clinic_id.eq(clinic_id))
        .group_by(reviews::rating)
        .select((reviews::rating, count_star()))
        .load(conn)
        .await
}

/// How many latest reviews the summary carries.
pub const SUMMARY_LATEST: i64 = 3;

/// For clinic detail: the number of reviews, their distribution over 1–5 stars and the latest
/// [`SUMMARY_LATEST`], as one wire value. Takes a shared reference so it can be pipelined with
/// the detail's other reads (`let (mut a, mut b) = (&*conn, &*conn)`).
pub async fn summary_for_clinic(
    conn: &mut &AsyncPgConnection,
    clinic_id: ClinicId,
) -> QueryResult<ReviewSummary> {
    let (mut counts_conn, mut latest_conn) = (*conn, *conn);
    let (counts, latest) = futures_util::future::try_join(
        rating_counts(&mut counts_conn, clinic_id),
        page_for_clinic(&mut latest_conn, clinic_id, None, SUMMARY_LATEST),
    )
    .await?;
    Ok(ReviewSummary::new(
        &counts,
        latest.iter().map(ReviewResponse::from_rows).collect(),
    ))
}
