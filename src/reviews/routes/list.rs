//! `GET /v1/clinics/{id}/reviews`: a clinic's published reviews, newest first.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::disclaimer::DisclaimedPage;
use crate::error::{ApiError, Problem, ProblemKind};
use crate::http_cache::cacheable_json;
use crate::ids::{ClinicId, ReviewId};
use crate::pagination::{page_size, split_page, Cursor};
use crate::reviews::dto::{ReviewListParams, ReviewResponse};
use crate::reviews::repo;
use crate::state::AppState;

/// List a clinic's reviews
///
/// Reviews by verified patients (their treatment was recorded by the clinic), newest first, good
/// and bad alike: rating, text, the red flags its claims raise (shown, never hidden), "verified
/// patient, treated <Month YYYY>" (never a name, contact or quote), whether it was edited, and the
/// clinic's reply. Reviews are self-selected, unblinded accounts, not evidence of effect; see the
/// disclaimer. Cacheable (ETag, `Cache-Control: public, max-age=60`).
#[utoipa::path(
    tag = "reviews",
    params(("id" = uuid::Uuid, Path, description = "Clinic id"), ReviewListParams),
    responses(
        (status = 200, description = "A page of reviews", body = DisclaimedPage<ReviewResponse>),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Invalid query or page token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such published clinic", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/clinics/{id}/reviews")]
pub async fn list_clinic_reviews(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
    params: web::Query<ReviewListParams>,
) -> Result<HttpResponse, ApiError> {
    let clinic_id = ClinicId(*id);
    let size = page_size(params.page_size)?;
    let scope = format!("clinic-reviews:{clinic_id}");
    let after = match &params.page_token {
        Some(token) => Some(position(&state.page_tokens.verify(&scope, token)?)?),
        None => None,
    };
    let conn = state.pool.get().await?;
    if !repo::clinic_is_listed(&mut &*conn, clinic_id).await? {
        return Err(ApiError::not_found(format!(
            "no published clinic has id {clinic_id}"
        )));
    }
    let rows = repo::page_for_clinic(&mut &*conn, clinic_id, after, size + 1).await?;
    drop(conn);
    let (rows, next) = split_page(rows, size, |(review, _)| Cursor {
        key: serde_json::Value::String(review.created_at.to_rfc3339_opts(SecondsFormat::Micros, true)),
        id: review.id.uuid(),
    });
    let page = DisclaimedPage {
        items: rows.iter().map(ReviewResponse::from_rows).collect(),
        next_page_token: next.map(|cursor| state.page_tokens.issue(&scope, &cursor)),
        disclaimer: crate::disclaimer::DISCLAIMER,
    };
    cacheable_json(&req, &page)
}

/// The keyset position a verified token carries.
fn position(cursor: &Cursor) -> Result<(DateTime<Utc>, ReviewId), ApiError> {
    cursor
        .key
        .as_str()
        .and_then(|key| DateTime::parse_from_rfc3339(key).ok())
        .map(|at| (at.with_timezone(&Utc), ReviewId(cursor.id)))
        .ok_or_else(|| {
            ApiError::new(ProblemKind::InvalidPageToken, "was issued for another list")
                .with_field("/query/page_token", "was issued for another list")
        })
}
