//! Adding, editing (JSON Merge Patch with `If-Match`) and removing practitioners of the partner's
//! own clinics. Each write moderates the practitioner's text and recomputes the clinic's flags
//! and score (`NO_NAMED_DOCTOR`).

use actix_web::http::StatusCode;
use actix_web::{delete, patch, post, web, HttpRequest, HttpResponse};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::Value;
use uuid::Uuid;

use super::{own_clinic_or_404, own_practitioner_or_404, partner_id, practitioner_response, PRACTITIONER};
use crate::auth::BearerToken;
use crate::error::{ApiError, Problem};
use crate::idempotency::{IdempotencyKey, Idempotent};
use crate::partner_listings::domain::merge_patched;
use crate::practitioners::dto::{PartnerPractitionerResponse, PractitionerInput};
use crate::practitioners::model::PractitionerValues;
use crate::practitioners::{domain, repo, view};
use crate::red_flags::RedFlag;
use crate::state::AppState;

/// The columns of `input`, moderated.
fn values<'a>(state: &AppState, input: &'a PractitionerInput) -> PractitionerValues<'a> {
    let (status, detections) = domain::moderate(&state.rules, input);
    let flags: Vec<RedFlag> = detections.into_iter().map(RedFlag::from).collect();
    PractitionerValues {
        name: &input.name,
        role: input.role,
        specialty: input.specialty.as_deref(),
        licence_number: input.licence.as_ref().map(|l| l.number.as_str()),
        licence_issuer: input.licence.as_ref().map(|l| l.issuing_body.as_str()),
        licence_country: input.licence.as_ref().map(|l| l.country.as_str()),
        languages: &input.languages,
        status,
        red_flags: serde_json::to_value(flags).unwrap_or_default(),
        updated_at: state.clock.now(),
    }
}

/// Recomputes the clinic's derived values (flags, score) after a practitioner changed. The
/// clinic's own moderation status is left alone: a practitioner's text is moderated on its own.
async fn refresh(conn: &mut AsyncPgConnection, state: &AppState, clinic_id: Uuid) -> Result<(), ApiError> {
    crate::listings::refresh_clinic(conn, &state.rules, clinic_id).await?;
    Ok(())
}

/// Add a practitioner to my clinic
///
/// Names a practitioner of one of the calling partner's clinics. The text is checked against the
/// red-flag rules: a clean practitioner is public at once, a flagged one waits (`pending_review`).
/// The licence counts only once a coordinator has verified it against its issuing body.
#[utoipa::path(
    tag = "practitioners",
    operation_id = "create_practitioner",
    params(
        ("id" = Uuid, Path, description = "Clinic id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response instead of adding a second practitioner"),
    ),
    request_body(content = PractitionerInput, example = json!({
        "name": "Dr Jane Example", "role": "physician", "specialty": "Orthopaedic surgery",
        "licence": {"number": "7012345", "issuing_body": "General Medical Council", "country": "GB"},
        "languages": ["en", "es"]
    })),
    responses(
        (status = 201, description = "Added", body = PartnerPractitionerResponse,
         headers(("Location" = String, description = "URL of the practitioner"), ("ETag" = String, description = "Version for If-Match"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/partner/clinics/{id}/practitioners")]
pub async fn create_practitioner(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let clinic_id = own_clinic_or_404(&mut conn, partner, *id).await?;
    let body = body.into_inner();
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST /v1/partner/clinics/{clinic_id}/practitioners {partner}"),
        idempotency_key,
        &body,
    );
    idempotent
        .create(&mut conn, None, async |conn| {
            let input = domain::parse(body).map_err(ApiError::validation)?;
            let created = repo::insert(conn, clinic_id, &values(&state, &input), state.clock.now()).await?;
            refresh(conn, &state, clinic_id).await?;
            practitioner_response(conn, &state, created, StatusCode::CREATED).await
        })
        .await
}

/// Edit my clinic's practitioner
///
/// A JSON Merge Patch (RFC 7396) of the practitioner's fields with `If-Match` (428 without, 412
/// when stale). The text is moderated again. Changing the licence makes an earlier verification
/// no longer count: it was made on other details.
#[utoipa::path(
    tag = "practitioners",
    operation_id = "patch_practitioner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("practitioner_id" = Uuid, Path, description = "Practitioner id"),
           ("If-Match" = String, Header, description = "The practitioner's current ETag", max_length = 1024, pattern = "^[ -~]+$")),
    request_body(content = Object, description = "JSON Merge Patch of the practitioner", content_type = "application/merge-patch+json",
        example = json!({"specialty": "Spine surgery", "languages": ["en"]})),
    responses(
        (status = 200, description = "Updated", body = PartnerPractitionerResponse),
        (status = 400, description = "Malformed JSON or If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such practitioner of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/partner/clinics/{id}/practitioners/{practitioner_id}")]
pub async fn patch_practitioner(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (clinic_id, id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let current = own_practitioner_or_404(&mut conn, partner, clinic_id, id).await?;
    PRACTITIONER.check_if_match(&req, current.version, true)?;
    let patched =
        merge_patched(&view::input_of(&current), body.into_inner()).map_err(ApiError::validation)?;
    let input = domain::check(patched).map_err(ApiError::validation)?;
    let updated = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let updated = repo::update(conn, current.id, current.version, &values(&state, &input))
                .await?
                .ok_or_else(|| PRACTITIONER.changed(current.version + 1))?;
            refresh(conn, &state, current.clinic_id).await?;
            Ok(updated)
        })
        .await?;
    Ok(practitioner_response(&mut conn, &state, updated, StatusCode::OK)
        .await?
        .into_http(false))
}

/// Remove my clinic's practitioner
///
/// Removes the practitioner from the clinic (its verification records are kept). `If-Match` is
/// optional; when sent it must be current.
#[utoipa::path(
    tag = "practitioners",
    operation_id = "delete_practitioner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("practitioner_id" = Uuid, Path, description = "Practitioner id"),
           ("If-Match" = Option<String>, Header, description = "Optional: the current ETag", max_length = 1024, pattern = "^[ -~]+$")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Malformed If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such practitioner of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/partner/clinics/{id}/practitioners/{practitioner_id}")]
pub async fn delete_practitioner(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (clinic_id, id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let current = own_practitioner_or_404(&mut conn, partner, clinic_id, id).await?;
    PRACTITIONER.check_if_match(&req, current.version, false)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        if !repo::soft_delete(conn, current.id, current.version, state.clock.now()).await? {
            return Err(PRACTITIONER.changed(current.version + 1));
        }
        refresh(conn, &state, current.clinic_id).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
