//! The treatment record endpoints and what they share: who may see a record, and its view.

pub mod get;
pub mod record;

use diesel_async::AsyncPgConnection;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Principal;
use crate::crypto::DataKey;
use crate::error::ApiError;
use crate::ids::QuoteId;
use crate::quotes::repo as quotes_repo;
use crate::treatments::domain::TreatmentDetails;
use crate::treatments::dto::TreatmentResponse;
use crate::treatments::repo::{self, TreatmentRow};

/// Registers the treatment record endpoints.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(record::record_treatment).service(get::get_treatment);
}

fn no_quote(id: Uuid) -> ApiError {
    ApiError::not_found(format!("no quote has id {id}"))
}

/// Whether the partner owns `clinic_id`.
async fn partner_owns(
    conn: &mut AsyncPgConnection,
    partner_id: Uuid,
    clinic_id: Uuid,
) -> Result<bool, ApiError> {
    Ok(quotes_repo::clinic_owner(conn, clinic_id).await?.flatten() == Some(partner_id))
}

/// The quote's record if `principal` may read it: the patient of the quote, staff, and the
/// partner of the treating clinic. 404 for everyone else and when there is no record.
pub async fn readable_record(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    quote_id: Uuid,
) -> Result<TreatmentRow, ApiError> {
    let record = repo::find_by_quote(conn, QuoteId(quote_id)).await?;
    let allowed = match (&record, principal) {
        (_, Principal::Patient { quote_id: own }) => *own == quote_id,
        (_, Principal::Admin { .. } | Principal::Coordinator { .. }) => true,
        (Some(row), Principal::Partner { partner_id, .. }) => {
            partner_owns(conn, *partner_id, row.clinic_id).await?
        }
        (None, Principal::Partner { .. }) => false,
    };
    if !allowed {
        return Err(no_quote(quote_id));
    }
    record.ok_or_else(|| ApiError::not_found(format!("quote {quote_id} has no treatment record")))
}

/// The record's clinical details, decrypted (`None` once erased).
pub fn open_details(key: &DataKey, row: &TreatmentRow) -> Result<Option<TreatmentDetails>, ApiError> {
    let Some(sealed) = &row.details_ciphertext else {
        return Ok(None);
    };
    let plain = key
        .decrypt(sealed)
        .map_err(|_| ApiError::internal("treatment details do not decrypt"))?;
    serde_json::from_slice(&plain)
        .map(Some)
        .map_err(ApiError::internal)
}

/// The record as its readers see it.
pub fn treatment_response(row: &TreatmentRow, details: Option<TreatmentDetails>) -> TreatmentResponse {
    let details_erased = details.is_none();
    let details = details.unwrap_or_default();
    TreatmentResponse {
        id: row.id,
        quote_id: row.quote_id,
        offer_id: row.offer_id,
        clinic_id: row.clinic_id,
        outcome: row.outcome,
        treated_on: row.treated_on,
        cell_type: row.cell_type_slug.clone(),
        cell_source: row.cell_source,
        cell_count: details.cell_count,
        administration_method: details.administration_method,
        sites: details.sites,
        product_lot: details.product_lot,
        certificate_of_analysis: details.certificate_of_analysis,
        medications: details.medications,
        adverse_events: details.adverse_events,
        not_treated_reason: row.not_treated_reason,
        note: details.note,
        details_erased,
        recorded_by: row.recorded_by.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        disclaimer: crate::disclaimer::DISCLAIMER,
    }
}
