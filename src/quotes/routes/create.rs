//! `POST /v1/quotes`: a patient's request, answered with ranked estimates.

use actix_web::http::header;
use actix_web::{post, web, HttpResponse};
use chrono::{Duration, Utc};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::Principal;
use crate::crypto::{random_token, secret_hash};
use crate::error::{ApiError, FieldError, Problem, ProblemKind};
use crate::http_cache::etag_of;
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::quotes::contact::seal_text;
use crate::quotes::domain::{NewQuote, QuoteStatus};
use crate::quotes::dto::{CreateQuoteRequest, CreatedQuote, Estimate, ShareWith};
use crate::quotes::matching::{self, Candidate, ScoreBinds, Wishes};
use crate::quotes::present::quote_response;
use crate::quotes::repo::{self, QuoteInsert};
use crate::reference::{Reference, ReferenceCache};
use crate::state::AppState;

const IDEMPOTENCY_SCOPE: &str = "POST /v1/quotes";
const MAX_ESTIMATES: usize = 10;

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
    let reference = reference_cache.get(&mut &*conn).await?;
    let published = match &request.share_with {
        Some(ShareWith::Clinics { clinic_ids }) => repo::published_clinics(&mut conn, clinic_ids).await?,
        _ => Vec::new(),
    };
    let quote = NewQuote::parse(request, &reference, &published).map_err(ApiError::validation)?;

    let email_hash = state.data_key.keyed_hash(&quote.patient.normalised_email());
    let since = Utc::now() - Duration::hours(24);
    let recent = repo::count_quotes_by_email_since(&mut conn, &email_hash, since).await?;
    if recent >= i64::try_from(state.settings.quotes_per_email_per_day).unwrap_or(i64::MAX) {
        return Err(ApiError::new(
            ProblemKind::TooManyRequests,
            "too many quote requests for this email address in the last 24 hours; try again tomorrow",
        )
        .with_header(header::RETRY_AFTER, "3600"));
    }

    let estimates = estimate(&mut conn, &quote, &reference).await?;
    let (share_mode, routed) = routing(&quote.share_with, &estimates);
    let access_token = random_token(crate::auth::QUOTE_TOKEN_PREFIX);
    let now = Utc::now();
    let ttl_days = i64::try_from(state.settings.quote_ttl_days).unwrap_or(30);
    let estimates_json = serde_json::to_value(&estimates).map_err(ApiError::internal)?;
    let key = state.data_key.clone();
    let contact = quote.patient.seal(&key);
    let notes = quote.notes.as_deref().map(|n| seal_text(&key, n));
    let token_hash = secret_hash(&access_token);
    let insert = QuoteInsert {
        access_token_hash: &token_hash,
        quote: &quote,
        contact_ciphertext: &contact,
        notes_ciphertext: notes.as_deref(),
        email_hash: &email_hash,
        consent_at: now,
        share_mode,
        estimates: &estimates_json,
        expires_at: now + Duration::days(ttl_days),
    };

    let outcome = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let quote_id = repo::insert_quote(conn, &insert, &routed).await?;
            let status = QuoteStatus::Open.as_str();
            crate::webhooks::outbox::quote_routed(conn, quote_id, &routed, status).await?;
            let stored_quote = repo::find(conn, quote_id)
                .await?
                .ok_or_else(|| ApiError::internal("the new quote vanished"))?;
            let view = quote_response(conn, &key, &Principal::Patient { quote_id }, &stored_quote).await?;
            // The ETag is the quote's own, as `GET /v1/quotes/{id}` will answer it.
            let etag = etag_of(&serde_json::to_vec(&view).map_err(ApiError::internal)?);
            let created = CreatedQuote {
                quote: view,
                access_token: access_token.clone(),
                estimates: estimates.clone(),
                disclaimer: crate::disclaimer::DISCLAIMER,
            };
            let stored = StoredResponse {
                status: 201,
                location: Some(format!("/v1/quotes/{quote_id}")),
                etag: Some(etag),
                body: serde_json::to_vec(&created).map_err(ApiError::internal)?,
            };
            idempotent.record(conn, &stored, Some(quote_id)).await?;
            Ok(stored)
        })
        .await;
    idempotent.respond(&mut conn, outcome).await
}

/// The best packages for the request, ranked: Postgres ranks with the same score and returns only
/// the best; `rank` explains them.
async fn estimate(
    conn: &mut diesel_async::AsyncPgConnection,
    quote: &NewQuote,
    reference: &Reference,
) -> Result<Vec<Estimate>, ApiError> {
    let rates = &reference.rates;
    let evidence: Vec<(Option<String>, String)> =
        crate::evidence::repo::summaries_for_condition(conn, &quote.condition)
            .await?
            .into_iter()
            .map(|s| (s.cell_type, s.certainty))
            .collect();
    let wishes = Wishes {
        condition: &quote.condition,
        preferred_countries: &quote.preferred_countries,
        preferred_cell_types: &quote.preferred_cell_types,
        budget: quote.budget.as_ref(),
        budget_usd: quote
            .budget
            .as_ref()
            .and_then(|b| rates.to_usd(b.amount, &b.currency)),
        evidence: &evidence,
    };
    let binds = ScoreBinds::of(&wishes);
    let limit = i64::try_from(MAX_ESTIMATES).unwrap_or(i64::MAX);
    let candidates = repo::candidates(conn, &quote.condition, &binds, Some(limit)).await?;
    let candidate_views: Vec<Candidate<'_>> = candidates
        .iter()
        .map(|c| Candidate {
            package: &c.package,
            clinic_name: &c.clinic_name,
            clinic_score: c.clinic_score,
        })
        .collect();
    Ok(matching::rank(&wishes, &candidate_views, rates, MAX_ESTIMATES))
}

/// The stored share mode and the clinics the quote goes to.
fn routing(share_with: &ShareWith, estimates: &[Estimate]) -> (&'static str, Vec<Uuid>) {
    match share_with {
        ShareWith::None => ("none", Vec::new()),
        ShareWith::Clinics { clinic_ids } => {
            let mut ids = clinic_ids.clone();
            ids.dedup();
            ("clinics", ids)
        }
        ShareWith::TopMatches { count } => {
            let mut ids: Vec<Uuid> = Vec::new();
            for estimate in estimates {
                if ids.len() < usize::from(*count) && !ids.contains(&estimate.clinic_id) {
                    ids.push(estimate.clinic_id);
                }
            }
            ("top_matches", ids)
        }
    }
}
