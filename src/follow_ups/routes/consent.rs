//! `PUT /v1/quotes/{id}/registry-consent`.

use actix_web::http::StatusCode;
use actix_web::{put, web, HttpResponse};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, Problem, ProblemKind};
use crate::follow_ups::dto::{RegistryConsentRequest, RegistryConsentResponse};
use crate::follow_ups::routes::patient_only;
use crate::follow_ups::{registry, repo};
use crate::http_cache::private_json;
use crate::state::AppState;

/// Set the registry consent
///
/// The patient's token only. `{"granted": true}` lets de-identified answers (scores with the
/// clinic, condition, cell type and country; no dates, no quote id, no contact) join the public outcome registry; `{"granted":
/// false}` withdraws it and removes them at once. Separate from the consent to process health
/// data given with the quote; revocable at any time. Idempotent.
#[utoipa::path(
    tag = "follow-ups",
    operation_id = "set_registry_consent",
    params(("id" = Uuid, Path, description = "Quote id")),
    request_body(content = RegistryConsentRequest, example = json!({"granted": true})),
    responses(
        (status = 200, description = "The consent as stored", body = RegistryConsentResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the patient's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The quote's data was erased", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/v1/quotes/{id}/registry-consent")]
pub async fn set_registry_consent(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
    body: web::Json<RegistryConsentRequest>,
) -> Result<HttpResponse, ApiError> {
    let quote_id = *id;
    let granted = body.granted;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    patient_only(&mut conn, &principal, quote_id).await?;
    let now = state.clock.now();
    conn.transaction::<_, ApiError, _>(async |conn| {
        let quote = crate::quotes::repo::lock(conn, quote_id).await?;
        if quote.erased_at.is_some() && granted {
            return Err(ApiError::new(
                ProblemKind::Conflict,
                "the patient erased this quote's data",
            ));
        }
        repo::set_registry_consent(conn, quote_id, granted.then_some(now)).await?;
        registry::sync(conn, &state.data_key, quote_id, now.date_naive()).await?;
        Ok(())
    })
    .await?;
    private_json(StatusCode::OK, &RegistryConsentResponse { granted })
}
