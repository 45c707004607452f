//! Practitioners as responses: the partner's view and the public view, each licence with how it
//! stands today (from the newest verification record of the practitioner's licence).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::practitioners::dto::{
    LicenceInput, PartnerPractitionerResponse, PractitionerInput, PublicLicence, PublicPractitioner,
};
use crate::practitioners::model::Practitioner;
use crate::red_flags::verified::{licence_key, SubjectKind};
use crate::verifications::domain::Standing;
use crate::verifications::dto::ClaimStanding;
use crate::verifications::model::Verification;
use crate::verifications::repo as verifications;

/// The newest licence verification of each practitioner.
pub async fn licence_records(
    conn: &mut AsyncPgConnection,
    rows: &[Practitioner],
) -> diesel::QueryResult<HashMap<Uuid, Verification>> {
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let ids = verifications::Subjects::Ids(&ids);
    verifications::newest_of_each(&mut &*conn, SubjectKind::PractitionerLicence, ids).await
}

/// The licence as the partner wrote it.
pub fn licence_of(p: &Practitioner) -> Option<LicenceInput> {
    Some(LicenceInput {
        number: p.licence_number.clone()?,
        issuing_body: p.licence_issuer.clone().unwrap_or_default(),
        country: p.licence_country.clone().unwrap_or_default(),
    })
}

/// The writable fields as last accepted.
pub fn input_of(p: &Practitioner) -> PractitionerInput {
    PractitionerInput {
        name: p.name.clone(),
        role: p.role,
        specialty: p.specialty.clone(),
        licence: licence_of(p),
        languages: p.languages.clone(),
    }
}

/// How the practitioner's licence stands on `today`.
pub fn licence_standing(p: &Practitioner, newest: Option<&Verification>, today: NaiveDate) -> ClaimStanding {
    let key = licence_key(
        p.licence_number.as_deref(),
        p.licence_issuer.as_deref(),
        p.licence_country.as_deref(),
    );
    ClaimStanding::of(newest, &key, today)
}

/// The partner's view of one practitioner.
pub fn partner_view(
    p: Practitioner,
    newest: Option<&Verification>,
    today: NaiveDate,
) -> PartnerPractitionerResponse {
    let licence_standing = p
        .licence_number
        .is_some()
        .then(|| licence_standing(&p, newest, today));
    PartnerPractitionerResponse {
        id: p.id,
        clinic_id: p.clinic_id,
        version: p.version,
        status: p.status,
        practitioner: input_of(&p),
        licence_standing,
        red_flags: p.red_flags,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// The public view of one practitioner.
pub fn public_view(p: &Practitioner, newest: Option<&Verification>, today: NaiveDate) -> PublicPractitioner {
    PublicPractitioner {
        id: p.id,
        name: p.name.clone(),
        role: p.role,
        specialty: p.specialty.clone(),
        languages: p.languages.clone(),
        details: Standing::ClaimedByClinic,
        licence: licence_of(p).map(|l| PublicLicence {
            number: l.number,
            issuing_body: l.issuing_body,
            country: l.country,
            standing: licence_standing(p, newest, today),
        }),
    }
}
