//! `GET /v1/quotes/{id}/export`: everything held about a quote, for its patient.

use actix_web::{get, web, HttpResponse};
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::http_cache::private_json;
use crate::quotes::dto::{AccessLogEntry, QuoteExport};
use crate::quotes::present::quote_response;
use crate::quotes::repo;
use crate::quotes::routes::{offer_views, patient_quote};
use crate::state::AppState;

/// Export my data
///
/// Everything StemCare holds about this quote, for the patient: the request with contact
/// details and notes, the offers, when consent was given, and who read the contact details.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The export", body = QuoteExport),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the patient may export", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/quotes/{id}/export")]
pub async fn export_quote(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    patient_quote(&mut conn, &principal, id).await?;
    let quote = repo::find(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such quote"))?;
    let consent_at = repo::consent_at(&mut conn, id).await?;
    let view = quote_response(&mut conn, &state.data_key, &principal, &quote).await?;
    let offers = offer_views(&mut conn, &state, id).await?;
    let access_log = repo::access_log(&mut conn, id)
        .await?
        .into_iter()
        .map(|(at, actor_role, action, request_id)| AccessLogEntry {
            at,
            actor_role,
            action,
            request_id,
        })
        .collect();
    private_json(
        actix_web::http::StatusCode::OK,
        &QuoteExport {
            quote: view,
            offers,
            access_log,
            consent_at,
        },
    )
}
