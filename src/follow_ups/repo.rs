//! Every statement on the follow-up tables: responses (answers stored encrypted), announcements
//! and registry consents; and the one read of the accepted quote the schedule starts from.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{
    clinics, follow_up_announcements, follow_up_responses, offers, quotes, registry_consents,
};
use crate::follow_ups::domain::{ResponseState, TimePoint};

/// What the schedule and the registry need of an accepted quote: its condition, when the offer
/// was accepted, and the accepting clinic with its country.
pub struct AcceptedQuote {
    pub quote_id: Uuid,
    pub condition_slug: String,
    /// The day the offer was accepted (the accepted offer's last change is its acceptance).
    pub accepted_on: NaiveDate,
    pub clinic_id: Uuid,
    pub country_code: String,
    pub erased: bool,
}

type AcceptedRow = (Uuid, String, DateTime<Utc>, Uuid, String, Option<DateTime<Utc>>);

fn accepted(row: AcceptedRow) -> AcceptedQuote {
    let (quote_id, condition_slug, accepted_at, clinic_id, country_code, erased_at) = row;
    AcceptedQuote {
        quote_id,
        condition_slug,
        accepted_on: accepted_at.date_naive(),
        clinic_id,
        country_code,
        erased: erased_at.is_some(),
    }
}

// A read across quotes, offers and clinics in one statement: the schedule needs all three, and
// the worker runs it for every accepted quote.
macro_rules! accepted_quotes {
    () => {
        quotes::table
            .inner_join(offers::table.on(offers::id.nullable().eq(quotes::accepted_offer_id)))
            .inner_join(clinics::table.on(clinics::id.eq(offers::clinic_id)))
            .select((
                quotes::id,
                quotes::condition_slug,
                offers::updated_at,
                offers::clinic_id,
                clinics::country_code,
                quotes::erased_at,
            ))
    };
}

/// The quote, if it has an accepted offer.
pub async fn accepted_quote(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
) -> QueryResult<Option<AcceptedQuote>> {
    let row: Option<AcceptedRow> = accepted_quotes!()
        .filter(quotes::id.eq(quote_id))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(accepted))
}

/// Accepted quotes that were not erased, after `after` in id order, at most `limit` (the worker
/// walks them in batches).
pub async fn accepted_quotes_after(
    conn: &mut AsyncPgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<AcceptedQuote>> {
    let mut query = accepted_quotes!()
        .filter(quotes::erased_at.is_null())
        .order(quotes::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(quotes::id.gt(after));
    }
    let rows: Vec<AcceptedRow> = query.load(conn).await?;
    Ok(rows.into_iter().map(accepted).collect())
}

/// A stored response: the answer only as ciphertext.
#[derive(Queryable, Selectable)]
#[diesel(table_name = follow_up_responses)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ResponseRow {
    pub time_point: TimePoint,
    pub state: ResponseState,
    pub answer_ciphertext: Option<Vec<u8>>,
    pub responded_at: DateTime<Utc>,
}

/// The quote's responses.
pub async fn responses(conn: &mut AsyncPgConnection, quote_id: Uuid) -> QueryResult<Vec<ResponseRow>> {
    follow_up_responses::table
        .filter(follow_up_responses::quote_id.eq(quote_id))
        .select(ResponseRow::as_select())
        .load(conn)
        .await
}

/// Stores (or replaces) the response of a time point: an answer's ciphertext, or a skip (`None`).
pub async fn put_response(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    time_point: TimePoint,
    answer_ciphertext: Option<&[u8]>,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    let state = if answer_ciphertext.is_some() {
        ResponseState::Answered
    } else {
        ResponseState::Skipped
    };
    diesel::insert_into(follow_up_responses::table)
        .values((
            follow_up_responses::quote_id.eq(quote_id),
            follow_up_responses::time_point.eq(time_point),
            follow_up_responses::state.eq(state),
            follow_up_responses::answer_ciphertext.eq(answer_ciphertext),
            follow_up_responses::responded_at.eq(at),
        ))
        .on_conflict((follow_up_responses::quote_id, follow_up_responses::time_point))
        .do_update()
        .set((
            follow_up_responses::state.eq(excluded(follow_up_responses::state)),
            follow_up_responses::answer_ciphertext.eq(excluded(follow_up_responses::answer_ciphertext)),
            follow_up_responses::responded_at.eq(excluded(follow_up_responses::responded_at)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the patient currently consents to the registry.
pub async fn has_registry_consent(conn: &mut AsyncPgConnection, quote_id: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(registry_consents::table.find(quote_id)))
        .get_result(conn)
        .await
}

/// Grants (`Some(at)`) or withdraws (`None`) the registry consent.
pub async fn set_registry_consent(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    granted_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    match granted_at {
        Some(at) => {
            diesel::insert_into(registry_consents::table)
                .values((
                    registry_consents::quote_id.eq(quote_id),
                    registry_consents::granted_at.eq(at),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
        None => {
            diesel::delete(registry_consents::table.find(quote_id))
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// Records that a time point was announced; false when it already was (by this or another
/// instance), so the event is written once.
pub async fn claim_announcement(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    time_point: TimePoint,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(follow_up_announcements::table)
        .values((
            follow_up_announcements::quote_id.eq(quote_id),
            follow_up_announcements::time_point.eq(time_point),
            follow_up_announcements::announced_at.eq(at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Links an announcement to its outbox event.
pub async fn set_announcement_event(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    time_point: TimePoint,
    event_id: Uuid,
) -> QueryResult<()> {
    diesel::update(follow_up_announcements::table.find((quote_id, time_point)))
        .set(follow_up_announcements::event_id.eq(event_id))
        .execute(conn)
        .await?;
    Ok(())
}

/// The time points already announced for the quote.
pub async fn announced(conn: &mut AsyncPgConnection, quote_id: Uuid) -> QueryResult<Vec<TimePoint>> {
    follow_up_announcements::table
        .filter(follow_up_announcements::quote_id.eq(quote_id))
        .select(follow_up_announcements::time_point)
        .load(conn)
        .await
}

/// Erasure: deletes the patient's answers and registry consent (announcements hold ids only).
pub async fn erase(conn: &mut AsyncPgConnection, quote_id: Uuid) -> QueryResult<()> {
    diesel::delete(follow_up_responses::table.filter(follow_up_responses::quote_id.eq(quote_id)))
        .execute(conn)
        .await?;
    diesel::delete(registry_consents::table.find(quote_id))
        .execute(conn)
        .await?;
    Ok(())
}
