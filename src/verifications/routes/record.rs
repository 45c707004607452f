//! Recording a verification.

use actix_web::{post, web, HttpResponse};
use serde_json::Value;

use super::{require_staff, response};
use crate::auth::BearerToken;
use crate::error::{ApiError, FieldError, Problem};
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::red_flags::verified::VerificationResult;
use crate::state::AppState;
use crate::verifications::domain::NewVerification;
use crate::verifications::dto::{RecordVerificationRequest, VerificationResponse};
use crate::verifications::model::NewVerificationRow;
use crate::verifications::repo::{self, Resolution};

/// A 422 on the subject.
fn subject_error(message: &str) -> ApiError {
    ApiError::validation(vec![FieldError {
        pointer: "/subject/id".into(),
        message: message.into(),
    }])
}

/// Record a verification
///
/// Records what a coordinator checked against a primary source: a practitioner's licence (with
/// its issuing body), a clinic's accreditation (with the accreditor) or a clinic's trial claim
/// (with the registry). Records are append-only: a newer record on the same subject supersedes
/// this one. A `verified` record counts from now until the end of its `valid_until` day; the
/// clinic's red flags and score are recomputed at once. `checked_by` is the calling key.
#[utoipa::path(
    tag = "verifications",
    operation_id = "record_verification",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; a retry with the same key and body replays the first response instead of recording twice")),
    request_body(content = RecordVerificationRequest, example = json!({
        "subject": {"kind": "practitioner_licence", "id": "0b6f3c1e-8f0e-4a51-9a57-6a1d3f0f2d11"},
        "source_url": "https://www.gmc-uk.org/registration-and-licensing/the-medical-register",
        "checked_at": "2026-12-07T10:00:00Z", "result": "verified", "valid_until": "2027-06-30",
        "note": "Register entry matches number, name and country; licence to practise shown."
    })),
    responses(
        (status = 201, description = "Recorded", body = VerificationResponse,
         headers(("Location" = String, description = "The list filtered to this subject"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator or admin key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, an unknown subject, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/verifications")]
pub async fn record_verification(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_staff(&mut conn, &bearer).await?;
    let key_id = principal
        .key_id()
        .ok_or_else(|| ApiError::internal("a staff principal without a key"))?;
    let body = body.into_inner();
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST /v1/admin/verifications {key_id}"),
        idempotency_key,
        &body,
    );
    idempotent
        .create(&mut conn, None, async |conn| {
            let request: RecordVerificationRequest = serde_json::from_value(body).map_err(|e| {
                ApiError::validation(vec![FieldError {
                    pointer: String::new(),
                    message: e.to_string(),
                }])
            })?;
            let now = state.clock.now();
            let today = state.clock.today();
            let parsed = NewVerification::parse(request, now).map_err(ApiError::validation)?;
            let (clinic_id, subject_key) = match repo::resolve(conn, &parsed.subject).await? {
                Resolution::Found {
                    clinic_id,
                    subject_key,
                } => (clinic_id, subject_key),
                Resolution::Missing => return Err(subject_error("no such practitioner or clinic")),
                Resolution::NoLicence => {
                    return Err(subject_error("this practitioner has no licence number to verify"))
                }
                Resolution::NotClaimed => {
                    return Err(ApiError::validation(vec![FieldError {
                        pointer: "/subject/accreditation".into(),
                        message: "the clinic claims no accreditation by this body".into(),
                    }]))
                }
            };
            let record = repo::insert(
                conn,
                &NewVerificationRow {
                    subject_kind: parsed.subject.kind(),
                    subject_id: parsed.subject.id(),
                    subject_key: &subject_key,
                    clinic_id,
                    source_url: &parsed.source_url,
                    checked_at: parsed.checked_at,
                    checked_by_key: key_id,
                    checked_by_role: principal.role(),
                    result: parsed.result,
                    valid_until: parsed.valid_until,
                    note: parsed.note.as_deref(),
                    recorded_at: now,
                },
            )
            .await?;
            // Already past its date (a check recorded late): expired from the start.
            if record.result == VerificationResult::Verified && record.valid_until.is_some_and(|d| d < today)
            {
                repo::mark_expired(conn, record.id, now).await?;
            }
            crate::listings::refresh_clinic(conn, &state.rules, clinic_id).await?;
            crate::audit::record_admin(
                conn,
                &principal,
                "record_verification",
                &format!("{}:{}", record.subject_kind, record.subject_id),
            )
            .await?;
            let location = format!("/v1/admin/verifications?subject_id={}", record.subject_id);
            let current = std::iter::once(record.id).collect();
            StoredResponse::created(location, &response(record, &current, today))
        })
        .await
}
