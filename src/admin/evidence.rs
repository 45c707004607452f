//! Admin maintenance of the evidence base: studies and summaries in the seed shape. Certainty is
//! never written by hand: every change re-grades the summaries with the documented rule.

use actix_web::{delete, put, web, HttpResponse};
use diesel::prelude::*;
use diesel::sql_types::Jsonb;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::BearerToken;
use crate::db::schema::{conditions, evidence_summaries, studies};
use crate::error::{ApiError, FieldError, Problem, ProblemKind};
use crate::reference::ReferenceCache;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(put_study)
        .service(delete_study)
        .service(put_summary)
        .service(delete_summary);
}

fn with_slug(mut body: Value, slug: &str) -> Result<Value, ApiError> {
    if !crate::openapi::items::is_slug(slug) {
        return Err(ApiError::validation(vec![FieldError {
            pointer: "/path/slug".into(),
            message: "must be 1 to 100 lower-case letters and digits, words joined by single hyphens".into(),
        }]));
    }
    let Some(object) = body.as_object_mut() else {
        return Err(ApiError::validation(vec![FieldError {
            pointer: String::new(),
            message: "must be a JSON object".into(),
        }]));
    };
    match object.get("slug").and_then(Value::as_str) {
        Some(given) if given != slug => {
            return Err(ApiError::validation(vec![FieldError {
                pointer: "/slug".into(),
                message: "must match the slug in the path (or be omitted)".into(),
            }]))
        }
        _ => {}
    }
    object.insert("slug".into(), Value::String(slug.to_owned()));
    Ok(body)
}

async fn upsert(
    conn: &mut AsyncPgConnection,
    statement: &'static str,
    document: Value,
) -> Result<(), ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        diesel::sql_query(statement)
            .bind::<Jsonb, _>(&document)
            .execute(conn)
            .await?;
        crate::evidence::repo::refresh_certainty(conn).await?;
        Ok(())
    })
    .await
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
    let principal = super::routes::admin(&mut conn, &bearer).await?;
    let record = with_slug(body.into_inner(), &slug)?;
    let (statement, document) = crate::seeds::study_upsert(&record).map_err(|message| {
        ApiError::validation(vec![FieldError {
            pointer: String::new(),
            message,
        }])
    })?;
    upsert(&mut conn, statement, document).await?;
    crate::audit::record_admin(&mut conn, &principal, "put_study", &format!("study:{slug}")).await?;
    let id: uuid::Uuid = studies::table
        .filter(studies::slug.eq(slug.as_str()))
        .select(studies::id)
        .first(&mut conn)
        .await?;
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
    let principal = super::routes::admin(&mut conn, &bearer).await?;
    let citing: i64 = evidence_summaries::table
        .filter(evidence_summaries::study_slugs.contains(vec![slug.to_string()]))
        .count()
        .get_result(&mut conn)
        .await?;
    if citing > 0 {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            format!("{citing} summary(ies) cite this study; update them first"),
        ));
    }
    let deleted = diesel::delete(studies::table.filter(studies::slug.eq(slug.as_str())))
        .execute(&mut conn)
        .await?;
    if deleted == 0 {
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
    let principal = super::routes::admin(&mut conn, &bearer).await?;
    let record = with_slug(body.into_inner(), &slug)?;
    let (statement, document) = crate::seeds::summary_upsert(&record).map_err(|message| {
        ApiError::validation(vec![FieldError {
            pointer: String::new(),
            message,
        }])
    })?;
    let mut errors = Vec::new();
    let known: Vec<String> = studies::table.select(studies::slug).load(&mut conn).await?;
    for (i, cited) in record["study_slugs"].as_array().into_iter().flatten().enumerate() {
        if !cited.as_str().is_some_and(|c| known.iter().any(|k| k == c)) {
            errors.push(FieldError {
                pointer: format!("/study_slugs/{i}"),
                message: "is not a known study".into(),
            });
        }
    }
    let condition = record["condition"].as_str().unwrap_or_default();
    let condition_known: i64 = conditions::table
        .filter(conditions::slug.eq(condition))
        .count()
        .get_result(&mut conn)
        .await?;
    if condition_known == 0 {
        errors.push(FieldError {
            pointer: "/condition".into(),
            message: "is not a known condition slug".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    upsert(&mut conn, statement, document).await?;
    crate::audit::record_admin(
        &mut conn,
        &principal,
        "put_evidence_summary",
        &format!("summary:{slug}"),
    )
    .await?;
    let (id, certainty): (uuid::Uuid, String) = evidence_summaries::table
        .filter(evidence_summaries::slug.eq(slug.as_str()))
        .select((evidence_summaries::id, evidence_summaries::certainty))
        .first(&mut conn)
        .await?;
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
    let principal = super::routes::admin(&mut conn, &bearer).await?;
    let deleted =
        diesel::delete(evidence_summaries::table.filter(evidence_summaries::slug.eq(slug.as_str())))
            .execute(&mut conn)
            .await?;
    if deleted == 0 {
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
