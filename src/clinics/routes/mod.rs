//! The public clinic endpoints: `list` (filters, search, screening of critically flagged
//! clinics), `get` (a clinic's packages), their parameters in `params`. `GET /v1/clinics/{id}`
//! itself is served by `clinic_detail`, which adds what sits above this module (practitioners,
//! verifications, registry checks) through [`present_with_packages`].

mod get;
mod list;
mod params;

use std::collections::HashMap;

use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::clinics::model::{CheapestPriceColumns, PublicClinic};
use crate::clinics::present::{present, ClinicResponse, PriceFrom};
use crate::clinics::repo::ResponseTime;
use crate::error::ApiError;
use crate::money::Rates;
use crate::red_flags::repo::DetectionRow;
use crate::red_flags::RedFlag;
use crate::reference::Reference;
use crate::sparse_fields::{needs, FieldSet};
use crate::treatment_packages::model::TreatmentPackage;
use crate::treatment_packages::present::{PackagePrice, TreatmentPackageResponse};
use crate::treatment_packages::present_packages;
use crate::treatment_packages::repo::ClinicSummary;

pub use params::{ClinicListParams, ClinicOrder};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list::list_clinics).service(get::list_clinic_packages);
}

/// The cheapest published package of a clinic as shown in lists.
fn price_from(price: PackagePrice, price_provenance: String, display: Option<(&Rates, &str)>) -> PriceFrom {
    let converted_price = display.and_then(|(rates, currency)| price.convert(rates, currency));
    PriceFrom {
        price,
        price_provenance,
        converted_price,
    }
}

/// The clinic's cheapest published price from its own columns (kept by `listings`); `None` when
/// it has no published package (or the read did not select them: no asked field needs it).
fn listed_price(columns: CheapestPriceColumns, display: Option<(&Rates, &str)>) -> Option<PriceFrom> {
    let CheapestPriceColumns {
        min,
        max,
        kind,
        currency,
        provenance,
    } = columns;
    let (min, kind, currency, provenance) = (min?, kind?, currency?, provenance?);
    let price = PackagePrice {
        kind,
        min,
        max,
        currency,
    };
    Some(price_from(price, provenance, display))
}

/// One clinic as listed: red flags, regulatory status, cheapest price, response time and evidence
/// links. Under `fields=` what no asked field needs is not computed (the placeholders left are
/// dropped before serialisation).
fn present_listed(
    clinic: PublicClinic,
    flags: &mut HashMap<Uuid, Vec<DetectionRow>>,
    cheapest: Option<PriceFrom>,
    speeds: &HashMap<Uuid, ResponseTime>,
    reference: &Reference,
    fields: Option<&FieldSet>,
) -> ClinicResponse {
    let red_flags: Vec<RedFlag> = flags
        .remove(&clinic.id)
        .unwrap_or_default()
        .into_iter()
        .map(RedFlag::from)
        .collect();
    let speed = speeds.get(&clinic.id);
    let regulatory_status = if needs(fields, &["regulatory_status"]) {
        reference.regulatory(&clinic.country_code, &clinic.condition_slugs)
    } else {
        crate::countries::regulatory::unknown(false)
    };
    let efficacy_claim = clinic.stem_cell_efficacy_claim;
    let mut response = present(clinic, red_flags, cheapest, speed, regulatory_status, fields);
    if needs(fields, &["evidence", "claims_beyond_evidence"]) {
        (response.evidence, response.claims_beyond_evidence) = reference
            .evidence
            .assess_claim(&response.conditions, efficacy_claim);
    }
    response
}

/// A clinic as its detail shows it, with its published `packages` (cheapest first, as
/// `treatment_packages::repo::published_for_clinics` reads them) and `price_from` from its own
/// row, as lists show it; `flags` holds the detections of the clinic and its packages (each is
/// taken out as it is presented).
pub fn present_with_packages(
    mut clinic: PublicClinic,
    packages: &[TreatmentPackage],
    flags: &mut HashMap<Uuid, Vec<DetectionRow>>,
    speeds: &HashMap<Uuid, ResponseTime>,
    reference: &Reference,
    display: Option<(&Rates, &str)>,
    fields: Option<&FieldSet>,
) -> Result<(ClinicResponse, Vec<TreatmentPackageResponse>), ApiError> {
    let cheapest = listed_price(std::mem::take(&mut clinic.cheapest), display);
    let summary = ClinicSummary::of(&clinic.name, &clinic.country_code);
    let presented = present_listed(clinic, flags, cheapest, speeds, reference, fields);
    let packages = present_packages(packages, |_| Some(&summary), flags, reference, display)?;
    Ok((presented, packages))
}
