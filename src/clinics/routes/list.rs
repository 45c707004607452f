//! `GET /v1/clinics`: a screened, filtered, keyset-paged list.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::clinics::model::PublicClinic;
use crate::clinics::present::{ClinicResponse, PriceFrom};
use crate::db::sql::{select_list, Bind, SqlBuilder};
use crate::disclaimer::ScreenedPage;
use crate::error::{ApiError, Problem};
use crate::filters::{self, ListQuery, PageQuery};
use crate::http_cache::cacheable_json;
use crate::money::Rates;
use crate::pagination::{page_size, split_page, PageTokens};
use crate::red_flags::repo as flags_repo;
use crate::reference::Reference;
use crate::reference::ReferenceCache;
use crate::state::AppState;
use crate::treatment_packages::present::PackagePrice;
use crate::treatment_packages::repo as packages_repo;

use super::params::{ClinicListParams, ClinicOrder};
use super::{present_listed, price_from};

/// A page of clinics as listed (three queries whatever the page size).
async fn present_clinics(
    conn: &AsyncPgConnection,
    clinics: Vec<PublicClinic>,
    reference: &Reference,
    display: Option<(&Rates, &str)>,
) -> Result<Vec<ClinicResponse>, ApiError> {
    let ids: Vec<Uuid> = clinics.iter().map(|c| c.id).collect();
    // Independent reads, pipelined on the one connection.
    let (mut c1, mut c2, mut c3) = (conn, conn, conn);
    let (mut flags, speeds, cheapest) = futures_util::future::try_join3(
        flags_repo::detections_for(&mut c1, &ids),
        crate::clinics::repo::response_times(&mut c2, &ids),
        packages_repo::cheapest_prices_for_clinics(&mut c3, &ids),
    )
    .await?;
    let mut cheapest: HashMap<Uuid, PriceFrom> = cheapest
        .into_iter()
        .map(|row| {
            let price = PackagePrice {
                kind: row.price_kind,
                min: row.price_min,
                max: row.price_max,
                currency: row.currency,
            };
            (row.clinic_id, price_from(price, row.price_provenance, display))
        })
        .collect();
    Ok(clinics
        .into_iter()
        .map(|clinic| {
            let cheapest = cheapest.remove(&clinic.id);
            present_listed(clinic, &mut flags, cheapest, &speeds, reference)
        })
        .collect())
}

/// Validates the filters, verifies the page token and builds the page's SQL (one row more than
/// the page, to know whether another follows). Unless `include_flagged=true`, critically flagged
/// clinics are left out (`clinics.has_critical_flag`, kept by `listings`). Public for the
/// query-plan test.
pub fn list_query(
    reference: &Reference,
    page_tokens: &PageTokens,
    params: &ClinicListParams,
    currency: Option<&str>,
) -> Result<PageQuery<ClinicOrder>, ApiError> {
    let size = page_size(params.page_size)?;
    let order = params.order_by.unwrap_or_default();
    // Only the columns of `PublicClinic`, in its order: rows decode by position, and columns no
    // listing shows (the search vector) are not sent.
    static COLUMNS: OnceLock<String> = OnceLock::new();
    let mut base = format!(
        "SELECT {} FROM clinics c WHERE c.status = 'published'",
        select_list::<PublicClinic>(&COLUMNS, "clinics", "c").map_err(ApiError::internal)?
    );
    if !include_flagged(params) {
        base.push_str(" AND NOT c.has_critical_flag");
    }
    // `include_flagged` is part of the token's scope like any filter: a page of the screened list
    // does not continue the unscreened one.
    let resource = if include_flagged(params) {
        "clinics+flagged"
    } else {
        "clinics"
    };
    let mut query = ListQuery::new(resource, &base, order.name());
    filter(&mut query, reference, params, currency)?;
    query.into_page(
        order,
        order.sort_key(),
        "c.id",
        page_tokens,
        params.page_token.as_deref(),
        size,
    )
}

fn include_flagged(params: &ClinicListParams) -> bool {
    params.include_flagged == Some(true)
}

/// The SQL counting the clinics the same filters match but a critical flag leaves out (over the
/// whole result, not one page); `None` with `include_flagged=true`. Served by the partial index
/// `clinics_critical_idx`. Public for the query-plan test.
pub fn excluded_query(
    reference: &Reference,
    params: &ClinicListParams,
    currency: Option<&str>,
) -> Result<Option<SqlBuilder>, ApiError> {
    if include_flagged(params) {
        return Ok(None);
    }
    let base = "SELECT count(*) AS n FROM clinics c WHERE c.status = 'published' AND c.has_critical_flag";
    let mut query = ListQuery::new("clinics", base, "");
    filter(&mut query, reference, params, currency)?;
    Ok(Some(query.sql))
}

/// Adds every filter of `params` to `query` (and to its token scope).
fn filter(
    query: &mut ListQuery,
    reference: &Reference,
    params: &ClinicListParams,
    currency: Option<&str>,
) -> Result<(), ApiError> {
    let rates = &reference.rates;
    if let Some(raw) = &params.country {
        let code = reference.known_country("country", raw)?;
        query.filter(
            "c.country_code = {}::bpchar",
            Bind::Text(code.clone()),
            format!("country={code}"),
        );
    }
    if let Some(city) = &params.city {
        let city = filters::search_text("city", city)?;
        let scope = format!("city={}", city.to_lowercase());
        query.filter("lower(c.city) = lower({})", Bind::Text(city), scope);
    }
    if let Some(raw) = &params.condition {
        let slug = reference.known_condition("condition", raw)?;
        let scope = format!("condition={slug}");
        query.filter("c.condition_slugs @> ARRAY[{}::text]", Bind::Text(slug), scope);
    }
    if let Some(raw) = &params.cell_type {
        let (slug, _) = reference.known_cell_type("cell_type", raw)?;
        let scope = format!("cell_type={slug}");
        query.filter("c.cell_type_slugs @> ARRAY[{}::text]", Bind::Text(slug), scope);
    }
    if let Some(body) = &params.accreditation {
        let body = filters::search_text("accreditation", body)?;
        let scope = format!("accreditation={body}");
        query.filter(
            "c.accreditation_bodies @> ARRAY[{}::text]",
            Bind::Text(body),
            scope,
        );
    }
    if let Some(raw) = &params.language {
        let range = filters::language_range("language", raw)?;
        let scope = format!("language={range}");
        // The expression of the `clinics_language_ranges_idx` index (migration 000800).
        query.filter(
            "language_ranges(c.languages) @> ARRAY[{}::text]",
            Bind::Text(range),
            scope,
        );
    }
    if let Some(children) = params.serves_children {
        let scope = format!("serves_children={children}");
        query.filter("c.serves_children = {}", Bind::Bool(children), scope);
    }
    if let Some(min) = params.min_patients_per_year {
        if min < 0 {
            return Err(ApiError::invalid_query(
                "min_patients_per_year",
                "must be 0 or more",
            ));
        }
        let scope = format!("min_patients_per_year={min}");
        query.filter("c.patients_per_year >= {}", Bind::Int(min), scope);
    }
    if let Some(raw) = &params.max_price {
        let amount = filters::amount("max_price", raw)?;
        let from = currency.unwrap_or("USD");
        let usd: Decimal = rates
            .to_usd(amount, from)
            .ok_or_else(|| ApiError::invalid_query("currency", "has no exchange rate"))?;
        let scope = format!("max_price={amount}{from}");
        query.filter("c.price_from_usd <= {}", Bind::Numeric(usd), scope);
    }
    if let Some(q) = &params.q {
        let q = filters::search_text("q", q)?;
        let scope = format!("q={q}");
        query.filter(
            "c.search @@ websearch_to_tsquery('english', {})",
            Bind::Text(q),
            scope,
        );
    }
    Ok(())
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
    params: web::Query<ClinicListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let conn = state.reads.get_or(&state.pool).await?;
    let reference = reference_cache.get(&mut &*conn).await?;
    let rates = &reference.rates;
    let currency = rates.parse_currency_param(params.currency.as_deref())?;
    let PageQuery {
        sql,
        scope,
        size,
        order,
    } = list_query(&reference, &state.page_tokens, &params, currency.as_deref())?;
    let excluded = excluded_query(&reference, &params, currency.as_deref())?;
    // The page and the count of what it left out, pipelined on the connection.
    let (mut c1, mut c2) = (&*conn, &*conn);
    let (rows, excluded) = futures_util::future::try_join(
        sql.into_query_of::<PublicClinic>().load::<PublicClinic>(&mut c1),
        crate::db::sql::count_or_zero(&mut c2, excluded),
    )
    .await?;
    let (rows, next) = split_page(rows, size, |c| order.cursor_of(c));
    let display = currency.as_deref().map(|c| (rates, c));
    let items = present_clinics(&conn, rows, &reference, display).await?;
    let next_page_token = next.map(|cursor| state.page_tokens.issue(&scope, &cursor));
    cacheable_json(&req, &ScreenedPage::new(items, next_page_token, excluded))
}
