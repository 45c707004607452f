//! The pass after every change: red flags and score recomputed, then what is public decided.

use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::clinics;
use crate::states::ListingStatus;

const FLAGGED_COUNT: &str = "
SELECT count(*) AS n FROM red_flag_detections d
WHERE d.severity IN ('warn', 'critical') AND NOT (d.code = ANY($3))
  AND (d.subject_id = $1 OR d.subject_id IN (SELECT id FROM treatment_packages WHERE clinic_id = $1 AND status = $2))";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Re-runs the red-flag rules and the score, then decides visibility: a listing with a warning or
/// critical flag (other than the record-based ones, `RECORD_BASED_CODES`) waits in moderation (`pending_review`); a clean one is published. Returns the status.
pub async fn after_change(
    conn: &mut AsyncPgConnection,
    book: &crate::red_flags::engine::RuleBook,
    clinic_id: Uuid,
) -> QueryResult<ListingStatus> {
    // NCT ids the listing cites are queued for a registry check; its registry flags count below.
    crate::trial_registry::note_clinic(conn, book, clinic_id).await?;
    crate::listings::refresh_clinic(conn, book, clinic_id).await?;
    let flagged: Count = diesel::sql_query(FLAGGED_COUNT)
        .bind::<SqlUuid, _>(clinic_id)
        .bind::<Text, _>(ListingStatus::Published)
        // Raised by what StemCare has not verified yet, not by what the partner wrote.
        .bind::<diesel::sql_types::Array<Text>, _>(crate::red_flags::engine::RECORD_BASED_CODES)
        .get_result(conn)
        .await?;
    let status = if flagged.n > 0 {
        ListingStatus::PendingReview
    } else {
        ListingStatus::Published
    };
    diesel::sql_query(
        "UPDATE clinics SET status = $2 WHERE id = $1 AND deleted_at IS NULL AND status IS DISTINCT FROM $2",
    )
    .bind::<SqlUuid, _>(clinic_id)
    .bind::<Text, _>(status)
    .execute(conn)
    .await?;
    clinics::table
        .find(clinic_id)
        .select(clinics::status)
        .first(conn)
        .await
}
