//! `GET /v1/quotes/{id}/treatment`: the record, for the patient, the treating clinic and staff.

use actix_web::{get, web, HttpResponse};
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::http_cache::private_json;
use crate::state::AppState;
use crate::treatments::dto::TreatmentResponse;
use crate::treatments::routes::{open_details, readable_record, treatment_response};

/// Get a quote's treatment record
///
/// What the clinic delivered (or why nothing was), with the clinical details decrypted. Readable
/// by the patient (their quote token), the partner of the treating clinic and staff; anyone else
/// gets 404, as does a quote without a record.
#[utoipa::path(
    tag = "treatments",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The treatment record", body = TreatmentResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote or record, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/quotes/{id}/treatment")]
pub async fn get_treatment(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    let row = readable_record(&mut conn, &principal, *id).await?;
    let details = open_details(&state.data_key, &row)?;
    private_json(
        actix_web::http::StatusCode::OK,
        &treatment_response(&row, details),
    )
}
