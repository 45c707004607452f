//! A clinic's offers on a quote: make, list and withdraw.

use actix_web::{get, post, web, HttpResponse};
use chrono::Utc;
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::{BearerToken, Principal};
use crate::error::{ApiError, Problem};
use crate::http_cache::private_json;
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::money::Rates;
use crate::quotes::domain::{conflict, NewOffer, OfferChecks, OfferStatus, QuoteStatus};
use crate::quotes::dto::{CreateOfferRequest, OfferList, OfferResponse};
use crate::quotes::repo;
use crate::quotes::routes::{load_offer, offer_view, offer_views};
use crate::red_flags::engine;
use crate::red_flags::RedFlag;
use crate::reference::ReferenceCache;
use crate::state::AppState;

/// Make an offer
///
/// A partner answers a quote shared with one of its clinics (coordinators may answer for any
/// clinic the quote was shared with). The total is checked against the itemised lines, exclusions
/// are explicit, and the offer's text runs through the red-flag rules; the flags are shown to the
/// patient. An open quote becomes `offered`.
#[utoipa::path(
    tag = "quotes",
    params(
        ("id" = Uuid, Path, description = "Quote id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response instead of making a second offer"),
    ),
    request_body(content = CreateOfferRequest, example = json!({
        "clinic_id": "6f1c2b7e-4c1a-4f5e-9d0b-3a2e1c0b9a88",
        "line_items": [
            {"code": "consultation", "amount": "300.00"},
            {"code": "cell_extraction", "description": "Bone marrow aspiration", "amount": "2200.00"},
            {"code": "injection_with_imaging_guidance", "amount": "5000.00"}
        ],
        "total": "7500.00", "currency": "USD", "injections": 1, "cell_type": "bm-msc", "cell_source": "autologous",
        "exclusions": ["airport_transfers", "accommodation_nights"],
        "price_change": {"conditions": "If the MRI on arrival shows a second affected disc", "max_increase_percent": "15"},
        "deposit": {"amount": "500.00", "due": "after_medical_review", "refundable_percent": 100},
        "refund_policy": {"full_refund_until_days_before": 14, "late_refund_percent": 50},
        "valid_until": "2027-02-01T00:00:00Z"
    })),
    responses(
        (status = 201, description = "The offer", body = OfferResponse,
         headers(("Location" = String, description = "URL of the offer"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner or coordinator key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote, or not shared with the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The quote no longer takes offers, or a request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/quotes/{id}/offers")]
pub async fn create_offer(
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Json<CreateOfferRequest>,
) -> Result<HttpResponse, ApiError> {
    let quote_id = *id;
    let request = body.into_inner();
    let mut conn = state.pool.get().await?;
    let principal = bearer.api_key(&mut conn).await?;
    if matches!(principal, Principal::Admin { .. }) {
        return Err(crate::auth::forbidden(
            "offers come from partners or coordinators",
        ));
    }
    repo::visible_quote(&mut conn, &principal, quote_id).await?;
    let key_id = principal
        .key_id()
        .ok_or_else(|| ApiError::internal("API key principal without key id"))?;
    // A retry whose response was lost gets the same offer, not a second one. A partner's keys
    // share one scope (a retry may come after a rotation); a coordinator's is the key's own.
    let caller = match &principal {
        Principal::Partner { partner_id, .. } => format!("partner {partner_id}"),
        _ => format!("key {key_id}"),
    };
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST /v1/quotes/{quote_id}/offers {caller}"),
        idempotency_key,
        &serde_json::to_value(&request).map_err(ApiError::internal)?,
    );
    if let Some(replayed) = idempotent.replay(&mut conn).await? {
        return Ok(replayed);
    }
    let clinic_allowed = match &principal {
        Principal::Partner { partner_id, .. } => {
            repo::partner_routed_clinics(&mut conn, quote_id, *partner_id)
                .await?
                .contains(&request.clinic_id)
        }
        _ => repo::routed_clinic_ids(&mut conn, quote_id)
            .await?
            .contains(&request.clinic_id),
    };
    let vocabulary = repo::inclusion_codes(&mut conn).await?;
    let rates = Rates::load(&mut &*conn).await?;
    let package_owner = match request.package_id {
        Some(package_id) => Some(repo::package_owner(&mut conn, package_id).await?),
        None => None,
    };
    let reference = reference_cache.get(&mut &*conn).await?;
    let checks = OfferChecks {
        vocabulary: &vocabulary,
        rates: &rates,
        reference: &reference,
        clinic_allowed,
        package_owner,
        now: Utc::now(),
    };
    let offer = NewOffer::parse(request, &checks).map_err(ApiError::validation)?;
    let flags: Vec<RedFlag> = engine::evaluate(&state.rules, &offer.red_flag_subject())
        .into_iter()
        .map(RedFlag::from)
        .collect();
    let flags = serde_json::to_value(&flags).map_err(ApiError::internal)?;
    // NCT ids in the offer's texts are checked against the registry in the background; until
    // then the offer shows them as not yet checked.
    crate::trial_registry::enqueue_cited(&mut conn, &offer.cited_texts()).await?;

    let outcome = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let quote = repo::lock(conn, quote_id).await?;
            if quote.erased_at.is_some() {
                return Err(conflict("quote", "erased", QuoteStatus::Offered.as_str()));
            }
            // Later offers leave an offered quote as it is.
            if quote.status != QuoteStatus::Offered {
                quote.status.check(QuoteStatus::Offered)?;
                repo::set_quote_status(conn, quote_id, QuoteStatus::Offered).await?;
            }
            let stored_offer = repo::insert_offer(conn, quote_id, key_id, &offer, flags).await?;
            let location = format!("/v1/quotes/{quote_id}/offers/{}", stored_offer.id);
            let view = offer_view(conn, &state, stored_offer).await?;
            let stored = StoredResponse::created(location, &view)?;
            // The key's record commits with the offer (see `Idempotent::record`).
            idempotent.record(conn, &stored, Some(quote_id)).await?;
            Ok(stored)
        })
        .await;
    if outcome.is_ok() {
        // The clinic's response speed is part of its score.
        crate::listings::refresh_clinic(&mut conn, &state.rules, offer.get().clinic_id).await?;
    }
    idempotent.respond(&mut conn, outcome).await
}

/// List a quote's offers
///
/// The patient and staff see every offer; a partner sees its own clinics' offers. The list comes
/// with the medical disclaimer, as every patient-facing response does.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The offers, oldest first", body = OfferList),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/quotes/{id}/offers")]
pub async fn list_offers(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    repo::visible_quote(&mut conn, &principal, *id).await?;
    let mut views = offer_views(&mut conn, &state, *id).await?;
    if let Principal::Partner { partner_id, .. } = &principal {
        let own = repo::partner_routed_clinics(&mut conn, *id, *partner_id).await?;
        views.retain(|o| own.contains(&o.clinic_id));
    }
    let list = OfferList {
        items: views,
        disclaimer: crate::disclaimer::DISCLAIMER,
    };
    private_json(actix_web::http::StatusCode::OK, &list)
}

/// Withdraw an offer
///
/// Its author (the partner of the offering clinic, or the coordinator who made it) withdraws a
/// pending offer.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id"), ("offer_id" = Uuid, Path, description = "Offer id")),
    responses(
        (status = 200, description = "The withdrawn offer", body = OfferResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The offer is no longer pending", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/quotes/{id}/offers/{offer_id}/withdraw")]
pub async fn withdraw_offer(
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (quote_id, offer_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let principal = bearer.api_key(&mut conn).await?;
    repo::visible_quote(&mut conn, &principal, quote_id).await?;
    let offer = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let offer = load_offer(conn, quote_id, offer_id).await?;
            let is_author = match &principal {
                Principal::Partner { partner_id, .. } => {
                    repo::clinic_owner(conn, offer.clinic_id).await?.flatten() == Some(*partner_id)
                }
                other => other.key_id() == Some(offer.author_key_id),
            };
            if !is_author {
                return Err(ApiError::not_found(format!(
                    "no offer {offer_id} on quote {quote_id}"
                )));
            }
            offer.status.check(OfferStatus::Withdrawn)?;
            Ok(repo::set_offer_status(conn, offer_id, OfferStatus::Withdrawn).await?)
        })
        .await?;
    let view = offer_view(&mut conn, &state, offer).await?;
    private_json(actix_web::http::StatusCode::OK, &view)
}
