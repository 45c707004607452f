use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::conditions::repo::{self, ConditionRow};
use crate::disclaimer::{DisclaimedPage, Disclaimer, DISCLAIMER};
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::pagination::{page_by_key, ListParams};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_conditions).service(get_condition);
}

/// A condition people seek stem cell therapy for.
#[derive(Serialize, ToSchema)]
pub struct ConditionResponse {
    /// Stable identifier.
    #[schema(example = "sciatica")]
    pub slug: String,
    #[schema(example = "Sciatica")]
    pub name: String,
    /// Plain-language description.
    pub description: String,
    /// Where in the body.
    #[schema(example = "lumbar_spine")]
    pub body_region: String,
    /// True where the US FDA statement StemCare relies on applies: no regenerative medicine product
    /// is approved for disc disease, back pain or neck pain. False for spinal cord injury, which
    /// that statement does not cover.
    pub spine_indication: bool,
    /// Cell types (slugs) a source links to this condition (a study in `usage_studies` that
    /// used it for this condition); empty when no source does, and then named in `unknown_fields`.
    pub cell_types: Vec<String>,
    /// Administration methods (slugs) a source links to this condition, as for `cell_types`.
    pub administration_methods: Vec<String>,
    /// Slugs of the studies (`GET /v1/studies`) behind `cell_types` and `administration_methods`.
    #[schema(example = json!(["centeno-2017-bm-msc-registry"]))]
    pub usage_studies: Vec<String>,
    /// How the two lists above were established.
    pub usage_note: Option<String>,
    /// Where the lists come from.
    #[schema(value_type = Option<Object>)]
    pub usage_source: Option<serde_json::Value>,
    /// Where this record comes from: `{title, url, section, retrieved_at}`.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
    /// Fields left empty because no source gives them: unknown, not "none".
    #[schema(example = json!(["cell_types", "administration_methods"]))]
    pub unknown_fields: Vec<&'static str>,
}

impl From<ConditionRow> for ConditionResponse {
    fn from(row: ConditionRow) -> Self {
        let unknown_fields = [
            ("cell_types", row.cell_types.is_empty()),
            ("administration_methods", row.administration_methods.is_empty()),
        ]
        .into_iter()
        .filter_map(|(name, missing)| missing.then_some(name))
        .collect();
        Self {
            slug: row.slug,
            name: row.name,
            description: row.description,
            body_region: row.body_region,
            spine_indication: row.spine_indication,
            cell_types: row.cell_types,
            administration_methods: row.administration_methods,
            usage_studies: row.usage_study_slugs,
            usage_note: row.usage_note,
            usage_source: row.usage_source,
            source: row.source,
            unknown_fields,
        }
    }
}

/// A condition with the number of listed clinics that treat it.
#[derive(Serialize, ToSchema)]
pub struct ConditionDetail {
    #[serde(flatten)]
    pub condition: ConditionResponse,
    /// Published clinics with a package covering this condition (critically flagged ones
    /// included: a count, not a recommendation).
    pub clinics_offering_treatment: i64,
    pub recruiting_trials: RecruitingTrials,
    pub disclaimer: Disclaimer,
}

/// Registered trials taking participants for this condition: the legitimate alternative to paying
/// a clinic (trial finder, `GET /v1/trials`).
#[derive(Serialize, ToSchema)]
pub struct RecruitingTrials {
    /// Mirrored ClinicalTrials.gov trials with status `RECRUITING` for this condition.
    #[schema(example = 3)]
    pub count: i64,
    /// The finder's list of them, relative to the API's base URL.
    #[schema(example = "/v1/trials?condition=spinal-cord-injury&status=RECRUITING")]
    pub href: String,
}

/// List conditions
///
/// Back and spine conditions people seek stem cell therapy for, ordered by slug.
#[utoipa::path(
    tag = "catalogue",
    params(ListParams),
    responses(
        (status = 200, description = "A page of conditions", body = DisclaimedPage<ConditionResponse>),
        (status = 304, description = "Not modified (If-None-Match matched)"),
        (status = "4XX", description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/conditions")]
pub async fn list_conditions(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let rows = repo::all(&mut conn).await?;
    let items: Vec<ConditionResponse> = rows.into_iter().map(Into::into).collect();
    let page = page_by_key(
        items,
        |c| c.slug.clone(),
        &params,
        &state.page_tokens,
        "conditions",
    )?;
    cacheable_json(&req, &DisclaimedPage::from(page))
}

/// Get a condition
///
/// One condition with the cell types and administration methods the source describes for it and the
/// number of listed clinics that treat it.
#[utoipa::path(
    tag = "catalogue",
    params(("slug" = String, Path, description = "Condition slug", example = "sciatica", min_length = 1, max_length = 100, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")),
    responses(
        (status = 200, description = "The condition", body = ConditionDetail),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such condition", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/conditions/{slug}")]
pub async fn get_condition(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let row = repo::find(&mut conn, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no condition has slug {slug}")))?;
    let clinics_offering_treatment = repo::count_published_clinics_treating(&mut conn, &row.slug).await?;
    let recruiting_trials = RecruitingTrials {
        count: repo::count_recruiting_trials(&mut conn, &row.slug).await?,
        href: format!("/v1/trials?condition={}&status=RECRUITING", row.slug),
    };
    cacheable_json(
        &req,
        &ConditionDetail {
            condition: row.into(),
            clinics_offering_treatment,
            recruiting_trials,
            disclaimer: DISCLAIMER,
        },
    )
}
