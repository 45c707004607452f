//! Exchange rates set by hand (the ECB refresh keeps them until it has a newer day).

use actix_web::{put, web, HttpResponse};
use diesel_async::AsyncConnection;

use crate::admin::domain::NewRate;
use crate::admin::dto::ExchangeRateInput;
use crate::admin::repo::exchange_rates as repo;
use crate::auth::{require_admin, BearerToken};
use crate::error::{ApiError, Problem};
use crate::reference::ReferenceCache;
use crate::state::AppState;

/// Set an exchange rate
///
/// Sets a currency's rate (with its date and source) and re-prices every listing in USD terms.
/// The ECB refresh (`stemcare rates refresh`, or the periodic one) keeps a rate set here until the
/// ECB publishes a day after its `as_of`, which may not be in the future. The stored `derivation`
/// says the rate was entered by an admin.
#[utoipa::path(
    tag = "admin",
    params(("currency" = String, Path, description = "ISO 4217 code (any case)", example = "EUR",
        min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")),
    request_body = ExchangeRateInput,
    responses(
        (status = 200, description = "Stored"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/v1/admin/exchange-rates/{currency}")]
pub async fn put_exchange_rate(
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    bearer: BearerToken,
    currency: web::Path<String>,
    body: web::Json<ExchangeRateInput>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = require_admin(&mut conn, &bearer).await?;
    let rate = NewRate::parse(&currency, body.into_inner()).map_err(ApiError::validation)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        crate::exchange_rates::refresh::lock_rates(conn).await?;
        repo::upsert_rate(conn, &rate).await?;
        crate::listings::refresh_all(conn).await?;
        crate::audit::record_admin(
            conn,
            &principal,
            "set_exchange_rate",
            &format!("currency:{}", rate.currency),
        )
        .await?;
        Ok(())
    })
    .await?;
    reference_cache.invalidate();
    Ok(HttpResponse::Ok().json(serde_json::json!({"currency": rate.currency, "units_per_usd": rate.units_per_usd.to_string(), "as_of": rate.as_of})))
}
