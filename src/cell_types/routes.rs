use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::cell_types::repo::{self, AdministrationMethodRow, CellTypeRow};
use crate::disclaimer::{Disclaimed, DisclaimedPage};
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::pagination::{page_by_key, ListParams};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_cell_types)
        .service(get_cell_type)
        .service(list_administration_methods);
}

/// A type of stem cell.
#[derive(Serialize, ToSchema)]
pub struct CellTypeResponse {
    #[schema(example = "bm-msc")]
    pub slug: String,
    #[schema(example = "Bone marrow-derived mesenchymal stem cells")]
    pub name: String,
    #[schema(example = "BM-MSC")]
    pub abbreviation: String,
    /// Tissue the cells come from; null when the source does not say.
    pub source_tissue: Option<String>,
    /// How the cells are collected; null when the source does not say.
    pub collection_method: Option<String>,
    /// Whether the patient's own cells can be used; null when unknown.
    pub autologous: Option<bool>,
    /// Whether donor cells can be used; null when unknown.
    pub allogeneic: Option<bool>,
    /// `in_use` (offered clinically) or `research` (not offered to patients).
    #[schema(example = "in_use")]
    pub clinical_status: String,
    pub description: String,
    /// Where this record comes from.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
}

/// A way of delivering stem cells.
#[derive(Serialize, ToSchema)]
pub struct AdministrationMethodResponse {
    #[schema(example = "intradiscal-injection")]
    pub slug: String,
    #[schema(example = "Intradiscal injection")]
    pub name: String,
    pub description: String,
    /// Imaging used to guide placement; null when the source does not say.
    #[schema(example = "fluoroscopy")]
    pub imaging_guidance: Option<String>,
    /// Where this record comes from.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
}

impl From<CellTypeRow> for CellTypeResponse {
    fn from(row: CellTypeRow) -> Self {
        Self {
            slug: row.slug,
            name: row.name,
            abbreviation: row.abbreviation,
            source_tissue: row.source_tissue,
            collection_method: row.collection_method,
            autologous: row.autologous,
            allogeneic: row.allogeneic,
            clinical_status: row.clinical_status,
            description: row.description,
            source: row.source,
        }
    }
}

impl From<AdministrationMethodRow> for AdministrationMethodResponse {
    fn from(row: AdministrationMethodRow) -> Self {
        Self {
            slug: row.slug,
            name: row.name,
            description: row.description,
            imaging_guidance: row.imaging_guidance,
            source: row.source,
        }
    }
}

/// List cell types
///
/// Stem cell types, ordered by slug. `clinical_status` tells which are offered to patients (`in_use`)
/// and which are research only.
#[utoipa::path(
    tag = "catalogue",
    params(ListParams),
    responses(
        (status = 200, description = "A page of cell types", body = DisclaimedPage<CellTypeResponse>),
        (status = 304, description = "Not modified"),
        (status = "4XX", description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/cell-types")]
pub async fn list_cell_types(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let rows: Vec<CellTypeResponse> = repo::cell_types(&mut conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let page = page_by_key(
        rows,
        |c| c.slug.clone(),
        &params,
        &state.page_tokens,
        "cell-types",
    )?;
    cacheable_json(&req, &DisclaimedPage::from(page))
}

/// Get a cell type
///
/// One cell type by slug, with its source tissue, collection method and clinical status; fields the
/// source does not give are null.
#[utoipa::path(
    tag = "catalogue",
    params(("slug" = String, Path, description = "Cell type slug", example = "bm-msc", min_length = 1, max_length = 100, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")),
    responses(
        (status = 200, description = "The cell type", body = Disclaimed<CellTypeResponse>),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such cell type", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/cell-types/{slug}")]
pub async fn get_cell_type(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let row = repo::find_cell_type(&mut conn, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no cell type has slug {slug}")))?;
    cacheable_json(&req, &Disclaimed::new(CellTypeResponse::from(row)))
}

/// List administration methods
///
/// Ways stem cells are delivered (e.g. intradiscal injection), ordered by slug, a page at a time.
#[utoipa::path(
    tag = "catalogue",
    params(ListParams),
    responses(
        (status = 200, description = "A page of administration methods", body = DisclaimedPage<AdministrationMethodResponse>),
        (status = 304, description = "Not modified"),
        (status = "4XX", description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/administration-methods")]
pub async fn list_administration_methods(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let rows: Vec<AdministrationMethodResponse> = repo::administration_methods(&mut conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let page = page_by_key(
        rows,
        |m| m.slug.clone(),
        &params,
        &state.page_tokens,
        "administration-methods",
    )?;
    cacheable_json(&req, &DisclaimedPage::from(page))
}
