//! `GET /v1/trials`: the finder.

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::db::sql::Bind;
use crate::disclaimer::DISCLAIMER;
use crate::error::{ApiError, Problem};
use crate::filters::ListQuery;
use crate::http_cache::cacheable_json;
use crate::pagination::{page_size, split_page, Cursor, KeyType, SortKey};
use crate::state::AppState;
use crate::trial_registry::domain::known_country_code;
use crate::trials::domain::REGISTRY_NOTICE;
use crate::trials::dto::{TrialListParams, TrialPage};
use crate::trials::repo;

/// Trials are listed by NCT id (unique, so the order is total).
const ORDER: SortKey = SortKey {
    expr: "t.nct_id",
    key_type: KeyType::Text,
    descending: false,
};

/// Find registered trials
///
/// Registered clinical trials of stem cell or MSC treatments for the catalogue's conditions,
/// mirrored from ClinicalTrials.gov (and trials named in StemCare's sources), ordered by NCT id.
/// Filter by catalogue condition, location country and the registry's status (`RECRUITING` for
/// trials taking participants: the legitimate alternative to paying a clinic). Each trial links to
/// its registry page; a registry listing is not an approval (see `registry_notice`).
#[utoipa::path(
    tag = "trials",
    operation_id = "list_trials",
    params(TrialListParams),
    responses(
        (status = 200, description = "A page of trials", body = TrialPage),
        (status = 304, description = "Not modified (If-None-Match matched)"),
        (status = 400, description = "Unknown condition or country, bad status, page size or page token", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/trials")]
pub async fn list_trials(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<TrialListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let size = page_size(params.page_size)?;
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let mut query = ListQuery::new("trials", repo::LIST_BASE, "nct_id");
    if let Some(raw) = &params.condition {
        let slug = crate::conditions::repo::find(&mut conn, raw)
            .await?
            .map(|c| c.slug)
            .ok_or_else(|| {
                ApiError::invalid_query(
                    "condition",
                    format!("`{raw}` is not a known condition slug (see GET /v1/conditions)"),
                )
            })?;
        let scope = format!("condition={slug}");
        query.filter("t.condition_slugs @> ARRAY[{}::text]", Bind::Text(slug), scope);
    }
    if let Some(raw) = &params.country {
        let code = known_country_code(raw)
            .ok_or_else(|| ApiError::invalid_query("country", "must be an ISO 3166 alpha-2 country code"))?;
        let scope = format!("country={code}");
        query.filter("t.country_codes @> ARRAY[{}::text]", Bind::Text(code), scope);
    }
    if let Some(status) = params.status {
        let scope = format!("status={status}");
        query.filter(
            "t.overall_status = {}",
            Bind::Text(status.as_str().to_owned()),
            scope,
        );
    }
    let page = query.into_page(
        (),
        ORDER,
        "t.id",
        &state.page_tokens,
        params.page_token.as_deref(),
        size,
    )?;
    let scope = page.scope;
    let rows = repo::run_list(&mut conn, page.sql).await?;
    let (rows, next) = split_page(rows, size, |t| Cursor {
        key: serde_json::Value::String(t.nct_id.clone()),
        id: t.id,
    });
    cacheable_json(
        &req,
        &TrialPage {
            items: rows.into_iter().map(super::present).collect(),
            next_page_token: next.map(|cursor| state.page_tokens.issue(&scope, &cursor)),
            registry_notice: REGISTRY_NOTICE,
            disclaimer: DISCLAIMER,
        },
    )
}
