//! The practitioner handlers and what they share: the calling partner, its clinic, `If-Match`,
//! and the partner's view of a practitioner as a (replayable) response.

mod partner_read;
mod partner_write;
mod public;

use actix_web::http::{header, StatusCode};
use actix_web::HttpRequest;
use diesel_async::AsyncPgConnection;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, ProblemKind};
use crate::idempotency::StoredResponse;
use crate::practitioners::model::Practitioner;
use crate::practitioners::{repo, view};
use crate::state::AppState;

/// Registers the practitioner endpoints.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(partner_read::list_own_practitioners)
        .service(partner_write::create_practitioner)
        .service(partner_read::get_own_practitioner)
        .service(partner_write::patch_practitioner)
        .service(partner_write::delete_practitioner)
        .service(public::list_clinic_practitioners);
}

/// The calling partner's id; other roles get 403.
async fn partner_id(conn: &mut AsyncPgConnection, bearer: &BearerToken) -> Result<Uuid, ApiError> {
    crate::auth::require_partner(conn, bearer, "practitioners are managed with a partner key").await
}

/// The partner's own clinic (not deleted), or 404: another partner's clinic is not revealed.
async fn own_clinic_or_404(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    clinic_id: Uuid,
) -> Result<Uuid, ApiError> {
    crate::partner_listings::repo::own_clinic(conn, partner, clinic_id)
        .await?
        .map(|c| c.id)
        .ok_or_else(|| ApiError::not_found("no such clinic"))
}

/// A practitioner of the partner's own clinic, or 404.
async fn own_practitioner_or_404(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    clinic_id: Uuid,
    id: Uuid,
) -> Result<Practitioner, ApiError> {
    let clinic_id = own_clinic_or_404(conn, partner, clinic_id).await?;
    repo::find(conn, clinic_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such practitioner"))
}

/// The ETag of a practitioner's version.
fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The longest `If-Match` accepted.
const MAX_IF_MATCH: usize = 1024;

/// `If-Match` against the current version: 428 when required and absent, 412 when stale, 400 when
/// it is not 1–1024 visible ASCII characters.
fn check_if_match(req: &HttpRequest, current: i32, required: bool) -> Result<(), ApiError> {
    let Some(raw) = req.headers().get(header::IF_MATCH) else {
        return if required {
            Err(ApiError::new(
                ProblemKind::PreconditionRequired,
                "send If-Match with the practitioner's current ETag",
            ))
        } else {
            Ok(())
        };
    };
    let bytes = raw.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_IF_MATCH || !bytes.iter().all(|b| (b' '..=b'~').contains(b)) {
        let message = "must be 1 to 1024 visible ASCII characters: an ETag, a list of them, or *";
        return Err(
            ApiError::bad_request(format!("If-Match {message}")).with_field("/header/If-Match", message)
        );
    }
    let value = raw.to_str().unwrap_or_default();
    if crate::http_cache::list_matches(value, &etag(current)) {
        Ok(())
    } else {
        Err(stale(current))
    }
}

/// A 412: the practitioner changed since the caller read it.
fn stale(current: i32) -> ApiError {
    ApiError::new(
        ProblemKind::PreconditionFailed,
        format!(
            "the practitioner changed (current ETag {}); read it again and reapply your change",
            etag(current)
        ),
    )
}

/// The partner's view of a practitioner as a response (kept for `Idempotency-Key` replays).
async fn practitioner_response(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    practitioner: Practitioner,
    status: StatusCode,
) -> Result<StoredResponse, ApiError> {
    let records = view::licence_records(conn, std::slice::from_ref(&practitioner)).await?;
    let (clinic_id, id, version) = (practitioner.clinic_id, practitioner.id, practitioner.version);
    let body = view::partner_view(practitioner, records.get(&id), state.clock.today());
    Ok(StoredResponse {
        status: status.as_u16(),
        location: (status == StatusCode::CREATED)
            .then(|| format!("/v1/partner/clinics/{clinic_id}/practitioners/{id}")),
        etag: Some(etag(version)),
        body: serde_json::to_vec(&body).map_err(ApiError::internal)?,
    })
}
