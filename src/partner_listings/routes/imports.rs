//! Bulk import: up to 1,000 clinics with their packages in one request, validated item by item,
//! each valid item stored in its own transaction, results in input order.
//!
//! Not [`Idempotent::create`]: the items are committed one by one (a bad item must not roll back
//! the good ones), so the response is recorded after them, on a best-effort basis.

use actix_web::{post, web, HttpResponse};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::partner_id;
use crate::auth::BearerToken;
use crate::error::{ApiError, FieldError, Problem, ProblemKind};
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::partner_listings::domain::{self, FieldErrors, ImportOutcome};
use crate::partner_listings::dto::{ImportItem, ImportRequest, ImportResponse, ImportResult, ImportSummary};
use crate::partner_listings::repo::{self, VocabularyData};
use crate::state::AppState;
use crate::states::ListingStatus;

/// An item that was valid but could not be stored.
fn item_error(index: usize, message: String) -> Vec<FieldError> {
    let mut errors = FieldErrors::new("");
    errors.add(&format!("/items/{index}"), message);
    errors.into_vec()
}

/// Stores one valid item in its own transaction: what happened, the clinic and its status.
async fn store_item(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    item: &ImportItem,
    vocab: &VocabularyData,
) -> Result<(ImportOutcome, Uuid, ListingStatus), ApiError> {
    let external_id = item.clinic.external_id.clone().unwrap_or_default();
    let fingerprint = repo::fingerprint(item);
    conn.transaction::<_, ApiError, _>(async |conn| {
        let existing = repo::own_clinic_by_external_id(conn, partner, &external_id).await?;
        if let Some(clinic) = &existing {
            if clinic.input_hash.as_deref() == Some(fingerprint.as_slice()) {
                let status = clinic
                    .status
                    .parse::<ListingStatus>()
                    .map_err(ApiError::internal)?;
                return Ok((ImportOutcome::Unchanged, clinic.id, status));
            }
        }
        let (id, outcome) = match &existing {
            Some(clinic) => {
                repo::write_clinic(conn, partner, Some((clinic.id, clinic.version)), &item.clinic)
                    .await?
                    .ok_or_else(|| {
                        ApiError::new(ProblemKind::Conflict, "the clinic changed during the import")
                    })?;
                (clinic.id, ImportOutcome::Updated)
            }
            None => {
                let (id, _) = repo::write_clinic(conn, partner, None, &item.clinic)
                    .await?
                    .ok_or_else(|| ApiError::internal("insert returned nothing"))?;
                (id, ImportOutcome::Created)
            }
        };
        repo::replace_packages(conn, id, &item.treatment_packages, &vocab.inclusions).await?;
        repo::set_input_hash(conn, id, &fingerprint).await?;
        let status = repo::after_change(conn, &state.rules, id).await?;
        Ok((outcome, id, status))
    })
    .await
}

/// Import clinics in bulk
///
/// Upserts up to 1,000 clinics (by `clinic.external_id`) with their packages. Items are validated
/// one by one; each valid item is stored atomically, invalid ones are rejected with JSON Pointers
/// to the bad fields, and the answer lists one result per item in input order. Re-sending the same
/// items reports them `unchanged`. A batch over the cap is refused before anything is written.
/// Send an `Idempotency-Key` to retry safely.
#[utoipa::path(
    tag = "partner",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body replay the first response")),
    request_body(content = ImportRequest, description = "At most 1,000 items and 16 MiB"),
    responses(
        (status = 200, description = "Per-item results", body = ImportResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an import, more than 1,000 items, or a reused Idempotency-Key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/partner/imports")]
pub async fn import_listings(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = crate::partner_listings::body::read_json(
        &req,
        payload,
        crate::partner_listings::body::IMPORT_BODY_LIMIT,
    )
    .await?;
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST /v1/partner/imports {partner}"),
        idempotency_key,
        &body,
    );
    if let Some(replayed) = idempotent.replay(&mut conn).await? {
        return Ok(replayed);
    }
    let items = domain::parse_import_request(body).map_err(ApiError::validation)?;
    let vocab = VocabularyData::load(&mut conn).await?;
    let mut summary = ImportSummary::default();
    let mut results = Vec::with_capacity(items.len());
    for (index, raw) in items.into_iter().enumerate() {
        let external_id = raw
            .pointer("/clinic/external_id")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let result = match domain::parse_import_item(index, raw, &vocab.view()) {
            Err(errors) => {
                summary.rejected += 1;
                ImportResult {
                    index,
                    external_id,
                    outcome: ImportOutcome::Rejected.as_str().to_owned(),
                    clinic_id: None,
                    status: None,
                    errors,
                }
            }
            Ok(item) => match store_item(&state, &mut conn, partner, &item, &vocab).await {
                Ok((outcome, clinic_id, status)) => {
                    match outcome {
                        ImportOutcome::Created => summary.created += 1,
                        ImportOutcome::Updated => summary.updated += 1,
                        ImportOutcome::Unchanged | ImportOutcome::Rejected => summary.unchanged += 1,
                    }
                    ImportResult {
                        index,
                        external_id,
                        outcome: outcome.as_str().to_owned(),
                        clinic_id: Some(clinic_id),
                        status: Some(status.as_str().to_owned()),
                        errors: Vec::new(),
                    }
                }
                Err(error) => {
                    summary.rejected += 1;
                    let message = if error.kind == ProblemKind::Internal {
                        "could not be stored".to_owned()
                    } else {
                        error.detail.clone()
                    };
                    ImportResult {
                        index,
                        external_id,
                        outcome: ImportOutcome::Rejected.as_str().to_owned(),
                        clinic_id: None,
                        status: None,
                        errors: item_error(index, message),
                    }
                }
            },
        };
        results.push(result);
    }
    let response = ImportResponse { summary, results };
    let stored = StoredResponse {
        status: 200,
        location: None,
        etag: None,
        body: serde_json::to_vec(&response).map_err(ApiError::internal)?,
    };
    // After the per-item transactions: a concurrent twin may have stored first, and the items
    // themselves are idempotent anyway.
    let _ = idempotent.record(&mut conn, &stored, None).await;
    Ok(stored.into_http(false))
}
