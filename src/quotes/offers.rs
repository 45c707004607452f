//! Offers: a clinic's firm, itemised answer to a quote, and the patient's acceptance.

use actix_web::{get, post, web, HttpResponse};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{BearerToken, Principal};
use crate::db::schema::{inclusion_items, offers, quotes, treatment_packages};
use crate::error::{ApiError, FieldError, Problem};
use crate::http_cache::private_json;
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::money::Rates;
use crate::quotes::domain::{conflict, OfferStatus, QuoteStatus};
use crate::quotes::dto::{CreateOfferRequest, OfferList, OfferResponse};
use crate::quotes::model::Offer;
use crate::quotes::present::offer_response;
use crate::quotes::repo;
use crate::red_flags::engine::{self, Facts, PackageFacts, Subject};
use crate::red_flags::RedFlag;
use crate::reference::ReferenceCache;
use crate::state::AppState;
use crate::text::is_free_text;
use crate::webhooks::outbox::EventType;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_offer)
        .service(list_offers)
        .service(withdraw_offer)
        .service(accept_offer);
}

/// Every offer of a quote, presented.
pub async fn offer_views(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
) -> Result<Vec<OfferResponse>, ApiError> {
    let rows = repo::offers_of(conn, quote_id).await?;
    let ids: Vec<Uuid> = rows.iter().map(|o| o.clinic_id).collect();
    let names = repo::clinic_names(conn, &ids).await?;
    Ok(rows
        .iter()
        .map(|offer| {
            let name = names
                .iter()
                .find(|(id, _)| *id == offer.clinic_id)
                .map_or("", |(_, n)| n.as_str());
            offer_response(offer, name)
        })
        .collect())
}

fn validate(request: &CreateOfferRequest, vocabulary: &[String], rates: &Rates) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut fail = |pointer: String, message: &str| {
        errors.push(FieldError {
            pointer,
            message: message.to_owned(),
        })
    };
    if request.line_items.is_empty() || request.line_items.len() > 30 {
        fail("/line_items".into(), "must have 1 to 30 items");
    }
    for (i, item) in request.line_items.iter().enumerate() {
        if item.code != "other" && !vocabulary.contains(&item.code) {
            fail(
                format!("/line_items/{i}/code"),
                "must be an inclusion vocabulary code or `other`",
            );
        }
        if item.amount < Decimal::ZERO || item.amount.scale() > 2 || item.amount > Decimal::from(10_000_000) {
            fail(
                format!("/line_items/{i}/amount"),
                "must be between 0 and 10000000 with at most 2 decimals",
            );
        }
        if item.description.as_ref().is_some_and(|d| !is_free_text(d, 300)) {
            fail(
                format!("/line_items/{i}/description"),
                "must be at most 300 characters, without control characters",
            );
        }
    }
    let sum: Decimal = request.line_items.iter().map(|i| i.amount).sum();
    if sum != request.total {
        fail(
            "/total".into(),
            &format!("must equal the sum of the line items ({sum})"),
        );
    }
    if rates.get(&request.currency).is_none() {
        fail(
            "/currency".into(),
            &format!("must be one of {}", rates.codes().join(", ")),
        );
    }
    if request.injections.is_some_and(|n| !(1..=50).contains(&n)) {
        fail("/injections".into(), "must be between 1 and 50");
    }
    if request
        .cell_source
        .as_ref()
        .is_some_and(|s| s != "autologous" && s != "allogeneic")
    {
        fail("/cell_source".into(), "must be autologous or allogeneic");
    }
    if request.exclusions.len() > 50 {
        fail("/exclusions".into(), "must have at most 50 items");
    }
    if request.cell_type.as_ref().is_some_and(|c| !is_free_text(c, 100)) {
        fail(
            "/cell_type".into(),
            "must be at most 100 characters, without control characters",
        );
    }
    for (i, code) in request.exclusions.iter().enumerate() {
        if !vocabulary.contains(code) {
            fail(format!("/exclusions/{i}"), "must be an inclusion vocabulary code");
        }
    }
    let increase = request.price_change.max_increase_percent;
    if increase < Decimal::ZERO || increase > Decimal::from(100) || increase.scale() > 2 {
        fail(
            "/price_change/max_increase_percent".into(),
            "must be between 0 and 100 with at most 2 decimals",
        );
    }
    if request
        .price_change
        .conditions
        .as_ref()
        .is_some_and(|c| !is_free_text(c, 1000))
    {
        fail(
            "/price_change/conditions".into(),
            "must be at most 1000 characters, without control characters",
        );
    }
    if !["on_booking", "after_medical_review"].contains(&request.deposit.due.as_str()) {
        fail(
            "/deposit/due".into(),
            "must be on_booking or after_medical_review",
        );
    }
    if request.deposit.amount < Decimal::ZERO
        || request.deposit.amount > request.total
        || request.deposit.amount.scale() > 2
    {
        fail(
            "/deposit/amount".into(),
            "must be between 0 and the total with at most 2 decimals",
        );
    }
    if request.deposit.refundable_percent > 100 {
        fail("/deposit/refundable_percent".into(), "must be between 0 and 100");
    }
    if request.refund_policy.full_refund_until_days_before > 365 {
        fail(
            "/refund_policy/full_refund_until_days_before".into(),
            "must be between 0 and 365",
        );
    }
    if request.refund_policy.late_refund_percent > 100 {
        fail(
            "/refund_policy/late_refund_percent".into(),
            "must be between 0 and 100",
        );
    }
    if request
        .refund_policy
        .notes
        .as_ref()
        .is_some_and(|n| !is_free_text(n, 500))
    {
        fail(
            "/refund_policy/notes".into(),
            "must be at most 500 characters, without control characters",
        );
    }
    if request
        .outcome_guarantee
        .as_ref()
        .is_some_and(|g| !is_free_text(g, 500))
    {
        fail(
            "/outcome_guarantee".into(),
            "must be at most 500 characters, without control characters",
        );
    }
    if request.notes.as_ref().is_some_and(|n| !is_free_text(n, 2000)) {
        fail(
            "/notes".into(),
            "must be at most 2000 characters, without control characters",
        );
    }
    let now = Utc::now();
    if request.valid_until <= now || request.valid_until > now + Duration::days(180) {
        fail(
            "/valid_until".into(),
            "must be in the future and at most 180 days ahead",
        );
    }
    errors
}

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
    let routed = repo::routed_clinic_ids(&mut conn, quote_id).await?;
    let allowed = match &principal {
        Principal::Partner { partner_id, .. } => {
            repo::partner_routed_clinics(&mut conn, quote_id, *partner_id)
                .await?
                .contains(&request.clinic_id)
        }
        _ => routed.contains(&request.clinic_id),
    };
    let vocabulary: Vec<String> = inclusion_items::table
        .select(inclusion_items::code)
        .load(&mut conn)
        .await?;
    let rates = Rates::load(&mut &*conn).await?;
    let mut errors = validate(&request, &vocabulary, &rates);
    if !allowed {
        errors.push(FieldError {
            pointer: "/clinic_id".into(),
            message: "the quote was not shared with this clinic of yours".into(),
        });
    }
    if let Some(package_id) = request.package_id {
        let owner: Option<Uuid> = treatment_packages::table
            .find(package_id)
            .select(treatment_packages::clinic_id)
            .first(&mut conn)
            .await
            .optional()?;
        if owner != Some(request.clinic_id) {
            errors.push(FieldError {
                pointer: "/package_id".into(),
                message: "is not a package of this clinic".into(),
            });
        }
    }
    if let Some(cell) = &request.cell_type {
        if !reference_cache.get(&mut &*conn).await?.is_cell_type(cell) {
            errors.push(FieldError {
                pointer: "/cell_type".into(),
                message: "is not a known cell type slug".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }

    let mut texts = Vec::new();
    if let Some(notes) = &request.notes {
        texts.push(("/notes".to_owned(), notes.as_str()));
    }
    if let Some(guarantee) = &request.outcome_guarantee {
        texts.push(("/outcome_guarantee".to_owned(), guarantee.as_str()));
    }
    if let Some(conditions) = &request.price_change.conditions {
        texts.push(("/price_change/conditions".to_owned(), conditions.as_str()));
    }
    let subject = Subject {
        texts,
        facts: Facts {
            package: Some(PackageFacts {
                authored_by_clinic: true,
                cell_type: request.cell_type.clone(),
                cell_source: request.cell_source.clone(),
                exclusions_stated: true,
                price_open_ended: false,
            }),
            ..Facts::default()
        },
    };
    let flags: Vec<RedFlag> = engine::evaluate(&state.rules, &subject)
        .into_iter()
        .map(RedFlag::from)
        .collect();

    let outcome = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let quote = repo::lock(conn, quote_id).await?;
            if quote.erased_at.is_some() {
                return Err(conflict("quote", "erased", QuoteStatus::Offered.as_str()));
            }
            // Later offers leave an offered quote as it is.
            if quote.status != QuoteStatus::Offered {
                quote.status.check(QuoteStatus::Offered)?;
                diesel::update(quotes::table.find(quote_id))
                    .set((
                        quotes::status.eq(QuoteStatus::Offered),
                        quotes::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
            }
            let offer = diesel::insert_into(offers::table)
                .values((
                    offers::quote_id.eq(quote_id),
                    offers::clinic_id.eq(request.clinic_id),
                    offers::author_key_id.eq(key_id),
                    offers::package_id.eq(request.package_id),
                    offers::line_items
                        .eq(serde_json::to_value(&request.line_items).map_err(ApiError::internal)?),
                    offers::total.eq(request.total),
                    offers::currency.eq(&request.currency),
                    offers::injections.eq(request.injections),
                    offers::cell_type.eq(&request.cell_type),
                    offers::cell_source.eq(&request.cell_source),
                    offers::exclusions.eq(&request.exclusions),
                    offers::price_change_conditions.eq(&request.price_change.conditions),
                    offers::max_increase_percent.eq(request.price_change.max_increase_percent),
                    offers::deposit.eq(serde_json::to_value(&request.deposit).map_err(ApiError::internal)?),
                    offers::refund_policy
                        .eq(serde_json::to_value(&request.refund_policy).map_err(ApiError::internal)?),
                    offers::outcome_guarantee.eq(&request.outcome_guarantee),
                    offers::valid_until.eq(request.valid_until),
                    offers::notes.eq(&request.notes),
                    offers::red_flags.eq(serde_json::to_value(&flags).map_err(ApiError::internal)?),
                ))
                .returning(Offer::as_returning())
                .get_result::<Offer>(conn)
                .await?;
            let name = clinic_name(conn, offer.clinic_id).await?;
            let stored = StoredResponse::created(
                format!("/v1/quotes/{quote_id}/offers/{}", offer.id),
                &offer_response(&offer, &name),
            )?;
            // The key's record commits with the offer (see `Idempotent::record`).
            idempotent.record(conn, &stored, Some(quote_id)).await?;
            Ok(stored)
        })
        .await;
    if outcome.is_ok() {
        // The clinic's response speed is part of its score.
        crate::listings::refresh_clinic(&mut conn, &state.rules, request.clinic_id).await?;
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
    let mut views = offer_views(&mut conn, *id).await?;
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

async fn clinic_name(conn: &mut AsyncPgConnection, clinic_id: Uuid) -> Result<String, ApiError> {
    let names = repo::clinic_names(conn, &[clinic_id]).await?;
    Ok(names.into_iter().next().map(|(_, name)| name).unwrap_or_default())
}

async fn load_offer(conn: &mut AsyncPgConnection, quote_id: Uuid, offer_id: Uuid) -> Result<Offer, ApiError> {
    offers::table
        .find(offer_id)
        .filter(offers::quote_id.eq(quote_id))
        .select(Offer::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("no offer {offer_id} on quote {quote_id}")))
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
            Ok(diesel::update(offers::table.find(offer_id))
                .set((
                    offers::status.eq(OfferStatus::Withdrawn),
                    offers::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Offer::as_returning())
                .get_result(conn)
                .await?)
        })
        .await?;
    let name = clinic_name(&mut conn, offer.clinic_id).await?;
    private_json(actix_web::http::StatusCode::OK, &offer_response(&offer, &name))
}

/// Accept an offer
///
/// The patient accepts one pending, unexpired offer: in one transaction the offer becomes
/// `accepted`, every other pending offer `declined`, and the quote `accepted`. The accepted
/// clinic's partner can then see the contact details. Of two concurrent accepts exactly one wins;
/// the other is a 409 naming the state.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id"), ("offer_id" = Uuid, Path, description = "Offer id")),
    responses(
        (status = 200, description = "The accepted offer", body = OfferResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the patient may accept", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The quote or offer is not in a state that allows it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/quotes/{id}/offers/{offer_id}/accept")]
pub async fn accept_offer(
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (quote_id, offer_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    match &principal {
        Principal::Patient { quote_id: own } if *own == quote_id => {}
        Principal::Patient { .. } => return Err(ApiError::not_found(format!("no quote has id {quote_id}"))),
        other => {
            repo::visible_quote(&mut conn, other, quote_id).await?;
            return Err(crate::auth::forbidden("only the patient may accept an offer"));
        }
    }
    let offer = conn
        .transaction::<_, ApiError, _>(async |conn| {
            // Locking the quote first serialises concurrent accepts of different offers.
            let quote = repo::lock(conn, quote_id).await?;
            if quote.erased_at.is_some() {
                return Err(conflict("quote", "erased", QuoteStatus::Accepted.as_str()));
            }
            let offer = load_offer(conn, quote_id, offer_id).await?;
            quote.status.check(QuoteStatus::Accepted)?;
            offer.status.check(OfferStatus::Accepted)?;
            if offer.valid_until <= Utc::now() {
                return Err(conflict(
                    "offer",
                    "past its valid_until",
                    OfferStatus::Accepted.as_str(),
                ));
            }
            let accepted = diesel::update(offers::table.find(offer_id))
                .set((
                    offers::status.eq(OfferStatus::Accepted),
                    offers::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Offer::as_returning())
                .get_result(conn)
                .await?;
            crate::quotes::routes::decline_pending_offers(conn, quote_id).await?;
            crate::webhooks::outbox::offer_changed(
                conn,
                offer_id,
                EventType::OfferAccepted,
                OfferStatus::Accepted.as_str(),
            )
            .await?;
            diesel::update(quotes::table.find(quote_id))
                .set((
                    quotes::status.eq(QuoteStatus::Accepted),
                    quotes::accepted_offer_id.eq(offer_id),
                    quotes::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            Ok(accepted)
        })
        .await?;
    let name = clinic_name(&mut conn, offer.clinic_id).await?;
    private_json(actix_web::http::StatusCode::OK, &offer_response(&offer, &name))
}
