//! Creating clinics, and upserting them by the partner's own id.

use actix_web::http::StatusCode;
use actix_web::{post, put, web, HttpResponse};
use diesel_async::AsyncConnection;
use serde_json::Value;

use super::{clinic_response, partner_id, respond, LISTING};
use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::idempotency::{IdempotencyKey, Idempotent};
use crate::partner_listings::domain;
use crate::partner_listings::dto::ClinicInput;
use crate::partner_listings::repo::{self, VocabularyData};
use crate::partner_listings::view::PartnerClinicResponse;
use crate::state::AppState;

/// Create a clinic
///
/// Creates a clinic owned by the calling partner. It is checked against the red-flag rules: a
/// clean listing is published at once, a flagged one waits in moderation (`pending_review`).
#[utoipa::path(
    tag = "partner",
    request_body(content = ClinicInput, example = json!({
        "external_id": "crm-1042", "name": "Example Spine Clinic", "country": "MX", "city": "Cancun",
        "description": "Outpatient spine clinic offering bone marrow cell injections under fluoroscopy.",
        "specialties": ["orthopedics"], "languages": ["en", "es"], "website": "https://clinic.example"
    })),
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response instead of creating a second clinic (listings without an external_id have no other guard)")),
    responses(
        (status = 201, description = "Created", body = PartnerClinicResponse,
         headers(("Location" = String, description = "URL of the clinic"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "external_id already used, or a request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/partner/clinics")]
pub async fn create_clinic(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let body = body.into_inner();
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST /v1/partner/clinics {partner}"),
        idempotency_key,
        &body,
    );
    idempotent
        .create(&mut conn, None, async |conn| {
            let vocab = VocabularyData::load(conn).await?;
            let input = domain::parse_clinic(body, &vocab.view()).map_err(ApiError::validation)?;
            let (id, _) = repo::write_clinic(conn, partner, None, &input)
                .await
                .map_err(repo::external_id_taken)?
                .ok_or_else(|| ApiError::internal("insert returned nothing"))?;
            repo::after_change(conn, &state.rules, id).await?;
            clinic_response(conn, partner, id, StatusCode::CREATED).await
        })
        .await
}

/// Upsert a clinic by my id
///
/// Creates the clinic with this `external_id` (201) or replaces its listing (200). Sending the
/// same listing again changes nothing. Idempotent, so integrations can resend their state.
#[utoipa::path(
    tag = "partner",
    params(("external_id" = String, Path, description = "The partner's own id for the clinic (1–100 characters)", min_length = 1, max_length = 100, pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")),
    request_body = ClinicInput,
    responses(
        (status = 200, description = "Updated or unchanged", body = PartnerClinicResponse),
        (status = 201, description = "Created", body = PartnerClinicResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/v1/partner/clinics/by-external-id/{external_id}")]
pub async fn upsert_clinic_by_external_id(
    state: web::Data<AppState>,
    bearer: BearerToken,
    external_id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let vocab = VocabularyData::load(&mut conn).await?;
    let input = domain::parse_clinic_for_external_id(body.into_inner(), &external_id, &vocab.view())
        .map_err(ApiError::validation)?;
    let (id, created) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let existing = repo::own_clinic_by_external_id(conn, partner, &external_id).await?;
            match existing {
                Some(clinic)
                    if clinic.input_hash.as_deref() == Some(repo::fingerprint(&input).as_slice()) =>
                {
                    Ok((clinic.id, false))
                }
                Some(clinic) => {
                    repo::write_clinic(conn, partner, Some((clinic.id, clinic.version)), &input)
                        .await
                        .map_err(repo::external_id_taken)?
                        .ok_or_else(|| LISTING.lost_race())?;
                    repo::after_change(conn, &state.rules, clinic.id).await?;
                    Ok((clinic.id, false))
                }
                None => {
                    let (id, _) = repo::write_clinic(conn, partner, None, &input)
                        .await
                        .map_err(repo::external_id_taken)?
                        .ok_or_else(|| ApiError::internal("insert returned nothing"))?;
                    repo::after_change(conn, &state.rules, id).await?;
                    Ok((id, true))
                }
            }
        })
        .await?;
    respond(
        &mut conn,
        partner,
        id,
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
    )
    .await
}
