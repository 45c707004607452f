//! `GET /v1/clinics`: a screened, filtered, keyset-paged list.

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::clinics::domain::ClinicFilter;
use crate::clinics::fields::CLINIC_FIELDS;
use crate::clinics::model::PublicClinic;
use crate::clinics::present::ClinicResponse;
use crate::clinics::repo as clinics_repo;
use crate::clinics::ColumnSets;
use crate::disclaimer::ScreenedPage;
use crate::error::{ApiError, Problem};
use crate::filters::PageQuery;
use crate::http_cache::cacheable_json;
use crate::money::Rates;
use crate::pagination::split_page;
use crate::red_flags::repo as flags_repo;
use crate::reference::Reference;
use crate::reference::ReferenceCache;
use crate::sparse_fields::{needs, skip_unless, FieldSet, Sparse};
use crate::state::AppState;

use super::params::ClinicListParams;
use super::{listed_price, present_listed};

/// A page of clinics as listed (two queries whatever the page size; each row carries its cheapest
/// price). Under `fields=`, the reads no asked field needs are skipped.
async fn present_clinics(
    conn: &AsyncPgConnection,
    clinics: Vec<PublicClinic>,
    reference: &Reference,
    display: Option<(&Rates, &str)>,
    fields: Option<&FieldSet>,
) -> Result<Vec<ClinicResponse>, ApiError> {
    let ids: Vec<Uuid> = clinics.iter().map(|c| c.id).collect();
    let wanted = |names: &[&str]| needs(fields, names).then_some(ids.as_slice());
    // Independent reads, pipelined on the one connection.
    let (mut c1, mut c2) = (conn, conn);
    let (mut flags, speeds) = futures_util::future::try_join(
        skip_unless(wanted(&["red_flags", "has_critical_red_flags"]), |ids| {
            flags_repo::detections_for(&mut c1, ids)
        }),
        skip_unless(wanted(&["response_time"]), |ids| {
            clinics_repo::response_times(&mut c2, ids)
        }),
    )
    .await?;
    Ok(clinics
        .into_iter()
        .map(|mut clinic| {
            let cheapest = listed_price(std::mem::take(&mut clinic.cheapest), display);
            present_listed(clinic, &mut flags, cheapest, &speeds, reference, fields)
        })
        .collect())
}

/// List clinics
///
/// Published clinics with filters, full-text search (`q`) and an allow-listed order (default `-score`),
/// a page at a time with signed `page_token`s. Every item carries its red flags (first), its regulatory
/// status as a sourced statement, the parts of its score (`rank_explanation`) and `promoted`, so no
/// ranking is a black box. Clinics with a critical red flag (on the clinic or one of its packages) are
/// left out unless `include_flagged=true`; `excluded.critical_flags` counts them over the whole
/// filtered result. `GET /v1/clinics/{id}` still answers for them, flags first.
#[utoipa::path(
    tag = "catalogue",
    params(ClinicListParams),
    responses(
        (status = 200, description = "A page of clinics", body = ScreenedPage<ClinicResponse>),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Invalid filter, currency, order, page size or page token", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/clinics")]
pub async fn list_clinics(
    req: HttpRequest,
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    column_sets: web::Data<ColumnSets>,
    params: web::Query<ClinicListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let conn = state.reads.get_or(&state.pool).await?;
    let reference = reference_cache.get(&mut &*conn).await?;
    let rates = &reference.rates;
    let currency = rates.parse_currency_param(params.currency.as_deref())?;
    let filter = ClinicFilter::parse(&reference, &params, currency.as_deref())?;
    let fields = FieldSet::parse(&CLINIC_FIELDS, params.fields.as_deref())?;
    let PageQuery {
        sql,
        scope,
        size,
        order,
    } = clinics_repo::list_query(&filter, fields.as_ref(), &state.page_tokens, &column_sets)?;
    let excluded = clinics_repo::excluded_query(&filter);
    // The page and the count of what it left out, pipelined on the connection.
    let (mut c1, mut c2) = (&*conn, &*conn);
    let (rows, excluded) = futures_util::future::try_join(
        clinics_repo::load_page(&mut c1, sql, fields.as_ref()),
        crate::db::sql::count_or_zero(&mut c2, excluded),
    )
    .await?;
    let (rows, next) = split_page(rows, size, |c| order.cursor_of(c));
    let display = currency.as_deref().map(|c| (rates, c));
    let items = present_clinics(&conn, rows, &reference, display, fields.as_ref()).await?;
    let items = items
        .into_iter()
        .map(|item| Sparse::new(item, fields.as_ref()))
        .collect();
    let next_page_token = next.map(|cursor| state.page_tokens.issue(&scope, &cursor));
    cacheable_json(&req, &ScreenedPage::new(items, next_page_token, excluded))
}
