//! The moderation queue: clinics waiting in `pending_review`.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::clinics::model::Clinic;
use crate::db::schema::clinics;
use crate::states::ListingStatus;

/// Clinics waiting for a decision, oldest change first.
pub async fn pending_clinics(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Clinic>> {
    clinics::table
        .filter(clinics::status.eq(ListingStatus::PendingReview))
        .order(clinics::updated_at.asc())
        .select(Clinic::as_select())
        .load(conn)
        .await
}

/// Moves a clinic out of moderation to `status` with the moderator's note. `false` when the
/// clinic is not waiting for moderation.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: ListingStatus,
    reason: &str,
) -> QueryResult<bool> {
    let updated = diesel::update(
        clinics::table
            .find(id)
            .filter(clinics::status.eq(ListingStatus::PendingReview)),
    )
    .set((
        clinics::status.eq(status),
        clinics::moderation_note.eq(reason),
        clinics::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(updated > 0)
}

/// The partner owning a clinic, if any.
pub async fn clinic_owner(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Uuid>> {
    clinics::table
        .find(id)
        .select(clinics::partner_id)
        .first(conn)
        .await
}
