//! Every statement on `practitioners`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::practitioners;
use crate::practitioners::model::{Practitioner, PractitionerValues};
use crate::states::ListingStatus;

/// The practitioners of a clinic (not deleted), oldest first.
pub async fn of_clinic(conn: &mut AsyncPgConnection, clinic_id: Uuid) -> QueryResult<Vec<Practitioner>> {
    practitioners::table
        .filter(practitioners::clinic_id.eq(clinic_id))
        .filter(practitioners::deleted_at.is_null())
        .order((practitioners::created_at, practitioners::id))
        .select(Practitioner::as_select())
        .load(conn)
        .await
}

/// The practitioners of a clinic the public sees (published, not deleted), oldest first. Takes a
/// shared connection, so clinic detail can pipeline it with its other reads
/// (`let (mut a, mut b) = (&*conn, &*conn)`).
pub async fn published_of_clinic(
    conn: &mut &AsyncPgConnection,
    clinic_id: Uuid,
) -> QueryResult<Vec<Practitioner>> {
    practitioners::table
        .filter(practitioners::clinic_id.eq(clinic_id))
        .filter(practitioners::deleted_at.is_null())
        .filter(practitioners::status.eq(ListingStatus::Published))
        .order((practitioners::created_at, practitioners::id))
        .select(Practitioner::as_select())
        .load(conn)
        .await
}

/// One practitioner of a clinic (not deleted).
pub async fn find(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<Practitioner>> {
    practitioners::table
        .find(id)
        .filter(practitioners::clinic_id.eq(clinic_id))
        .filter(practitioners::deleted_at.is_null())
        .select(Practitioner::as_select())
        .first(conn)
        .await
        .optional()
}

/// Adds a practitioner to a clinic.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
    values: &PractitionerValues<'_>,
    now: DateTime<Utc>,
) -> QueryResult<Practitioner> {
    diesel::insert_into(practitioners::table)
        .values((
            values,
            practitioners::clinic_id.eq(clinic_id),
            practitioners::created_at.eq(now),
        ))
        .returning(Practitioner::as_returning())
        .get_result(conn)
        .await
}

/// Replaces the writable fields if the version is still `version`; `None` when another write won.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    version: i32,
    values: &PractitionerValues<'_>,
) -> QueryResult<Option<Practitioner>> {
    diesel::update(
        practitioners::table
            .filter(practitioners::id.eq(id))
            .filter(practitioners::version.eq(version))
            .filter(practitioners::deleted_at.is_null()),
    )
    .set((values, practitioners::version.eq(version + 1)))
    .returning(Practitioner::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// Removes a practitioner from the clinic (soft delete: verification records keep their subject).
/// `false` when another write won.
pub async fn soft_delete(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    version: i32,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let n = diesel::update(
        practitioners::table
            .filter(practitioners::id.eq(id))
            .filter(practitioners::version.eq(version))
            .filter(practitioners::deleted_at.is_null()),
    )
    .set((
        practitioners::deleted_at.eq(now),
        practitioners::updated_at.eq(now),
        practitioners::version.eq(version + 1),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}
