//! The verification handlers (coordinator or admin keys) and what they share.

mod list;
mod record;

use std::collections::HashSet;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{forbidden, BearerToken, Principal};
use crate::error::ApiError;
use crate::red_flags::verified::SubjectKind;
use crate::verifications::domain::in_force;
use crate::verifications::dto::{CheckedBy, SubjectInput, VerificationResponse};
use crate::verifications::model::Verification;

/// Registers the verification endpoints.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(record::record_verification)
        .service(list::list_verifications);
}

/// The calling staff member: 401 without credentials, 403 for partners and patients.
async fn require_staff(conn: &mut AsyncPgConnection, bearer: &BearerToken) -> Result<Principal, ApiError> {
    let principal = bearer.api_key(conn).await?;
    if principal.is_staff() {
        Ok(principal)
    } else {
        Err(forbidden("verification records need a coordinator or admin key"))
    }
}

/// The wire form of a record; `current` are the ids no newer record supersedes.
fn response(record: Verification, current: &HashSet<uuid::Uuid>, today: NaiveDate) -> VerificationResponse {
    let is_current = current.contains(&record.id);
    let (accreditation, nct_id) = match record.subject_kind {
        SubjectKind::PractitionerLicence => (None, None),
        SubjectKind::ClinicAccreditation => (Some(record.subject_key.clone()), None),
        SubjectKind::TrialClaim => (None, Some(record.subject_key.clone())),
    };
    VerificationResponse {
        id: record.id,
        subject: SubjectInput {
            kind: record.subject_kind,
            id: record.subject_id,
            accreditation,
            nct_id,
        },
        clinic_id: record.clinic_id,
        in_force: is_current && in_force(&record, today),
        current: is_current,
        source_url: record.source_url,
        checked_at: record.checked_at,
        checked_by: CheckedBy {
            key_id: record.checked_by_key,
            role: record.checked_by_role,
        },
        result: record.result,
        valid_until: record.valid_until,
        note: record.note,
        recorded_at: record.recorded_at,
    }
}
