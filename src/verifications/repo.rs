//! Every statement on `verifications` and `verification_expiries`, and the look-ups that resolve a
//! subject (a practitioner's licence, a clinic's accreditation or trial claim) to its clinic.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{clinics, practitioners, verifications};
use crate::db::sql::{Bind, SqlBuilder};
use crate::red_flags::verified::{accreditation_key, licence_key, SubjectKind, VerificationResult};
use crate::verifications::domain::SubjectRef;
use crate::verifications::model::{NewVerificationRow, Verification};

/// A practitioner's clinic and licence (number, issuing body, country).
type LicenceRow = (Uuid, Option<String>, Option<String>, Option<String>);

/// What a subject resolved to.
pub enum Resolution {
    /// The subject exists: its clinic and the key of the claim as it stands now.
    Found { clinic_id: Uuid, subject_key: String },
    /// No such practitioner or clinic (or it was deleted).
    Missing,
    /// The practitioner has no licence number to check.
    NoLicence,
    /// The clinic claims no accreditation by this body.
    NotClaimed,
}

/// Looks the subject up: the practitioner (not deleted) with its licence, or the clinic (not
/// deleted) with its claimed accreditations. Reads `practitioners` directly: the `practitioners`
/// resource sits above this one (it shows verifications), so it cannot be called from here.
pub async fn resolve(conn: &mut AsyncPgConnection, subject: &SubjectRef) -> QueryResult<Resolution> {
    match subject {
        SubjectRef::Licence { practitioner_id } => {
            let row: Option<LicenceRow> = practitioners::table
                .filter(practitioners::id.eq(practitioner_id))
                .filter(practitioners::deleted_at.is_null())
                .select((
                    practitioners::clinic_id,
                    practitioners::licence_number,
                    practitioners::licence_issuer,
                    practitioners::licence_country,
                ))
                .first(conn)
                .await
                .optional()?;
            Ok(match row {
                None => Resolution::Missing,
                Some((_, None, _, _)) => Resolution::NoLicence,
                Some((clinic_id, number, issuer, country)) => Resolution::Found {
                    clinic_id,
                    subject_key: licence_key(number.as_deref(), issuer.as_deref(), country.as_deref()),
                },
            })
        }
        SubjectRef::Accreditation { clinic_id, body } => {
            let Some(claimed) = clinic_accreditations(conn, *clinic_id).await? else {
                return Ok(Resolution::Missing);
            };
            let bodies = claimed
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.get("body").and_then(|b| b.as_str()))
                .map(accreditation_key)
                .collect::<Vec<_>>();
            Ok(if bodies.contains(body) {
                Resolution::Found {
                    clinic_id: *clinic_id,
                    subject_key: body.clone(),
                }
            } else {
                Resolution::NotClaimed
            })
        }
        SubjectRef::Trial { clinic_id, nct_id } => {
            Ok(match clinic_accreditations(conn, *clinic_id).await? {
                Some(_) => Resolution::Found {
                    clinic_id: *clinic_id,
                    subject_key: nct_id.clone(),
                },
                None => Resolution::Missing,
            })
        }
    }
}

/// The claimed accreditations of a clinic that is not deleted.
async fn clinic_accreditations(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
) -> QueryResult<Option<serde_json::Value>> {
    clinics::table
        .filter(clinics::id.eq(clinic_id))
        .filter(clinics::deleted_at.is_null())
        .select(clinics::accreditations)
        .first(conn)
        .await
        .optional()
}

/// Appends a record.
pub async fn insert(conn: &mut AsyncPgConnection, row: &NewVerificationRow<'_>) -> QueryResult<Verification> {
    diesel::insert_into(verifications::table)
        .values(row)
        .returning(Verification::as_returning())
        .get_result(conn)
        .await
}

/// The same subject: kind and id, and for accreditations and trial claims the body or NCT id (a
/// licence is one subject whatever its number, so a check of a corrected number supersedes).
static SAME_SUBJECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "n.subject_kind = v.subject_kind AND n.subject_id = v.subject_id \
         AND (n.subject_kind = '{}' OR n.subject_key = v.subject_key)",
        SubjectKind::PractitionerLicence
    )
});

/// Filters of [`list`].
#[derive(Debug, Default)]
pub struct ListFilter {
    pub kind: Option<SubjectKind>,
    pub subject_id: Option<Uuid>,
    pub clinic_id: Option<Uuid>,
    pub result: Option<VerificationResult>,
    pub current: Option<bool>,
}

/// Up to `limit` records matching `filter`, newest first, recorded before `before` (a sequence).
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &ListFilter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Verification>> {
    let mut query = SqlBuilder::new("SELECT v.* FROM verifications v WHERE true");
    if let Some(kind) = filter.kind {
        let kind = query.bind(Bind::Text(kind.as_str().to_owned()));
        query.push(&format!(" AND v.subject_kind = {kind}"));
    }
    if let Some(id) = filter.subject_id {
        let id = query.bind(Bind::Uuid(id));
        query.push(&format!(" AND v.subject_id = {id}"));
    }
    if let Some(id) = filter.clinic_id {
        let id = query.bind(Bind::Uuid(id));
        query.push(&format!(" AND v.clinic_id = {id}"));
    }
    if let Some(result) = filter.result {
        let result = query.bind(Bind::Text(result.as_str().to_owned()));
        query.push(&format!(" AND v.result = {result}"));
    }
    if let Some(current) = filter.current {
        let not = if current { "NOT " } else { "" };
        query.push(&format!(
            " AND {not}EXISTS (SELECT 1 FROM verifications n WHERE {} AND n.sequence > v.sequence)",
            *SAME_SUBJECT
        ));
    }
    if let Some(before) = before {
        let before = query.bind(Bind::BigInt(before));
        query.push(&format!(" AND v.sequence < {before}"));
    }
    let limit = query.bind(Bind::BigInt(limit));
    query.push(&format!(" ORDER BY v.sequence DESC LIMIT {limit}"));
    query.into_query().load(conn).await
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Which of these records no newer record on the same subject supersedes.
pub async fn current_among(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<HashSet<Uuid>> {
    let rows: Vec<Id> = diesel::sql_query(format!(
        "SELECT v.id FROM verifications v WHERE v.id = ANY($1) \
         AND NOT EXISTS (SELECT 1 FROM verifications n WHERE {} AND n.sequence > v.sequence)",
        *SAME_SUBJECT
    ))
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Whose records [`newest_of_each`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Subjects<'a> {
    /// These subjects.
    Ids(&'a [Uuid]),
    /// Every subject recorded under this clinic (e.g. its practitioners' licences, any key).
    OfClinic(Uuid),
}

/// The newest `kind` record of each of `subjects`, by subject id. Takes a shared connection so
/// clinic detail can pipeline it with its other reads.
pub async fn newest_of_each(
    conn: &mut &AsyncPgConnection,
    kind: SubjectKind,
    subjects: Subjects<'_>,
) -> QueryResult<HashMap<Uuid, Verification>> {
    let query = verifications::table
        .filter(verifications::subject_kind.eq(kind))
        .order((verifications::subject_id, verifications::sequence.desc()))
        .distinct_on(verifications::subject_id)
        .select(Verification::as_select())
        .into_boxed();
    let query = match subjects {
        Subjects::Ids(ids) => query.filter(verifications::subject_id.eq_any(ids)),
        Subjects::OfClinic(clinic_id) => query.filter(verifications::clinic_id.eq(clinic_id)),
    };
    let rows: Vec<Verification> = query.load(conn).await?;
    Ok(rows.into_iter().map(|r| (r.subject_id, r)).collect())
}

/// The newest record of each trial claim of `clinic_id`, by NCT id (a trial claim is one subject
/// per NCT id, unlike a licence). Takes a shared connection, as [`newest_of_each`].
pub async fn newest_trial_claims_of_clinic(
    conn: &mut &AsyncPgConnection,
    clinic_id: Uuid,
) -> QueryResult<HashMap<String, Verification>> {
    let rows: Vec<Verification> = verifications::table
        .filter(verifications::subject_kind.eq(SubjectKind::TrialClaim))
        .filter(verifications::subject_id.eq(clinic_id))
        .order((verifications::subject_key, verifications::sequence.desc()))
        .distinct_on(verifications::subject_key)
        .select(Verification::as_select())
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.subject_key.clone(), r)).collect())
}

/// Records that the expiry of `id` is applied (so the worker does not apply it again).
pub async fn mark_expired(conn: &mut AsyncPgConnection, id: Uuid, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO verification_expiries (verification_id, applied_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(QueryableByName)]
pub struct Expired {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub clinic_id: Uuid,
}

/// Claims up to `limit` `verified` records whose `valid_until` is before `today` and whose expiry
/// is not applied yet (`FOR UPDATE SKIP LOCKED`: instances never take the same record).
pub async fn claim_expired(
    conn: &mut AsyncPgConnection,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<Expired>> {
    diesel::sql_query(
        "SELECT v.id, v.clinic_id FROM verifications v \
         WHERE v.result = $1 AND v.valid_until < $2 \
           AND NOT EXISTS (SELECT 1 FROM verification_expiries e WHERE e.verification_id = v.id) \
         ORDER BY v.valid_until LIMIT $3 FOR UPDATE OF v SKIP LOCKED",
    )
    .bind::<Text, _>(VerificationResult::Verified)
    .bind::<Date, _>(today)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await
}
