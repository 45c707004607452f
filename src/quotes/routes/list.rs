//! `GET /v1/quotes`: the staff and partner quote list.

use actix_web::{get, web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{BearerToken, Principal};
use crate::error::{ApiError, Problem, ProblemKind};
use crate::http_cache::private_json;
use crate::pagination::{page_size, split_page, Cursor, Page};
use crate::quotes::domain::QuoteStatus;
use crate::quotes::dto::QuoteResponse;
use crate::quotes::present::quote_summary;
use crate::quotes::repo::{self, QuoteFilter};
use crate::reference::ReferenceCache;
use crate::state::AppState;

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
    let mut conn = state.pool.get().await?;
    let principal = bearer.api_key(&mut conn).await?;
    let size = page_size(params.page_size)?;
    let mut filter = QuoteFilter::default();
    let mut scope = vec!["quotes".to_owned()];
    if let Principal::Partner { partner_id, .. } = &principal {
        filter.partner_id = Some(*partner_id);
        scope.push(format!("partner={partner_id}"));
    }
    if let Some(status) = &params.status {
        let status: QuoteStatus = status.parse().map_err(|_| {
            ApiError::invalid_query("status", "must be open, offered, accepted, cancelled or expired")
        })?;
        filter.status = Some(status);
        scope.push(format!("status={status}"));
    }
    if let Some(condition) = &params.condition {
        let slug = reference_cache
            .get(&mut &*conn)
            .await?
            .known_condition("condition", condition)?;
        scope.push(format!("condition={slug}"));
        filter.condition = Some(slug);
    }
    if let Some(country) = &params.country {
        let code = country.to_ascii_uppercase();
        if isocountry::CountryCode::for_alpha2(&code).is_err() {
            return Err(ApiError::invalid_query(
                "country",
                "must be an ISO 3166-1 alpha-2 code",
            ));
        }
        scope.push(format!("country={code}"));
        filter.country = Some(code);
    }
    if let Some(after) = params.created_after {
        filter.created_after = Some(after);
        scope.push(format!("after={}", after.timestamp_micros()));
    }
    if let Some(before) = params.created_before {
        filter.created_before = Some(before);
        scope.push(format!("before={}", before.timestamp_micros()));
    }
    let scope = scope.join("|");
    let after = match &params.page_token {
        Some(token) => {
            let cursor = state.page_tokens.verify(&scope, token)?;
            let at = cursor
                .key
                .as_i64()
                .and_then(chrono::DateTime::from_timestamp_micros)
                .ok_or_else(|| ApiError::new(ProblemKind::InvalidPageToken, "is not a page token"))?;
            Some((at, cursor.id))
        }
        None => None,
    };
    let rows = repo::quote_page(&mut conn, &filter, after, size + 1).await?;
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
