//! `GET /v1/clinics/{id}` and `GET /v1/clinics/{id}/treatment-packages`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel_async::AsyncPgConnection;
use futures_util::TryFutureExt;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::clinics::fields::{ClinicDetailFieldList, CLINIC_DETAIL_FIELDS};
use crate::clinics::model::PublicClinic;
use crate::clinics::present::ClinicDetail;
use crate::clinics::repo as clinics_repo;
use crate::disclaimer::{ScreenedPage, DISCLAIMER};
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::pagination::{page_by_key, ListParams};
use crate::red_flags::repo as flags_repo;
use crate::reference::ReferenceCache;
use crate::sparse_fields::{needs, scope_of, skip_unless, FieldSet, Sparse};
use crate::state::AppState;
use crate::treatment_packages::present::{
    PackageFieldList, PackagePrice, TreatmentPackageResponse, PACKAGE_FIELDS,
};
use crate::treatment_packages::present_packages;
use crate::treatment_packages::repo::{self as packages_repo, ClinicSummary};
use crate::treatment_packages::routes::FLAG_PARTS;

use super::{present_listed, price_from};

/// `currency` for one clinic.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClinicGetParams {
    /// ISO 4217 code: adds converted prices with the rate and its date.
    #[param(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    /// Sparse fields: only these top-level fields of the clinic, comma-separated (all when
    /// absent); `disclaimer` is always sent. Allowed: the names of `GET /v1/clinics`'s `fields`
    /// (`red_flags`, `has_critical_red_flags`, `listed_by_default`, `id`, `slug`, `name`,
    /// `country`, `city`, `website`, `ownership`, `specialty_scope`, `specialties`,
    /// `years_experience`, `years_experience_note`, `patients_per_year`, `ages_served`,
    /// `patient_origin_regions`, `languages`, `disclosures`, `notable_technology`, `description`,
    /// `claims`, `conditions_treated`, `conditions`, `accreditations`, `regulatory_status`,
    /// `rank_explanation`, `promoted`, `price_from`, `response_time`, `evidence`,
    /// `claims_beyond_evidence`, `unknown_fields`, `notes`, `source`, `created_at`, `updated_at`)
    /// and `treatment_packages`, with the same companions: `claims`, `description`,
    /// `disclosures`, `accreditations` and `notable_technology` bring `red_flags` and
    /// `has_critical_red_flags`; `years_experience` brings `years_experience_note` and `source`;
    /// `patients_per_year` brings `source`; `claims_beyond_evidence` brings `evidence`. An unknown,
    /// empty or repeated name is a 400 `invalid-query`. See docs/SPARSE_FIELDS.md.
    #[param(value_type = Option<ClinicDetailFieldList>, inline, style = Form, explode = false)]
    pub fields: Option<String>,
}

async fn find_published(conn: &mut &AsyncPgConnection, id: Uuid) -> Result<PublicClinic, ApiError> {
    clinics_repo::find_published(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no clinic has id {id}")))
}

/// Get a clinic
///
/// One published clinic with its red flags first, then its packages, quoted claims, regulatory status
/// and score. Clinics that a critical flag leaves out of lists still answer here, with their flags.
/// Add `currency` to see prices converted with the dated rate used.
#[utoipa::path(
    tag = "catalogue",
    params(("id" = Uuid, Path, description = "Clinic id"), ClinicGetParams),
    responses(
        (status = 200, description = "The clinic", body = ClinicDetail),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Invalid currency or fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/clinics/{id}")]
pub async fn get_clinic(
    req: HttpRequest,
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    id: web::Path<Uuid>,
    params: web::Query<ClinicGetParams>,
) -> Result<HttpResponse, ApiError> {
    // A catalogue read: one of this worker's shared, pipelined connections (see `db::shared`).
    let conn = state.reads.get_or(&state.pool).await?;
    let reference = reference_cache.get(&mut &*conn).await?;
    let currency = reference.rates.parse_currency_param(params.currency.as_deref())?;
    let display = currency.as_deref().map(|c| (&reference.rates, c));
    let fields = FieldSet::parse(&CLINIC_DETAIL_FIELDS, params.fields.as_deref())?;
    let fields = fields.as_ref();
    // Four independent reads, pipelined on the connection: the clinic, its packages (cheapest
    // first), the red flags of both, its response times; under `fields=`, only those an asked
    // field needs.
    let ids = [*id];
    let wanted = |names: &[&str]| needs(fields, names).then_some(&ids[..]);
    let (mut c1, mut c2, mut c3, mut c4) = (&*conn, &*conn, &*conn, &*conn);
    let (clinic, packages, mut flags, speeds) = futures_util::future::try_join4(
        find_published(&mut c1, *id),
        skip_unless(wanted(&["price_from", "treatment_packages"]), |ids| {
            packages_repo::published_for_clinics(&mut c2, ids)
        })
        .err_into::<ApiError>(),
        skip_unless(
            wanted(&["red_flags", "has_critical_red_flags", "treatment_packages"]),
            |_| flags_repo::detections_for_clinic(&mut c3, *id),
        )
        .err_into::<ApiError>(),
        skip_unless(wanted(&["response_time"]), |ids| {
            clinics_repo::response_times(&mut c4, ids)
        })
        .err_into::<ApiError>(),
    )
    .await?;
    let cheapest = packages.first().map(|package| {
        price_from(
            PackagePrice::of(package),
            package.price_provenance.clone(),
            display,
        )
    });
    let summary = ClinicSummary::of(&clinic.name, &clinic.country_code);
    let presented = present_listed(clinic, &mut flags, cheapest, &speeds, &reference);
    let treatment_packages =
        present_packages(&packages, |_| Some(&summary), &mut flags, &reference, display)?;
    let body = Sparse {
        value: ClinicDetail {
            clinic: presented,
            treatment_packages,
            disclaimer: DISCLAIMER,
        },
        fields,
        always: &["disclaimer"],
    };
    cacheable_json(&req, &body)
}

/// List a clinic's packages
///
/// The published treatment packages of one clinic, ordered by id, a page at a time. Packages with a
/// critical red flag (their own or their clinic's) are left out unless `include_flagged=true`;
/// `excluded.critical_flags` counts them.
#[utoipa::path(
    tag = "catalogue",
    params(("id" = Uuid, Path, description = "Clinic id"), ClinicPackagesParams),
    responses(
        (status = 200, description = "A page of the clinic's packages", body = ScreenedPage<TreatmentPackageResponse>),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Invalid page size, token or fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/clinics/{id}/treatment-packages")]
pub async fn list_clinic_packages(
    req: HttpRequest,
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    id: web::Path<Uuid>,
    params: web::Query<ClinicPackagesParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let include_flagged = params.include_flagged == Some(true);
    let fields = FieldSet::parse(&PACKAGE_FIELDS, params.fields.as_deref())?;
    let fields = fields.as_ref();
    let conn = state.reads.get_or(&state.pool).await?;
    let clinic = find_published(&mut &*conn, *id).await?;
    let reference = reference_cache.get(&mut &*conn).await?;
    let mut packages = packages_repo::published_for_clinics(&mut &*conn, &[clinic.id]).await?;
    let all = packages.len();
    if !include_flagged {
        packages.retain(|p| !p.has_critical_flag);
    }
    let excluded = i64::try_from(all - packages.len()).unwrap_or(i64::MAX);
    packages.sort_by_key(|p| p.id);
    let ids: Vec<Uuid> = packages.iter().map(|p| p.id).collect();
    let mut flags_conn = &*conn;
    let mut flags = skip_unless(needs(fields, FLAG_PARTS).then_some(&ids[..]), |ids| {
        flags_repo::detections_for(&mut flags_conn, ids)
    })
    .await?;
    let summary = ClinicSummary::of(&clinic.name, &clinic.country_code);
    let presented = present_packages(&packages, |_| Some(&summary), &mut flags, &reference, None)?;
    let scope = format!(
        "clinic-packages|{}|include_flagged={include_flagged}{}",
        clinic.id,
        scope_of(fields)
    );
    let paging = ListParams {
        page_size: params.page_size,
        page_token: params.page_token,
    };
    let page = page_by_key(
        presented,
        |p| p.id.to_string(),
        &paging,
        &state.page_tokens,
        &scope,
    )?;
    let items = page
        .items
        .into_iter()
        .map(|item| Sparse::new(item, fields))
        .collect();
    cacheable_json(&req, &ScreenedPage::new(items, page.next_page_token, excluded))
}

/// Paging of a clinic's packages and the opt-in for flagged ones.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClinicPackagesParams {
    /// `true` also lists packages with a critical red flag (their own or their clinic's).
    pub include_flagged: Option<bool>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page's `next_page_token`.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
    /// Sparse fields: only these top-level fields of each package, comma-separated (all when
    /// absent), with the names and companions of `GET /v1/treatment-packages`'s `fields`:
    /// `red_flags`, `listed_by_default`, `id`, `slug`, `clinic_id`, `clinic_name`, `country`,
    /// `regulatory_status`, `title`, `conditions`, `cell_type`, `cell_source`,
    /// `administration_method`, `injections`, `price`, `converted_price`, `price_basis`,
    /// `price_provenance`, `price_as_of`, `price_date_note`, `price_source`, `inclusions`,
    /// `exclusions`, `unknown_items`, `add_ons`, `evidence`, `claims_beyond_evidence`,
    /// `unknown_fields`, `source`, `created_at`, `updated_at`. An unknown, empty or repeated name
    /// is a 400 `invalid-query`. Page tokens are bound to the field set. See
    /// docs/SPARSE_FIELDS.md.
    #[param(value_type = Option<PackageFieldList>, inline, style = Form, explode = false)]
    pub fields: Option<String>,
}
