//! Evidence summaries: the list, one summary, and a condition's evidence.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::{ApiError, Problem};
use crate::evidence::grading::Certainty;
use crate::evidence::model::EvidenceSummary;
use crate::evidence::present::{
    present_study, present_summary, ConditionEvidenceResponse, EvidenceList, EvidenceSummaryDetail,
    EvidenceSummaryResponse, EVIDENCE_DISCLAIMER,
};
use crate::evidence::repo::{self, SummaryFilter};
use crate::evidence::vocabulary;
use crate::http_cache::cacheable_json;
use crate::pagination::{page_by_key, ListParams};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_evidence_summaries)
        .service(get_evidence_summary)
        .service(get_condition_evidence)
        .service(crate::evidence::studies::list_studies)
        .service(crate::evidence::studies::get_study);
}

/// Filters and paging of `GET /v1/evidence-summaries`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryListParams {
    /// Condition slug.
    #[param(
        example = "degenerative-disc-disease",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub condition: Option<String>,
    /// Cell type slug: only summaries specific to this cell type.
    #[param(
        example = "ad-msc",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub cell_type: Option<String>,
    /// Only summaries of this certainty.
    #[param(inline, example = "very_low")]
    pub certainty: Option<Certainty>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page's `next_page_token`.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
}

/// Presents summaries with their citations (one query for all cited studies).
async fn present_all(
    conn: &mut diesel_async::AsyncPgConnection,
    rows: &[EvidenceSummary],
) -> Result<Vec<EvidenceSummaryResponse>, ApiError> {
    let slugs: Vec<String> = rows.iter().flat_map(|s| s.study_slugs.clone()).collect();
    let studies = repo::studies_by_slug(conn, &slugs).await?;
    Ok(rows.iter().map(|s| present_summary(s, &studies)).collect())
}

/// List evidence summaries
///
/// One summary per condition (and per cell type where the studies differ by cell type), ordered by
/// slug. Certainty is computed from the cited studies with GRADE and StemCare's caps: only
/// uncontrolled studies (single-arm trials, case series, registries) can never grade above
/// `very_low`, and article paraphrases and reviews never raise it. `none` means no study was found.
#[utoipa::path(
    tag = "evidence",
    params(SummaryListParams),
    responses(
        (status = 200, description = "A page of evidence summaries", body = EvidenceList<EvidenceSummaryResponse>),
        (status = 304, description = "Not modified (If-None-Match matched)"),
        (status = 400, description = "Unknown condition, cell type or certainty, bad page size or page token", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/evidence-summaries")]
pub async fn list_evidence_summaries(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<SummaryListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let condition = match &params.condition {
        Some(raw) => Some(vocabulary::known_condition(&mut conn, raw).await?),
        None => None,
    };
    let cell_type = match &params.cell_type {
        Some(raw) => Some(vocabulary::known_cell_type(&mut conn, raw).await?),
        None => None,
    };
    let certainty = params.certainty.map(Certainty::as_str);
    let filter = SummaryFilter {
        condition: condition.as_deref(),
        cell_type: cell_type.as_deref(),
        certainty,
    };
    let scope = format!(
        "evidence-summaries|condition={}|cell_type={}|certainty={}",
        filter.condition.unwrap_or(""),
        filter.cell_type.unwrap_or(""),
        filter.certainty.unwrap_or("")
    );
    let rows = repo::list_summaries(&mut conn, &filter).await?;
    let paging = ListParams {
        page_size: params.page_size,
        page_token: params.page_token,
    };
    let page = page_by_key(rows, |s| s.slug.clone(), &paging, &state.page_tokens, &scope)?;
    let items = present_all(&mut conn, &page.items).await?;
    cacheable_json(
        &req,
        &EvidenceList {
            items,
            next_page_token: page.next_page_token,
            disclaimer: EVIDENCE_DISCLAIMER,
        },
    )
}

/// Get an evidence summary
///
/// One summary with its certainty, the reasons for it per GRADE domain, the consumer badge, the
/// reported benefit range and harms, what is unknown, the regulatory context and its citations.
#[utoipa::path(
    tag = "evidence",
    params(("id" = Uuid, Path, description = "Evidence summary id")),
    responses(
        (status = 200, description = "The evidence summary", body = EvidenceSummaryDetail),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such summary", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/evidence-summaries/{id}")]
pub async fn get_evidence_summary(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let row = repo::find_summary(&mut conn, *id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no evidence summary has id {id}")))?;
    let summary = present_all(&mut conn, std::slice::from_ref(&row))
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("presenting one summary gave none"))?;
    cacheable_json(
        &req,
        &EvidenceSummaryDetail {
            summary,
            disclaimer: EVIDENCE_DISCLAIMER,
        },
    )
}

/// Get the evidence for a condition
///
/// The condition's evidence summary, its per-cell-type summaries and the full records of every
/// study they cite, so a client can show the whole picture in one request.
#[utoipa::path(
    tag = "evidence",
    params(("slug" = String, Path, description = "Condition slug", example = "degenerative-disc-disease", min_length = 1, max_length = 100, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")),
    responses(
        (status = 200, description = "The condition's evidence", body = ConditionEvidenceResponse),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such condition", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/conditions/{slug}/evidence")]
pub async fn get_condition_evidence(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    if !repo::condition_exists(&mut conn, &slug).await? {
        return Err(ApiError::not_found(format!("no condition has slug {slug}")));
    }
    let rows = repo::summaries_for_condition(&mut conn, &slug).await?;
    let slugs: Vec<String> = rows.iter().flat_map(|s| s.study_slugs.clone()).collect();
    let studies = repo::studies_by_slug(&mut conn, &slugs).await?;
    let mut summary = None;
    let mut cell_type_summaries = Vec::new();
    for row in &rows {
        let presented = present_summary(row, &studies);
        if row.cell_type.is_none() {
            summary = Some(presented);
        } else {
            cell_type_summaries.push(presented);
        }
    }
    let mut cited: Vec<_> = studies.values().map(present_study).collect();
    cited.sort_by(|a, b| a.slug.cmp(&b.slug));
    cacheable_json(
        &req,
        &ConditionEvidenceResponse {
            condition: slug.into_inner(),
            summary,
            cell_type_summaries,
            studies: cited,
            disclaimer: EVIDENCE_DISCLAIMER,
        },
    )
}
