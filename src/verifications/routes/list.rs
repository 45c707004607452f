//! Listing verification records.

use actix_web::{get, web, HttpResponse};

use super::{require_staff, response};
use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::pagination::{page_size, Cursor};
use crate::state::AppState;
use crate::verifications::dto::{VerificationListParams, VerificationPage};
use crate::verifications::repo::{self, ListFilter};

/// List verification records
///
/// Every record, newest first, with whether it is `current` (no newer record on its subject) and
/// `in_force` (current, `verified` and not past `valid_until` today). Filter by subject kind,
/// subject, clinic, result or currency.
#[utoipa::path(
    tag = "verifications",
    operation_id = "list_verifications",
    params(VerificationListParams),
    responses(
        (status = 200, description = "A page of records", body = VerificationPage),
        (status = 400, description = "Bad filter or page token", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator or admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/verifications")]
pub async fn list_verifications(
    state: web::Data<AppState>,
    bearer: BearerToken,
    params: web::Query<VerificationListParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    require_staff(&mut conn, &bearer).await?;
    let params = params.into_inner();
    let size = page_size(params.page_size)?;
    let filter = ListFilter {
        kind: params.kind,
        subject_id: params.subject_id,
        clinic_id: params.clinic_id,
        result: params.result,
        current: params.current,
    };
    let scope = format!("verifications|{filter:?}");
    let before = match &params.page_token {
        Some(token) => Some(
            state
                .page_tokens
                .verify(&scope, token)?
                .key
                .as_i64()
                .ok_or_else(|| ApiError::invalid_query("page_token", "was issued for another list"))?,
        ),
        None => None,
    };
    let mut rows = repo::list(&mut conn, &filter, before, size + 1).await?;
    let has_more = rows.len() > usize::try_from(size).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    let next_page_token = match rows.last() {
        Some(last) if has_more => Some(state.page_tokens.issue(
            &scope,
            &Cursor {
                key: serde_json::json!(last.sequence),
                id: last.id,
            },
        )),
        _ => None,
    };
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
    let current = repo::current_among(&mut conn, &ids).await?;
    let today = state.clock.today();
    let items = rows.into_iter().map(|r| response(r, &current, today)).collect();
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(VerificationPage {
            items,
            next_page_token,
        }))
}
