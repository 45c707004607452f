//! The public package endpoints: `list` (filters, screening of critically flagged packages),
//! `get` (one package), and the presentation both share with clinics and `compare`.

mod get;
mod list;

use std::collections::HashMap;

use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiError;
use crate::money::Rates;
use crate::red_flags::repo::DetectionRow;
use crate::red_flags::{repo as flags_repo, RedFlag};
use crate::reference::Reference;
use crate::sparse_fields::{needs, skip_unless, FieldSet};
use crate::treatment_packages::model::TreatmentPackage;
use crate::treatment_packages::present::{present, PackageContext, TreatmentPackageResponse};
use crate::treatment_packages::repo::{self, ClinicSummary};

pub use list::PackageListParams;

pub fn configure(cfg: &mut ServiceConfig) {
    // `compare` before `{id}`, so the literal path wins.
    cfg.service(crate::treatment_packages::compare::compare_treatment_packages)
        .service(list::list_treatment_packages)
        .service(get::get_treatment_package);
}

/// Presents packages with their clinic facts, red flags and optional conversion. Under
/// `fields=`, the reads no asked field needs are skipped (their parts of the items are then
/// empty and never sent).
pub async fn present_all(
    conn: &diesel_async::AsyncPgConnection,
    packages: &[TreatmentPackage],
    reference: &Reference,
    display: Option<(&Rates, &str)>,
    fields: Option<&FieldSet>,
) -> Result<Vec<TreatmentPackageResponse>, ApiError> {
    let clinic_ids: Vec<Uuid> = packages.iter().map(|p| p.clinic_id).collect();
    let ids: Vec<Uuid> = packages.iter().map(|p| p.id).collect();
    let clinics_needed = needs(fields, CLINIC_PARTS);
    // Independent reads, pipelined on the one connection.
    let (mut c1, mut c2) = (conn, conn);
    let (clinics, mut flags) = futures_util::future::try_join(
        skip_unless(clinics_needed.then_some(clinic_ids.as_slice()), |ids| {
            repo::clinic_summaries(&mut c1, ids)
        }),
        skip_unless(needs(fields, FLAG_PARTS).then_some(ids.as_slice()), |ids| {
            flags_repo::detections_for(&mut c2, ids)
        }),
    )
    .await?;
    let unread = ClinicSummary::of("", "");
    let clinic_of = |id| match clinics_needed {
        true => clinics.get(&id),
        false => Some(&unread),
    };
    present_packages(packages, clinic_of, &mut flags, reference, display)
}

/// The package fields made from the clinic's name and country.
const CLINIC_PARTS: &[&str] = &["clinic_name", "country", "regulatory_status"];

/// The package fields made from its red flags.
pub const FLAG_PARTS: &[&str] = &["red_flags", "claims_beyond_evidence"];

/// Presents packages from what the caller already loaded: each clinic's summary and the
/// packages' red flags (taken out of `flags`).
pub fn present_packages<'a>(
    packages: &[TreatmentPackage],
    clinic_of: impl Fn(Uuid) -> Option<&'a ClinicSummary>,
    flags: &mut HashMap<Uuid, Vec<DetectionRow>>,
    reference: &Reference,
    display: Option<(&Rates, &str)>,
) -> Result<Vec<TreatmentPackageResponse>, ApiError> {
    packages
        .iter()
        .map(|package| {
            let clinic = clinic_of(package.clinic_id)
                .ok_or_else(|| ApiError::internal(format_args!("package {} has no clinic", package.id)))?;
            let mut response = present(
                package,
                PackageContext {
                    clinic_name: &clinic.name,
                    country: &clinic.country,
                    regulatory_status: reference.regulatory(&clinic.country, &package.conditions),
                    display,
                    red_flags: flags
                        .remove(&package.id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(RedFlag::from)
                        .collect(),
                },
            );
            (response.evidence, response.claims_beyond_evidence) = reference
                .evidence
                .assess(&package.conditions, &response.red_flags);
            Ok(response)
        })
        .collect()
}
