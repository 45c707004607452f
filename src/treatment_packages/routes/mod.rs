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

/// Presents packages with their clinic facts, red flags and optional conversion.
pub async fn present_all(
    conn: &diesel_async::AsyncPgConnection,
    packages: &[TreatmentPackage],
    reference: &Reference,
    display: Option<(&Rates, &str)>,
) -> Result<Vec<TreatmentPackageResponse>, ApiError> {
    let clinic_ids: Vec<Uuid> = packages.iter().map(|p| p.clinic_id).collect();
    let ids: Vec<Uuid> = packages.iter().map(|p| p.id).collect();
    // Independent reads, pipelined on the one connection.
    let (mut c1, mut c2) = (conn, conn);
    let (clinics, mut flags) = futures_util::future::try_join(
        repo::clinic_summaries(&mut c1, &clinic_ids),
        flags_repo::detections_for(&mut c2, &ids),
    )
    .await?;
    present_packages(packages, |id| clinics.get(&id), &mut flags, reference, display)
}

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
