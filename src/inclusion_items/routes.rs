use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::disclaimer::DisclaimedPage;
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::inclusion_items::repo;
use crate::pagination::{page_by_key, ListParams};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_inclusion_items);
}

/// One item of the inclusion vocabulary.
#[derive(Serialize, ToSchema)]
pub struct InclusionItemResponse {
    /// The code packages (`inclusions`, `exclusions`, `unknown_items`) and offers use.
    #[schema(example = "diagnostics")]
    pub code: String,
    #[schema(example = "Diagnostics")]
    pub label: String,
    #[schema(example = "Any necessary diagnostic tests before treatment, including imaging such as MRI.")]
    pub description: String,
    /// Where the item comes from: `{title, url, section, retrieved_at}`.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
}

/// List the inclusion vocabulary
///
/// Every code a package or an offer may list as included or excluded, in the order the catalogue
/// shows them, a page at a time. Cacheable: the vocabulary changes only with the seed data.
#[utoipa::path(
    tag = "catalogue",
    params(ListParams),
    responses(
        (status = 200, description = "A page of inclusion items", body = DisclaimedPage<InclusionItemResponse>),
        (status = 304, description = "Not modified"),
        (status = "4XX", description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/inclusion-items")]
pub async fn list_inclusion_items(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let rows = repo::all(&mut conn).await?;
    // Pages are keyed by position, zero-padded so the keys sort as the positions do.
    let keyed: Vec<(String, InclusionItemResponse)> = rows
        .into_iter()
        .map(|row| {
            (
                format!("{:010}", row.position),
                InclusionItemResponse {
                    code: row.code,
                    label: row.label,
                    description: row.description,
                    source: row.source,
                },
            )
        })
        .collect();
    let page = page_by_key(
        keyed,
        |(key, _)| key.clone(),
        &params,
        &state.page_tokens,
        "inclusion-items",
    )?;
    let page = crate::pagination::Page {
        items: page.items.into_iter().map(|(_, item)| item).collect(),
        next_page_token: page.next_page_token,
    };
    cacheable_json(&req, &DisclaimedPage::from(page))
}
