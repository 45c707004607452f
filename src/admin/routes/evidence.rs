//! Admin maintenance of the evidence base: studies and summaries in the seed shape. Certainty is
//! never written by hand: every change re-grades the summaries with the documented rule.

use actix_web::{delete, put, web, HttpResponse};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admin::domain::{field_error, with_slug, FieldErrors};
use crate::admin::repo::evidence as repo;
use crate::auth::{require_admin, BearerToken};
use crate::error::{ApiError, Problem, ProblemKind};
use crate::reference::ReferenceCache;
use crate::state::AppState;

/// Registers the evidence maintenance endpoints.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(put_study)
        .service(delete_study)
        .service(put_summary)
        .service(delete_summary);
}

/// Create or replace a study
///
/// The body is a study record in the seed shape (`seeds/evidence/studies.json`); every summary
/// citing it is re-graded.
#[utoipa::path(
    tag = "admin",
    params(("slug" = String, Path, description = "Study slug: lower-case words joined by hyphens", min_length = 1, max_length = 100, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")),
    request_body(content = Object, description = "A study record as in seeds/evidence/studies.json"),
    responses(
        (status = 200, description = "Stored and summaries re-graded"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid study record", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/v1/admin/studies/{slug}")]
pub async fn put_study(
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    bearer: BearerToken,
    slug: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_admin(&mut conn, &bearer).await?;
    let record = with_slug(body.into_inner(), &slug).map_err(ApiError::validation)?;
    let (statement, document) = crate::seeds::study_upsert(&record)
        .map_err(|message| ApiError::validation(field_error("", message)))?;
    repo::upsert_and_regrade(&mut conn, statement, document).await?;
    crate::audit::record_admin(&mut conn, &principal, "put_study", &format!("study:{slug}")).await?;
    let id = repo::study_id(&mut conn, &slug).await?;
    reference_cache.invalidate();
    Ok(HttpResponse::Ok().json(serde_json::json!({"id": id, "slug": slug.as_str()})))
}

/// Delete a study
///
/// Refused (409) while a summary cites it.
#[utoipa::path(
    tag = "admin",
    params(("slug" = String, Path, description = "Study slug: lower-case words joined by hyphens", min_length = 1, max_length = 100, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such study", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A summary cites it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/admin/studies/{slug}")]
pub async fn delete_study(
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    bearer: BearerToken,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_admin(&mut conn, &bearer).await?;
    let citing = repo::summaries_citing(&mut conn, &slug).await?;
    if citing > 0 {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            format!("{citing} summary(ies) cite this study; update them first"),
        ));
    }
    if !repo::delete_study(&mut conn, &slug).await? {
        return Err(ApiError::not_found(format!("no study has slug {slug}")));
    }
    crate::audit::record_admin(&mut conn, &principal, "delete_study", &format!("study:{slug}")).await?;
    reference_cache.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

/// Create or replace an evidence summary
///
/// The body is a summary record in the seed shape (`seeds/evidence/evidence_summaries.json`);
/// every cited study must exist. Its certainty is computed, never taken from the body.
#[utoipa::path(
    tag = "admin",
    params(("slug" = String, Path, description = "Summary slug: lower-case words joined by hyphens", min_length = 1, max_length = 100, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")),
    request_body(content = Object, description = "A summary record as in seeds/evidence/evidence_summaries.json"),
    responses(
        (status = 200, description = "Stored and graded"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid summary, or it cites an unknown study or condition", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/v1/admin/evidence-summaries/{slug}")]
pub async fn put_summary(
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    bearer: BearerToken,
    slug: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_admin(&mut conn, &bearer).await?;
    let record = with_slug(body.into_inner(), &slug).map_err(ApiError::validation)?;
    let (statement, document) = crate::seeds::summary_upsert(&record)
        .map_err(|message| ApiError::validation(field_error("", message)))?;
    let mut errors = FieldErrors::default();
    let known = repo::study_slugs(&mut conn).await?;
    for (i, cited) in record["study_slugs"].as_array().into_iter().flatten().enumerate() {
        if !cited.as_str().is_some_and(|c| known.iter().any(|k| k == c)) {
            errors.add(&format!("/study_slugs/{i}"), "is not a known study");
        }
    }
    let condition = record["condition"].as_str().unwrap_or_default();
    if !repo::condition_exists(&mut conn, condition).await? {
        errors.add("/condition", "is not a known condition slug");
    }
    errors.or(()).map_err(ApiError::validation)?;
    repo::upsert_and_regrade(&mut conn, statement, document).await?;
    crate::audit::record_admin(
        &mut conn,
        &principal,
        "put_evidence_summary",
        &format!("summary:{slug}"),
    )
    .await?;
    let (id, certainty) = repo::summary_grade(&mut conn, &slug).await?;
    reference_cache.invalidate();
    Ok(HttpResponse::Ok().json(serde_json::json!({"id": id, "slug": slug.as_str(), "certainty": certainty})))
}

/// Delete an evidence summary
#[utoipa::path(
    tag = "admin",
    params(("slug" = String, Path, description = "Summary slug: lower-case words joined by hyphens", min_length = 1, max_length = 100, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such summary", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/admin/evidence-summaries/{slug}")]
pub async fn delete_summary(
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    bearer: BearerToken,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_admin(&mut conn, &bearer).await?;
    if !repo::delete_summary(&mut conn, &slug).await? {
        return Err(ApiError::not_found(format!("no summary has slug {slug}")));
    }
    crate::audit::record_admin(
        &mut conn,
        &principal,
        "delete_evidence_summary",
        &format!("summary:{slug}"),
    )
    .await?;
    reference_cache.invalidate();
    Ok(HttpResponse::NoContent().finish())
}
