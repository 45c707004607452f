//! Studies: the list (keyset-paginated by slug) and one study.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::db::sql::Bind;
use crate::error::{ApiError, Problem};
use crate::evidence::grading::Design;
use crate::evidence::present::{
    present_study, EvidenceList, StudyDetail, StudyResponse, EVIDENCE_DISCLAIMER,
};
use crate::evidence::{repo, vocabulary};
use crate::filters::ListQuery;
use crate::http_cache::cacheable_json;
use crate::pagination::{page_size, split_page, Cursor, KeyType, SortKey};
use crate::state::AppState;

/// Studies are listed by slug (unique, so the order is total); the id breaks no ties but keeps the
/// keyset condition uniform with the other lists.
const ORDER: SortKey = SortKey {
    expr: "s.slug",
    key_type: KeyType::Text,
    descending: false,
};

/// Filters and paging of `GET /v1/studies`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StudyListParams {
    /// Condition slug the study population maps to.
    #[param(
        example = "degenerative-disc-disease",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub condition: Option<String>,
    /// Cell type slug of the intervention.
    #[param(
        example = "ad-msc",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub cell_type: Option<String>,
    /// Study design.
    #[param(inline, example = "single_arm_trial")]
    pub design: Option<Design>,
    /// Only studies that state at least this many participants (studies that do not say are left out).
    #[param(minimum = 0, example = 10, maximum = 2147483647)]
    pub min_participants: Option<i32>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page's `next_page_token`.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
}

/// List studies
///
/// Studies and article findings behind the evidence summaries, ordered by slug, with filters and
/// signed page tokens. Article paraphrases (`reported_via: article_paraphrase`) are listed with the
/// article's own words; they were not read in a primary source.
#[utoipa::path(
    tag = "evidence",
    params(StudyListParams),
    responses(
        (status = 200, description = "A page of studies", body = EvidenceList<StudyResponse>),
        (status = 304, description = "Not modified (If-None-Match matched)"),
        (status = 400, description = "Unknown condition, cell type or design, negative min_participants, bad page size or page token", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/studies")]
pub async fn list_studies(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<StudyListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let size = page_size(params.page_size)?;
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let mut query = ListQuery::new("studies", repo::STUDY_LIST_BASE, "slug");
    if let Some(raw) = &params.condition {
        let slug = vocabulary::known_condition(&mut conn, raw).await?;
        let scope = format!("condition={slug}");
        query.filter("s.conditions @> ARRAY[{}::text]", Bind::Text(slug), scope);
    }
    if let Some(raw) = &params.cell_type {
        let slug = vocabulary::known_cell_type(&mut conn, raw).await?;
        let scope = format!("cell_type={slug}");
        query.filter("s.intervention->>'cell_type' = {}", Bind::Text(slug), scope);
    }
    if let Some(design) = params.design {
        let scope = format!("design={}", design.as_str());
        query.filter("s.design = {}", Bind::Text(design.as_str().to_owned()), scope);
    }
    if let Some(min) = params.min_participants {
        if min < 0 {
            return Err(ApiError::invalid_query("min_participants", "must be 0 or more"));
        }
        let scope = format!("min_participants={min}");
        query.filter("s.participants >= {}", Bind::Int(min), scope);
    }
    let page = query.into_page(
        (),
        ORDER,
        "s.id",
        &state.page_tokens,
        params.page_token.as_deref(),
        size,
    )?;
    let scope = page.scope;
    let rows = repo::run_study_list(&mut conn, page.sql).await?;
    let (rows, next) = split_page(rows, size, |s| Cursor {
        key: serde_json::Value::String(s.slug.clone()),
        id: s.id,
    });
    cacheable_json(
        &req,
        &EvidenceList {
            items: rows.iter().map(present_study).collect(),
            next_page_token: next.map(|cursor| state.page_tokens.issue(&scope, &cursor)),
            disclaimer: EVIDENCE_DISCLAIMER,
        },
    )
}

/// Get a study
///
/// One study or article finding with its design, OCEBM level, participants, follow-up, outcomes,
/// results and adverse events as stated, and its source.
#[utoipa::path(
    tag = "evidence",
    params(("id" = Uuid, Path, description = "Study id")),
    responses(
        (status = 200, description = "The study", body = StudyDetail),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such study", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/studies/{id}")]
pub async fn get_study(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let study = repo::find_study(&mut conn, *id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no study has id {id}")))?;
    cacheable_json(
        &req,
        &StudyDetail {
            study: present_study(&study),
            disclaimer: EVIDENCE_DISCLAIMER,
        },
    )
}
