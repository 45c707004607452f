//! `GET /v1/clinics/{id}/treatment-packages` (`GET /v1/clinics/{id}` is in `clinic_detail`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::clinics::model::PublicClinic;
use crate::clinics::repo as clinics_repo;
use crate::disclaimer::ScreenedPage;
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::pagination::{page_by_key, ListParams};
use crate::red_flags::repo as flags_repo;
use crate::reference::ReferenceCache;
use crate::sparse_fields::{needs, scope_of, skip_unless, FieldSet, Sparse};
use crate::state::AppState;
use crate::treatment_packages::present::{PackageFieldList, TreatmentPackageResponse, PACKAGE_FIELDS};
use crate::treatment_packages::present_packages;
use crate::treatment_packages::repo::{self as packages_repo, ClinicSummary};
use crate::treatment_packages::routes::FLAG_PARTS;

async fn find_published(conn: &mut &AsyncPgConnection, id: Uuid) -> Result<PublicClinic, ApiError> {
    clinics_repo::find_published(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no clinic has id {id}")))
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
