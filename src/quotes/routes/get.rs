//! `GET /v1/quotes/{id}`.

use actix_web::{get, web, HttpResponse};
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::http_cache::private_json;
use crate::quotes::dto::QuoteResponse;
use crate::quotes::present::quote_response;
use crate::quotes::repo;
use crate::state::AppState;

/// Get a quote
///
/// For the patient (`Bearer qt_…`), staff, or a partner whose clinic the quote was shared with.
/// Partners see the condition, notes, preferences, budget and country, but no contact details
/// until the patient accepts their offer; every read of contact details by staff or partners is
/// written to the audit log. Never cached.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The quote", body = QuoteResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/quotes/{id}")]
pub async fn get_quote(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    let quote = repo::visible_quote(&mut conn, &principal, *id).await?;
    let view = quote_response(&mut conn, &state.data_key, &principal, &quote).await?;
    private_json(actix_web::http::StatusCode::OK, &view)
}
