use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{BearerToken, Principal};
use crate::crypto::{random_token, secret_hash};
use crate::db::schema::{offers, quote_routes, quotes};
use crate::error::{ApiError, FieldError, Problem, ProblemKind};
use crate::http_cache::{etag_of, private_json};
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::quotes::contact::seal_text;
use crate::quotes::domain::{conflict, OfferStatus, QuoteStatus};
use crate::quotes::dto::{CreateQuoteRequest, CreatedQuote, QuoteResponse, ShareWith};
use crate::quotes::matching::{self, Candidate, ScoreBinds, Wishes};
use crate::quotes::present::{quote_response, quote_summary};
use crate::quotes::repo;
use crate::reference::Reference;
use crate::reference::ReferenceCache;
use crate::state::AppState;
use crate::webhooks::outbox::EventType;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_quote)
        .service(list_quotes)
        .service(get_quote)
        .service(erase_quote)
        .service(export_quote)
        .service(cancel_quote);
}

const IDEMPOTENCY_SCOPE: &str = "POST /v1/quotes";
const MAX_ESTIMATES: usize = 10;

/// Checks values against the catalogue; returns the field errors.
async fn validate_against_catalogue(
    conn: &mut AsyncPgConnection,
    request: &CreateQuoteRequest,
    reference: &Reference,
) -> Result<Vec<FieldError>, ApiError> {
    let mut errors = Vec::new();
    let rates = &reference.rates;
    if !reference.is_condition(&request.condition) {
        errors.push(FieldError {
            pointer: "/condition".into(),
            message: "is not a known condition slug".into(),
        });
    }
    let countries = reference.country_codes();
    for (i, code) in request.preferred_countries.iter().enumerate() {
        if !countries.contains(&code.as_str()) {
            errors.push(FieldError {
                pointer: format!("/preferred_countries/{i}"),
                message: format!("must be one of the listed countries: {}", countries.join(", ")),
            });
        }
    }
    let in_use = reference.cell_types_in_use();
    for (i, slug) in request.preferred_cell_types.iter().enumerate() {
        if !in_use.contains(&slug.as_str()) {
            errors.push(FieldError {
                pointer: format!("/preferred_cell_types/{i}"),
                message: format!("must be a cell type in clinical use: {}", in_use.join(", ")),
            });
        }
    }
    if let Some(budget) = &request.budget {
        if rates.get(&budget.currency).is_none() {
            errors.push(FieldError {
                pointer: "/budget/currency".into(),
                message: format!("must be one of {}", rates.codes().join(", ")),
            });
        }
    }
    if isocountry::CountryCode::for_alpha2(&request.patient.country_of_residence).is_err() {
        errors.push(FieldError {
            pointer: "/patient/country_of_residence".into(),
            message: "must be an ISO 3166-1 alpha-2 code such as GB".into(),
        });
    }
    if let Some(ShareWith::Clinics { clinic_ids }) = &request.share_with {
        let published = repo::published_clinics(conn, clinic_ids).await?;
        for (i, id) in clinic_ids.iter().enumerate() {
            if !published.contains(id) {
                errors.push(FieldError {
                    pointer: format!("/share_with/clinic_ids/{i}"),
                    message: "is not a listed clinic".into(),
                });
            }
        }
    }
    Ok(errors)
}

/// Request a quote
///
/// Public. Takes the patient's condition, preferences, budget, contact details and explicit consent
/// to processing health data, and answers 201 with the quote, a patient `access_token` shown only
/// this once, and `estimates`: packages ranked by a documented matching score with the price in
/// the budget's currency and plain reasons. The request is shared only with the clinics named in
/// `share_with`. Send an `Idempotency-Key` to retry safely: the same key and body replay the first
/// response; the same key with another body is a 422.
#[utoipa::path(
    tag = "quotes",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response")),
    request_body(content = CreateQuoteRequest, example = json!({
        "condition": "sciatica",
        "notes": "L5-S1 herniation, leg pain for two years",
        "has_mri": true,
        "preferred_countries": ["MX", "TR"],
        "budget": {"amount": "8000.00", "currency": "EUR"},
        "travel_window": {"from": "2027-03-01", "to": "2027-04-30"},
        "patient": {"name": "Jane Doe", "email": "jane@example.com", "country_of_residence": "GB", "preferred_language": "en"},
        "consent": {"health_data_processing": true},
        "share_with": {"mode": "top_matches", "count": 3}
    })),
    responses(
        (status = 201, description = "Created; `Location` names the quote", body = CreatedQuote,
         headers(("Location" = String, description = "URL of the quote"), ("ETag" = String, description = "Entity tag"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, no consent, or an Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many quote requests for this email today", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/v1/quotes")]
pub async fn create_quote(
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    idempotency_key: IdempotencyKey,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let idempotent = Idempotent::new(
        &state.data_key,
        IDEMPOTENCY_SCOPE.to_owned(),
        idempotency_key,
        &body,
    );
    let mut conn = state.pool.get().await?;
    if let Some(replayed) = idempotent.replay(&mut conn).await? {
        return Ok(replayed);
    }
    let request: CreateQuoteRequest = serde_json::from_value(body).map_err(|e| {
        ApiError::validation(vec![FieldError {
            pointer: String::new(),
            message: e.to_string(),
        }])
    })?;
    let mut errors = request.validate();
    let reference = reference_cache.get(&mut &*conn).await?;
    let rates = &reference.rates;
    errors.extend(validate_against_catalogue(&mut conn, &request, &reference).await?);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }

    let email_hash = state.data_key.keyed_hash(&request.patient.normalised_email());
    let recent: i64 = quotes::table
        .filter(quotes::email_hash.eq(&email_hash))
        .filter(quotes::created_at.gt(Utc::now() - Duration::hours(24)))
        .count()
        .get_result(&mut conn)
        .await?;
    if recent >= i64::try_from(state.settings.quotes_per_email_per_day).unwrap_or(i64::MAX) {
        return Err(ApiError::new(
            ProblemKind::TooManyRequests,
            "too many quote requests for this email address in the last 24 hours; try again tomorrow",
        )
        .with_header(header::RETRY_AFTER, "3600"));
    }

    let evidence: Vec<(Option<String>, String)> =
        crate::evidence::repo::summaries_for_condition(&mut conn, &request.condition)
            .await?
            .into_iter()
            .map(|s| (s.cell_type, s.certainty))
            .collect();
    let wishes = Wishes {
        condition: &request.condition,
        preferred_countries: &request.preferred_countries,
        preferred_cell_types: &request.preferred_cell_types,
        budget: request.budget.as_ref(),
        budget_usd: request
            .budget
            .as_ref()
            .and_then(|b| rates.to_usd(b.amount, &b.currency)),
        evidence: &evidence,
    };
    // Postgres ranks with the same score and returns only the best; `rank` explains them.
    let binds = ScoreBinds::of(&wishes);
    let limit = i64::try_from(MAX_ESTIMATES).unwrap_or(i64::MAX);
    let candidates = repo::candidates(&mut conn, &request.condition, &binds, Some(limit)).await?;
    let candidate_views: Vec<Candidate<'_>> = candidates
        .iter()
        .map(|c| Candidate {
            package: &c.package,
            clinic_name: &c.clinic_name,
            clinic_score: c.clinic_score,
        })
        .collect();
    let estimates = matching::rank(&wishes, &candidate_views, rates, MAX_ESTIMATES);
    let share_with = request.share_with.clone().unwrap_or(ShareWith::None);
    let (share_mode, routed): (&str, Vec<Uuid>) = match &share_with {
        ShareWith::None => ("none", Vec::new()),
        ShareWith::Clinics { clinic_ids } => {
            let mut ids = clinic_ids.clone();
            ids.dedup();
            ("clinics", ids)
        }
        ShareWith::TopMatches { count } => {
            let mut ids: Vec<Uuid> = Vec::new();
            for estimate in &estimates {
                if ids.len() < usize::from(*count) && !ids.contains(&estimate.clinic_id) {
                    ids.push(estimate.clinic_id);
                }
            }
            ("top_matches", ids)
        }
    };

    let access_token = random_token(crate::auth::QUOTE_TOKEN_PREFIX);
    let now = Utc::now();
    let ttl_days = i64::try_from(state.settings.quote_ttl_days).unwrap_or(30);
    let estimates_json = serde_json::to_value(&estimates).map_err(ApiError::internal)?;
    let key = state.data_key.clone();
    let contact = request.patient.seal(&key);
    let notes = request
        .notes
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| seal_text(&key, n));

    let outcome = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let quote_id: Uuid = diesel::insert_into(quotes::table)
                .values((
                    quotes::access_token_hash.eq(secret_hash(&access_token)),
                    quotes::condition_slug.eq(&request.condition),
                    quotes::has_mri.eq(request.has_mri),
                    quotes::preferred_countries.eq(&request.preferred_countries),
                    quotes::preferred_cell_types.eq(&request.preferred_cell_types),
                    quotes::budget_amount.eq(request.budget.as_ref().map(|b| b.amount)),
                    quotes::budget_currency.eq(request.budget.as_ref().map(|b| b.currency.clone())),
                    quotes::travel_from.eq(request.travel_window.as_ref().map(|w| w.from)),
                    quotes::travel_to.eq(request.travel_window.as_ref().map(|w| w.to)),
                    quotes::patient_country.eq(&request.patient.country_of_residence),
                    quotes::preferred_language.eq(&request.patient.preferred_language),
                    quotes::contact_ciphertext.eq(&contact),
                    quotes::notes_ciphertext.eq(&notes),
                    quotes::email_hash.eq(&email_hash),
                    quotes::consent_at.eq(now),
                    quotes::share_mode.eq(share_mode),
                    quotes::estimates.eq(&estimates_json),
                    quotes::expires_at.eq(now + Duration::days(ttl_days)),
                ))
                .returning(quotes::id)
                .get_result(conn)
                .await?;
            for clinic_id in &routed {
                diesel::insert_into(quote_routes::table)
                    .values((
                        quote_routes::quote_id.eq(quote_id),
                        quote_routes::clinic_id.eq(clinic_id),
                    ))
                    .execute(conn)
                    .await?;
            }
            crate::webhooks::outbox::quote_routed(conn, quote_id, &routed, QuoteStatus::Open.as_str())
                .await?;
            let quote = repo::find(conn, quote_id)
                .await?
                .ok_or_else(|| ApiError::internal("the new quote vanished"))?;
            let view = quote_response(conn, &key, &Principal::Patient { quote_id }, &quote).await?;
            let created = CreatedQuote {
                quote: serde_json::to_value(&view).map_err(ApiError::internal)?,
                access_token: access_token.clone(),
                estimates: estimates.clone(),
                disclaimer: crate::disclaimer::DISCLAIMER,
            };
            let bytes = serde_json::to_vec(&created).map_err(ApiError::internal)?;
            let stored = StoredResponse {
                status: 201,
                location: Some(format!("/v1/quotes/{quote_id}")),
                etag: Some(etag_of(&serde_json::to_vec(&view).map_err(ApiError::internal)?)),
                body: bytes,
            };
            idempotent.record(conn, &stored, Some(quote_id)).await?;
            Ok(stored)
        })
        .await;
    idempotent.respond(&mut conn, outcome).await
}

/// Get a quote
///
/// For the patient (`Bearer qt_…`), staff, or a partner whose clinic the quote was shared with.
/// Partners see the condition, notes, preferences, budget and country, but no contact details
/// until the patient accepts their offer; every read of contact details by staff or partners is
/// written to the audit log. Never cached.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The quote", body = QuoteResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/quotes/{id}")]
pub async fn get_quote(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    let quote = repo::visible_quote(&mut conn, &principal, *id).await?;
    let view = quote_response(&mut conn, &state.data_key, &principal, &quote).await?;
    private_json(actix_web::http::StatusCode::OK, &view)
}

/// Filters of the staff and partner quote list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuoteListParams {
    /// `open`, `offered`, `accepted`, `cancelled` or `expired`.
    #[param(max_length = 9, pattern = "^(open|offered|accepted|cancelled|expired)$")]
    pub status: Option<String>,
    /// Condition slug.
    #[param(min_length = 1, max_length = 100, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub condition: Option<String>,
    /// The patient's country of residence (ISO 3166-1 alpha-2).
    #[param(min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
    /// Created at or after (RFC 3339).
    #[param(max_length = 64)]
    pub created_after: Option<chrono::DateTime<Utc>>,
    /// Created before (RFC 3339).
    #[param(max_length = 64)]
    pub created_before: Option<chrono::DateTime<Utc>>,
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
}

/// List quotes
///
/// Coordinators and admins see every quote; partners see the quotes shared with their clinics.
/// Newest first, a page at a time. Items carry no contact details.
#[utoipa::path(
    tag = "quotes",
    params(QuoteListParams),
    responses(
        (status = 200, description = "A page of quotes", body = crate::pagination::Page<QuoteResponse>),
        (status = 400, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Patients cannot list quotes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/quotes")]
pub async fn list_quotes(
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    bearer: BearerToken,
    params: web::Query<QuoteListParams>,
) -> Result<HttpResponse, ApiError> {
    use crate::pagination::{page_size, split_page, Cursor, Page};
    let mut conn = state.pool.get().await?;
    let principal = bearer.api_key(&mut conn).await?;
    let size = page_size(params.page_size)?;
    let mut query = quotes::table
        .select(crate::quotes::model::Quote::as_select())
        .into_boxed();
    let mut scope = vec!["quotes".to_owned()];
    if let Principal::Partner { partner_id, .. } = &principal {
        let routed = quote_routes::table
            .inner_join(crate::db::schema::clinics::table)
            .filter(crate::db::schema::clinics::partner_id.eq(*partner_id))
            .select(quote_routes::quote_id);
        query = query.filter(quotes::id.eq_any(routed));
        scope.push(format!("partner={partner_id}"));
    }
    if let Some(status) = &params.status {
        let status: QuoteStatus = status.parse().map_err(|_| {
            ApiError::invalid_query("status", "must be open, offered, accepted, cancelled or expired")
        })?;
        query = query.filter(quotes::status.eq(status));
        scope.push(format!("status={status}"));
    }
    if let Some(condition) = &params.condition {
        let slug = reference_cache
            .get(&mut &*conn)
            .await?
            .known_condition("condition", condition)?;
        query = query.filter(quotes::condition_slug.eq(slug.clone()));
        scope.push(format!("condition={slug}"));
    }
    if let Some(country) = &params.country {
        let code = country.to_ascii_uppercase();
        if isocountry::CountryCode::for_alpha2(&code).is_err() {
            return Err(ApiError::invalid_query(
                "country",
                "must be an ISO 3166-1 alpha-2 code",
            ));
        }
        query = query.filter(quotes::patient_country.eq(code.clone()));
        scope.push(format!("country={code}"));
    }
    if let Some(after) = params.created_after {
        query = query.filter(quotes::created_at.ge(after));
        scope.push(format!("after={}", after.timestamp_micros()));
    }
    if let Some(before) = params.created_before {
        query = query.filter(quotes::created_at.lt(before));
        scope.push(format!("before={}", before.timestamp_micros()));
    }
    let scope = scope.join("|");
    if let Some(token) = &params.page_token {
        let cursor = state.page_tokens.verify(&scope, token)?;
        let at = cursor
            .key
            .as_i64()
            .and_then(chrono::DateTime::from_timestamp_micros)
            .ok_or_else(|| ApiError::new(ProblemKind::InvalidPageToken, "is not a page token"))?;
        query = query.filter(
            quotes::created_at
                .lt(at)
                .or(quotes::created_at.eq(at).and(quotes::id.lt(cursor.id))),
        );
    }
    let rows = query
        .order((quotes::created_at.desc(), quotes::id.desc()))
        .limit(size + 1)
        .load(&mut conn)
        .await?;
    let (rows, next) = split_page(rows, size, |q| Cursor {
        key: q.created_at.timestamp_micros().into(),
        id: q.id,
    });
    let mut items = Vec::with_capacity(rows.len());
    for quote in &rows {
        items.push(quote_summary(&mut conn, &state.data_key, quote).await?);
    }
    let next_page_token = next.map(|cursor| state.page_tokens.issue(&scope, &cursor));
    private_json(
        actix_web::http::StatusCode::OK,
        &Page {
            items,
            next_page_token,
        },
    )
}

/// The patient's own quote, locked, or 404/403.
async fn patient_quote(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<(), ApiError> {
    match principal {
        Principal::Patient { quote_id } if *quote_id == id => Ok(()),
        Principal::Patient { .. } => Err(ApiError::not_found(format!("no quote has id {id}"))),
        _ => {
            repo::visible_quote(conn, principal, id).await?;
            Err(crate::auth::forbidden(
                "only the patient who made this request may do this",
            ))
        }
    }
}

/// Cancel a quote
///
/// The patient withdraws the request: an open or offered quote becomes `cancelled` and pending
/// offers are declined. Any other state is a 409 naming it.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The cancelled quote", body = QuoteResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the patient may cancel", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The quote cannot be cancelled in its current state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/quotes/{id}/cancel")]
pub async fn cancel_quote(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    patient_quote(&mut conn, &principal, id).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let quote = repo::lock(conn, id).await?;
        if quote.erased_at.is_some() {
            return Err(conflict("quote", "erased", QuoteStatus::Cancelled.as_str()));
        }
        quote.status.check(QuoteStatus::Cancelled)?;
        decline_pending_offers(conn, id).await?;
        diesel::update(quotes::table.find(id))
            .set((
                quotes::status.eq(QuoteStatus::Cancelled),
                quotes::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        crate::webhooks::outbox::quote_changed(
            conn,
            id,
            EventType::QuoteCancelled,
            QuoteStatus::Cancelled.as_str(),
        )
        .await?;
        Ok(())
    })
    .await?;
    let quote = repo::find(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such quote"))?;
    let view = quote_response(&mut conn, &state.data_key, &principal, &quote).await?;
    private_json(actix_web::http::StatusCode::OK, &view)
}

/// Declines the quote's pending offers and tells their partners (`offer.declined`).
pub async fn decline_pending_offers(conn: &mut AsyncPgConnection, quote_id: Uuid) -> QueryResult<usize> {
    let declined: Vec<Uuid> = diesel::update(
        offers::table
            .filter(offers::quote_id.eq(quote_id))
            .filter(offers::status.eq(OfferStatus::Pending)),
    )
    .set((
        offers::status.eq(OfferStatus::Declined),
        offers::updated_at.eq(diesel::dsl::now),
    ))
    .returning(offers::id)
    .get_results(conn)
    .await?;
    for offer_id in &declined {
        crate::webhooks::outbox::offer_changed(
            conn,
            *offer_id,
            EventType::OfferDeclined,
            OfferStatus::Declined.as_str(),
        )
        .await?;
    }
    Ok(declined.len())
}

/// Erase my data
///
/// The patient erases the personal data of this quote: contact details, notes and the email
/// fingerprint are deleted (and the stored idempotent response with them); an open or offered
/// quote is cancelled. Anonymous facts (condition, country, dates, offers) remain for statistics,
/// and the quote then reads as `erased`. Answers 204.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the patient may erase", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/quotes/{id}")]
pub async fn erase_quote(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    patient_quote(&mut conn, &principal, id).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let quote = repo::lock(conn, id).await?;
        if quote.status.may_become(QuoteStatus::Cancelled) {
            decline_pending_offers(conn, id).await?;
            diesel::update(quotes::table.find(id))
                .set(quotes::status.eq(QuoteStatus::Cancelled))
                .execute(conn)
                .await?;
            crate::webhooks::outbox::quote_changed(
                conn,
                id,
                EventType::QuoteCancelled,
                QuoteStatus::Cancelled.as_str(),
            )
            .await?;
        }
        diesel::update(quotes::table.find(id))
            .set((
                quotes::contact_ciphertext.eq(None::<Vec<u8>>),
                quotes::notes_ciphertext.eq(None::<Vec<u8>>),
                quotes::email_hash.eq(None::<Vec<u8>>),
                quotes::erased_at.eq(diesel::dsl::now),
                quotes::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        diesel::delete(
            crate::db::schema::idempotency_keys::table
                .filter(crate::db::schema::idempotency_keys::quote_id.eq(id)),
        )
        .execute(conn)
        .await?;
        crate::webhooks::outbox::quote_changed(conn, id, EventType::QuoteErased, "erased").await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// Everything held about one quote.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct QuoteExport {
    pub quote: QuoteResponse,
    pub offers: Vec<crate::quotes::dto::OfferResponse>,
    /// Who read the contact details, when, in which request.
    pub access_log: Vec<AccessLogEntry>,
    /// When the patient consented to processing health data.
    pub consent_at: chrono::DateTime<Utc>,
}

/// One read of personal data.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AccessLogEntry {
    pub at: chrono::DateTime<Utc>,
    /// `admin`, `coordinator` or `partner`.
    pub actor_role: String,
    pub action: String,
    pub request_id: Option<String>,
}

/// Export my data
///
/// Everything StemCare holds about this quote, for the patient: the request with contact
/// details and notes, the offers, when consent was given, and who read the contact details.
#[utoipa::path(
    tag = "quotes",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The export", body = QuoteExport),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the patient may export", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/quotes/{id}/export")]
pub async fn export_quote(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    use crate::db::schema::audit_log;
    let id = *id;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    patient_quote(&mut conn, &principal, id).await?;
    let quote = repo::find(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such quote"))?;
    let consent_at: chrono::DateTime<Utc> = quotes::table
        .find(id)
        .select(quotes::consent_at)
        .first(&mut conn)
        .await?;
    let view = quote_response(&mut conn, &state.data_key, &principal, &quote).await?;
    let offers = crate::quotes::offers::offer_views(&mut conn, id).await?;
    let access_log = audit_log::table
        .filter(audit_log::quote_id.eq(id))
        .order(audit_log::id.asc())
        .select((
            audit_log::at,
            audit_log::actor_role,
            audit_log::action,
            audit_log::request_id,
        ))
        .load::<(chrono::DateTime<Utc>, String, String, Option<String>)>(&mut conn)
        .await?
        .into_iter()
        .map(|(at, actor_role, action, request_id)| AccessLogEntry {
            at,
            actor_role,
            action,
            request_id,
        })
        .collect();
    private_json(
        actix_web::http::StatusCode::OK,
        &QuoteExport {
            quote: view,
            offers,
            access_log,
            consent_at,
        },
    )
}
