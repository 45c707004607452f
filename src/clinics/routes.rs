use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::TryFutureExt;
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::clinics::model::PublicClinic;
use crate::clinics::present::{present, ClinicDetail, ClinicResponse, PriceFrom};
use crate::db::schema::clinics;
use crate::db::sql::{select_list, Bind, SqlBuilder};
use crate::disclaimer::{Excluded, ScreenedPage, DISCLAIMER};
use crate::error::{ApiError, Problem};
use crate::filters::{self, ListQuery, PageQuery};
use crate::http_cache::cacheable_json;
use crate::listings::ResponseTime;
use crate::money::Rates;
use crate::pagination::{
    page_by_key, page_size, split_page, Cursor, KeyType, ListParams, PageTokens, SortKey,
};
use crate::red_flags::repo::DetectionRow;
use crate::red_flags::{repo as flags_repo, RedFlag};
use crate::reference::Reference;
use crate::state::AppState;
use crate::treatment_packages::model::TreatmentPackage;
use crate::treatment_packages::present::PackagePrice;
use crate::treatment_packages::present::TreatmentPackageResponse;
use crate::treatment_packages::present_packages;
use crate::treatment_packages::repo::{self as packages_repo, ClinicSummary};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_clinics)
        .service(get_clinic)
        .service(list_clinic_packages);
}

/// Sorts unknown prices after every known one.
const UNKNOWN_PRICE_SORT: &str = "999999999999.99";

/// Orderings of the clinic list; `-` means descending.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq, Default)]
pub enum ClinicOrder {
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
    /// Cheapest published package first; clinics without a price last.
    #[serde(rename = "price")]
    Price,
    #[serde(rename = "-price")]
    PriceDesc,
    /// Fewest first; unknown volumes sort as -1.
    #[serde(rename = "patients_per_year")]
    PatientsPerYear,
    #[serde(rename = "-patients_per_year")]
    PatientsPerYearDesc,
    #[serde(rename = "score")]
    Score,
    /// Highest score first (the default).
    #[serde(rename = "-score")]
    #[default]
    ScoreDesc,
}

impl ClinicOrder {
    fn sort_key(self) -> SortKey {
        use ClinicOrder::*;
        let (expr, key_type) = match self {
            Name | NameDesc => ("c.name", KeyType::Text),
            Price | PriceDesc => ("COALESCE(c.price_from_usd, 999999999999.99)", KeyType::Numeric),
            PatientsPerYear | PatientsPerYearDesc => ("COALESCE(c.patients_per_year, -1)", KeyType::Int),
            Score | ScoreDesc => ("c.score", KeyType::Numeric),
        };
        SortKey {
            expr,
            key_type,
            descending: matches!(self, NameDesc | PriceDesc | PatientsPerYearDesc | ScoreDesc),
        }
    }

    fn name(self) -> &'static str {
        use ClinicOrder::*;
        match self {
            Name => "name",
            NameDesc => "-name",
            Price => "price",
            PriceDesc => "-price",
            PatientsPerYear => "patients_per_year",
            PatientsPerYearDesc => "-patients_per_year",
            Score => "score",
            ScoreDesc => "-score",
        }
    }

    fn cursor_of(self, clinic: &PublicClinic) -> Cursor {
        use ClinicOrder::*;
        let key = match self {
            Name | NameDesc => serde_json::Value::String(clinic.name.clone()),
            Price | PriceDesc => serde_json::Value::String(
                clinic
                    .price_from_usd
                    .map_or_else(|| UNKNOWN_PRICE_SORT.to_owned(), |p| p.to_string()),
            ),
            PatientsPerYear | PatientsPerYearDesc => {
                serde_json::Value::from(clinic.patients_per_year.unwrap_or(-1))
            }
            Score | ScoreDesc => serde_json::Value::String(clinic.score.to_string()),
        };
        Cursor { key, id: clinic.id }
    }
}

/// Filters, order and paging of `GET /v1/clinics`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClinicListParams {
    /// ISO 3166-1 alpha-2 country code.
    #[param(example = "TR", min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
    /// City, case-insensitive exact match.
    #[param(
        example = "Istanbul",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub city: Option<String>,
    /// Condition slug covered by a published package.
    #[param(
        example = "sciatica",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub condition: Option<String>,
    /// Cell type slug used by a published package.
    #[param(
        example = "bm-msc",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub cell_type: Option<String>,
    /// Accreditation body on record, e.g. `JCI`.
    #[param(
        example = "JCI",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub accreditation: Option<String>,
    /// A language the clinic serves patients in: a BCP 47 tag or its leading part, matched
    /// case-insensitively (RFC 4647 basic filtering): `es` finds clinics listing `es` or `es-MX`,
    /// `es-MX` only those listing `es-MX` or a longer tag. Clinics whose languages are unknown are
    /// not listed.
    #[param(value_type = Option<crate::openapi::items::LanguageTag>, inline, example = "es")]
    pub language: Option<String>,
    /// `true`: clinics known to treat children; `false`: clinics known not to.
    pub serves_children: Option<bool>,
    /// Minimum known patients per year.
    #[param(minimum = 0, example = 1000, maximum = 2147483647)]
    pub min_patients_per_year: Option<i32>,
    /// Highest acceptable cheapest-package price, in `currency`.
    #[param(example = "9000", max_length = 15, pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
    pub max_price: Option<String>,
    /// ISO 4217 code for `max_price` and for the converted prices added to each item.
    #[param(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    /// Full-text search over name, city, specialties and description.
    #[param(
        example = "bangkok",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub q: Option<String>,
    /// `true` also lists clinics with a critical red flag (on the clinic or one of its packages),
    /// which default lists and searches leave out; each item carries its flags either way.
    pub include_flagged: Option<bool>,
    /// Allow-listed order (default `-score`).
    #[param(inline)]
    pub order_by: Option<ClinicOrder>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
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
        crate::listings::response_times(&mut c2, &ids),
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
    params: web::Query<ClinicListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let conn = state.reads.get_or(&state.pool).await?;
    let reference = state.reference.get(&mut &*conn).await?;
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
        count_excluded(&mut c2, excluded),
    )
    .await?;
    let (rows, next) = split_page(rows, size, |c| order.cursor_of(c));
    let display = currency.as_deref().map(|c| (rates, c));
    let items = present_clinics(&conn, rows, &reference, display).await?;
    let next_page_token = next.map(|cursor| state.page_tokens.issue(&scope, &cursor));
    cacheable_json(
        &req,
        &ScreenedPage {
            items,
            next_page_token,
            excluded: Excluded {
                critical_flags: excluded,
            },
            disclaimer: DISCLAIMER,
        },
    )
}

/// One `count(*) AS n` row.
#[derive(diesel::QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Runs a count built by [`excluded_query`] (0 when there is none).
pub(crate) async fn count_excluded(
    conn: &mut &AsyncPgConnection,
    query: Option<SqlBuilder>,
) -> diesel::QueryResult<i64> {
    match query {
        Some(sql) => Ok(sql.into_query().get_result::<CountRow>(conn).await?.n),
        None => Ok(0),
    }
}

/// `currency` for one clinic.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClinicGetParams {
    /// ISO 4217 code: adds converted prices with the rate and its date.
    #[param(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
}

async fn find_published(conn: &mut &AsyncPgConnection, id: Uuid) -> Result<PublicClinic, ApiError> {
    clinics::table
        .find(id)
        .filter(clinics::status.eq("published"))
        .select(PublicClinic::as_select())
        .first(conn)
        .await
        .optional()?
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
        (status = 400, description = "Invalid currency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/clinics/{id}")]
pub async fn get_clinic(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    params: web::Query<ClinicGetParams>,
) -> Result<HttpResponse, ApiError> {
    // A catalogue read: one of this worker's shared, pipelined connections (see `db::shared`).
    let conn = state.reads.get_or(&state.pool).await?;
    let reference = state.reference.get(&mut &*conn).await?;
    let currency = reference.rates.parse_currency_param(params.currency.as_deref())?;
    let display = currency.as_deref().map(|c| (&reference.rates, c));
    // Four independent reads, pipelined on the connection: the clinic, its packages (cheapest
    // first), the red flags of both, its response times.
    let ids = [*id];
    let (mut c1, mut c2, mut c3, mut c4) = (&*conn, &*conn, &*conn, &*conn);
    let (clinic, packages, mut flags, speeds) = futures_util::future::try_join4(
        find_published(&mut c1, *id),
        packages_repo::published_for_clinics(&mut c2, &ids).err_into::<ApiError>(),
        flags_repo::detections_for_clinic(&mut c3, *id).err_into::<ApiError>(),
        crate::listings::response_times(&mut c4, &ids).err_into::<ApiError>(),
    )
    .await?;
    // Slice `first`, not diesel's `FirstDsl::first` (the prelude is in scope for `find_published`).
    let cheapest = <[TreatmentPackage]>::first(&packages).map(|package| {
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
    cacheable_json(
        &req,
        &ClinicDetail {
            clinic: presented,
            treatment_packages,
            disclaimer: DISCLAIMER,
        },
    )
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
        (status = 400, description = "Invalid page size or token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/clinics/{id}/treatment-packages")]
pub async fn list_clinic_packages(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    params: web::Query<ClinicPackagesParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let include_flagged = params.include_flagged == Some(true);
    let conn = state.reads.get_or(&state.pool).await?;
    let clinic = find_published(&mut &*conn, *id).await?;
    let reference = state.reference.get(&mut &*conn).await?;
    let mut packages = packages_repo::published_for_clinics(&mut &*conn, &[clinic.id]).await?;
    let all = packages.len();
    if !include_flagged {
        packages.retain(|p| !p.has_critical_flag);
    }
    let excluded = i64::try_from(all - packages.len()).unwrap_or(i64::MAX);
    packages.sort_by_key(|p| p.id);
    let ids: Vec<Uuid> = packages.iter().map(|p| p.id).collect();
    let mut flags = flags_repo::detections_for(&mut &*conn, &ids).await?;
    let summary = ClinicSummary::of(&clinic.name, &clinic.country_code);
    let presented = present_packages(&packages, |_| Some(&summary), &mut flags, &reference, None)?;
    let scope = format!("clinic-packages|{}|include_flagged={include_flagged}", clinic.id);
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
    cacheable_json(
        &req,
        &ScreenedPage {
            items: page.items,
            next_page_token: page.next_page_token,
            excluded: Excluded {
                critical_flags: excluded,
            },
            disclaimer: DISCLAIMER,
        },
    )
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
}
