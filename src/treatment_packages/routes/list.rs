//! `GET /v1/treatment-packages`: a screened, filtered, keyset-paged list.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::disclaimer::ScreenedPage;
use crate::error::{ApiError, Problem};
use crate::filters::PageQuery;
use crate::http_cache::cacheable_json;
use crate::pagination::split_page;
use crate::reference::ReferenceCache;
use crate::sparse_fields::{FieldSet, Sparse};
use crate::state::AppState;
use crate::treatment_packages::domain::{PackageFilter, PackageOrder, PriceProvenance};
use crate::treatment_packages::present::{PackageFieldList, TreatmentPackageResponse, PACKAGE_FIELDS};
use crate::treatment_packages::repo;

use super::present_all;

/// Filters, order and paging of `GET /v1/treatment-packages`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PackageListParams {
    /// Condition slug the package must cover.
    #[param(
        example = "sciatica",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub condition: Option<String>,
    /// Cell type slug.
    #[param(
        example = "bm-msc",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub cell_type: Option<String>,
    /// ISO 3166-1 alpha-2 code of the clinic's country.
    #[param(example = "MX", min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
    /// Only this clinic's packages.
    pub clinic_id: Option<Uuid>,
    /// Lowest acceptable minimum price, in `currency`.
    #[param(example = "5000", max_length = 15, pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
    pub min_price: Option<String>,
    /// Highest acceptable minimum price, in `currency`.
    #[param(example = "9000", max_length = 15, pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
    pub max_price: Option<String>,
    /// ISO 4217 code for `min_price`/`max_price` and for the converted prices added to each item
    /// (default: prices in USD for filters, no conversion).
    #[param(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    /// Only prices of this provenance.
    #[param(inline)]
    pub price_provenance: Option<PriceProvenance>,
    /// `true` also lists packages with a critical red flag (their own or their clinic's), which
    /// default lists leave out; each item carries its flags either way.
    pub include_flagged: Option<bool>,
    /// `price` (default), `-price`, `updated_at` or `-updated_at`.
    #[param(inline)]
    pub order_by: Option<PackageOrder>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
    /// Sparse fields: only these top-level fields of each item, comma-separated (all when
    /// absent). Allowed: `red_flags`, `listed_by_default`, `id`, `slug`, `clinic_id`,
    /// `clinic_name`, `country`, `regulatory_status`, `title`, `conditions`, `cell_type`,
    /// `cell_source`, `administration_method`, `injections`, `price`, `converted_price`,
    /// `price_basis`, `price_provenance`, `price_as_of`, `price_date_note`, `price_source`,
    /// `inclusions`, `exclusions`, `unknown_items`, `add_ons`, `evidence`,
    /// `claims_beyond_evidence`, `unknown_fields`, `source`, `created_at`, `updated_at`.
    /// Medical honesty adds companions: `price` brings `price_basis`, `price_provenance`,
    /// `price_as_of`, `price_date_note` and `price_source`; `converted_price` brings those and
    /// `price`; `add_ons` brings `price_as_of` and `price_source`; `inclusions` and `exclusions`
    /// bring `unknown_items`; `claims_beyond_evidence` brings `evidence`. An unknown, empty or
    /// repeated name is a 400 `invalid-query`. Page tokens are bound to the field set. See
    /// docs/SPARSE_FIELDS.md.
    #[param(value_type = Option<PackageFieldList>, inline, style = Form, explode = false)]
    pub fields: Option<String>,
}

/// List treatment packages
///
/// Published packages with filters, an allow-listed order (default `price`) and signed page tokens.
/// Prices keep their original currency; add `currency` for converted prices with the rate and its date.
/// Price filters compare the minimum price in USD at current rates. Packages with a critical red flag
/// (their own or their clinic's) are left out unless `include_flagged=true`; `excluded.critical_flags`
/// counts them over the whole filtered result. `GET /v1/treatment-packages/{id}` and `compare` still
/// answer for them, flags first.
#[utoipa::path(
    tag = "catalogue",
    params(PackageListParams),
    responses(
        (status = 200, description = "A page of packages", body = ScreenedPage<TreatmentPackageResponse>),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Invalid filter, currency, fields, page size or page token", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/treatment-packages")]
pub async fn list_treatment_packages(
    req: HttpRequest,
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    params: web::Query<PackageListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let conn = state.reads.get_or(&state.pool).await?;
    let reference = reference_cache.get(&mut &*conn).await?;
    let rates = &reference.rates;
    let currency = rates.parse_currency_param(params.currency.as_deref())?;
    let filter = PackageFilter::parse(&reference, &params, currency.as_deref())?;
    let fields = FieldSet::parse(&PACKAGE_FIELDS, params.fields.as_deref())?;
    let PageQuery {
        sql,
        scope,
        size,
        order,
    } = repo::list_query(&filter, fields.as_ref(), &state.page_tokens)?;
    let excluded = repo::excluded_query(&filter);
    // The page and the count of what it left out, pipelined on the connection.
    let (mut c1, mut c2) = (&*conn, &*conn);
    let (rows, excluded) = futures_util::future::try_join(
        repo::run_list(&mut c1, sql),
        crate::db::sql::count_or_zero(&mut c2, excluded),
    )
    .await?;
    let (rows, next) = split_page(rows, size, |p| order.cursor_of(p));
    let display = currency.as_deref().map(|c| (rates, c));
    let items = present_all(&conn, &rows, &reference, display, fields.as_ref()).await?;
    let items = items
        .into_iter()
        .map(|item| Sparse::new(item, fields.as_ref()))
        .collect();
    let next_page_token = next.map(|cursor| state.page_tokens.issue(&scope, &cursor));
    cacheable_json(&req, &ScreenedPage::new(items, next_page_token, excluded))
}
