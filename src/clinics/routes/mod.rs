//! The public clinic endpoints: `list` (filters, search, screening of critically flagged
//! clinics), `get` (one clinic and its packages), their parameters in `params`.

mod get;
mod list;
mod params;

use std::collections::HashMap;

use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::clinics::model::PublicClinic;
use crate::clinics::present::{present, ClinicResponse, PriceFrom};
use crate::clinics::repo::ResponseTime;
use crate::money::Rates;
use crate::red_flags::repo::DetectionRow;
use crate::red_flags::RedFlag;
use crate::reference::Reference;
use crate::treatment_packages::present::PackagePrice;

pub use params::{ClinicListParams, ClinicOrder};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list::list_clinics)
        .service(get::get_clinic)
        .service(get::list_clinic_packages);
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

/// One clinic as listed: red flags, regulatory status, cheapest price, response time and evidence
/// links.
fn present_listed(
    clinic: PublicClinic,
    flags: &mut HashMap<Uuid, Vec<DetectionRow>>,
    cheapest: Option<PriceFrom>,
    speeds: &HashMap<Uuid, ResponseTime>,
    reference: &Reference,
) -> ClinicResponse {
    let red_flags: Vec<RedFlag> = flags
        .remove(&clinic.id)
        .unwrap_or_default()
        .into_iter()
        .map(RedFlag::from)
        .collect();
    let speed = speeds.get(&clinic.id);
    let regulatory_status = reference.regulatory(&clinic.country_code, &clinic.condition_slugs);
    let efficacy_claim = clinic.stem_cell_efficacy_claim;
    let mut response = present(clinic, red_flags, cheapest, speed, regulatory_status);
    (response.evidence, response.claims_beyond_evidence) = reference
        .evidence
        .assess_claim(&response.conditions, efficacy_claim);
    response
}
