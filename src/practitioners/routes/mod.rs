//! The practitioner handlers and what they share: the calling partner, its clinic, and the
//! partner's view of a practitioner as a (replayable) response. ETags, `If-Match`, lost races and
//! merge patches are the partner write sequence of listings (`partner_listings::write`).

mod partner_read;
mod partner_write;
mod public;

use actix_web::http::StatusCode;
use diesel_async::AsyncPgConnection;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::ApiError;
use crate::idempotency::StoredResponse;
use crate::partner_listings::write::{versioned_response, PartnerResource};
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

/// Practitioners in problems: "the practitioner changed …" (`partner_listings::write`).
const PRACTITIONER: PartnerResource = PartnerResource { noun: "practitioner" };

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
    versioned_response(
        status,
        || format!("/v1/partner/clinics/{clinic_id}/practitioners/{id}"),
        version,
        &body,
    )
}
