//! `POST /v1/quotes/{id}/treatment`: the treating clinic (or staff) records what happened after
//! the patient accepted its offer.

use actix_web::{post, web, HttpResponse};
use uuid::Uuid;

use crate::auth::{BearerToken, Principal};
use crate::cell_types::repo::administration_methods;
use crate::error::{ApiError, Problem};
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::ids::{OfferId, QuoteId};
use crate::quotes::domain::{conflict, QuoteStatus};
use crate::quotes::repo as quotes_repo;
use crate::reference::ReferenceCache;
use crate::state::AppState;
use crate::treatments::domain::{NewTreatment, TreatmentChecks, TreatmentOutcome};
use crate::treatments::dto::RecordTreatmentRequest;
use crate::treatments::repo::{self, NewTreatmentRow};
use crate::treatments::routes::{no_quote, partner_owns, treatment_response};
use crate::webhooks::outbox::EventType;

/// Record a treatment
///
/// After the patient accepted an offer, the treating clinic's partner key (or a coordinator or
/// admin key) records what was delivered: date, cell type and source, cell count, administration
/// method and sites, product lot and certificate of analysis, medications and adverse events during
/// the stay; or that the treatment did not happen, and why. In one transaction the record is
/// stored (clinical details encrypted), the quote moves `accepted → treated | not_treated`, and
/// the clinic's partner gets a `quote.treated` / `quote.not_treated` event (ids and states only).
/// A quote in any other state, or one already recorded, is a 409. Another partner's key gets 404;
/// the patient's token 403.
#[utoipa::path(
    tag = "treatments",
    params(
        ("id" = Uuid, Path, description = "Quote id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response"),
    ),
    request_body(content = RecordTreatmentRequest, examples(
        ("treated" = (value = json!({
            "outcome": "treated", "treated_on": "2027-03-12", "cell_type": "bm-msc",
            "cell_source": "autologous", "cell_count": 50000000,
            "administration_method": "intradiscal-injection", "sites": ["L4-L5 disc"],
            "product_lot": "BM-2027-0311-A", "certificate_of_analysis": "CoA 2027/118",
            "medications": ["Cefazolin 1 g IV once before the procedure"],
            "adverse_events": [{"category": "other", "severity": "mild", "description": "Headache the evening after the injection"}]
        }))),
        ("not treated" = (value = json!({"outcome": "not_treated", "reason": "patient_did_not_travel"}))),
    )),
    responses(
        (status = 201, description = "The record", body = crate::treatments::dto::TreatmentResponse,
         headers(("Location" = String, description = "URL of the record"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A patient's token: the clinic or staff record treatments", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote, or not the caller's clinic", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The quote is not `accepted` (already recorded, or never accepted), or a request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/quotes/{id}/treatment")]
pub async fn record_treatment(
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Json<RecordTreatmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let quote_id = *id;
    let request = body.into_inner();
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    let quote = quotes_repo::find(&mut conn, quote_id)
        .await?
        .ok_or_else(|| no_quote(quote_id))?;
    match &principal {
        Principal::Patient { quote_id: own } if *own == quote_id => {
            return Err(crate::auth::forbidden(
                "the treating clinic or staff record a treatment, not the patient",
            ));
        }
        Principal::Patient { .. } => return Err(no_quote(quote_id)),
        Principal::Partner { partner_id, .. } => {
            // Only the clinic whose offer was accepted; before acceptance, a clinic the quote was
            // shared with learns the state (409) as it may already see the quote.
            let treating = match quote.accepted_offer_id {
                Some(offer_id) => {
                    let offer =
                        quotes_repo::lock_offer(&mut conn, QuoteId(quote_id), OfferId(offer_id)).await?;
                    match offer {
                        Some(offer) => partner_owns(&mut conn, *partner_id, offer.clinic_id).await?,
                        None => false,
                    }
                }
                None => quotes_repo::visible_quote(&mut conn, &principal, quote_id)
                    .await
                    .is_ok(),
            };
            if !treating {
                return Err(no_quote(quote_id));
            }
        }
        Principal::Admin { .. } | Principal::Coordinator { .. } => {}
    }
    let reference = reference_cache.get(&mut &*conn).await?;
    let methods: Vec<String> = administration_methods(&mut conn)
        .await?
        .into_iter()
        .map(|m| m.slug)
        .collect();
    let caller = match &principal {
        Principal::Partner { partner_id, .. } => format!("partner {partner_id}"),
        other => format!("key {}", other.key_id().unwrap_or_default()),
    };
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST /v1/quotes/{quote_id}/treatment {caller}"),
        idempotency_key,
        &serde_json::to_value(&request).map_err(ApiError::internal)?,
    );
    let today = state.clock.today();
    let key = state.data_key.clone();
    idempotent
        .create(&mut conn, Some(quote_id), async |conn| {
            let target = match request.outcome {
                TreatmentOutcome::Treated => QuoteStatus::Treated,
                TreatmentOutcome::NotTreated => QuoteStatus::NotTreated,
            };
            let quote = quotes_repo::lock(conn, quote_id).await?;
            if quote.erased_at.is_some() {
                return Err(conflict("quote", "erased", target.as_str()));
            }
            quote.status.check(target)?;
            let offer_id = quote
                .accepted_offer_id
                .ok_or_else(|| ApiError::internal("accepted quote without an accepted offer"))?;
            let offer = quotes_repo::lock_offer(conn, QuoteId(quote_id), OfferId(offer_id))
                .await?
                .ok_or_else(|| ApiError::internal("the accepted offer vanished"))?;
            let checks = TreatmentChecks {
                reference: &reference,
                administration_methods: &methods,
                today,
                // An accepted offer changes no more, so its last update is the acceptance.
                accepted_on: offer.updated_at.date_naive(),
            };
            let new = NewTreatment::parse(request, &checks).map_err(ApiError::validation)?;
            let details = serde_json::to_vec(&new.details).map_err(ApiError::internal)?;
            let sealed = key.encrypt(&details);
            let now = state.clock.now();
            let row = repo::insert(
                conn,
                &NewTreatmentRow {
                    quote_id,
                    offer_id,
                    clinic_id: offer.clinic_id,
                    outcome: new.outcome,
                    treated_on: new.treated_on,
                    cell_type_slug: new.cell_type.as_deref(),
                    cell_source: new.cell_source,
                    details_ciphertext: Some(&sealed),
                    not_treated_reason: new.reason,
                    recorded_by: principal.role(),
                    recorded_by_key_id: principal.key_id(),
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?;
            quotes_repo::set_quote_status(conn, quote_id, target).await?;
            let event = match new.outcome {
                TreatmentOutcome::Treated => EventType::QuoteTreated,
                TreatmentOutcome::NotTreated => EventType::QuoteNotTreated,
            };
            repo::announce(conn, &row, event).await?;
            StoredResponse::created(
                format!("/v1/quotes/{quote_id}/treatment"),
                &treatment_response(&row, Some(new.details)),
            )
        })
        .await
}
