use actix_web::{get, post, put, web, HttpResponse};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{forbidden, BearerToken, Principal};
use crate::clinics::model::Clinic;
use crate::db::schema::{api_keys, audit_log, clinics, exchange_rates, partners};
use crate::error::{ApiError, FieldError, Problem};
use crate::exchange_rates::refresh::ADMIN_DERIVATION;
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::reference::ReferenceCache;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(moderation_queue)
        .service(moderate_listing)
        .service(put_exchange_rate)
        .service(create_partner)
        .service(list_partners)
        .service(create_api_key)
        .service(list_api_keys)
        .service(revoke_api_key)
        .service(rotate_api_key)
        .service(read_audit_log);
}

/// The caller, if it holds an admin key; 403 for other keys.
pub(super) async fn admin(conn: &mut AsyncPgConnection, bearer: &BearerToken) -> Result<Principal, ApiError> {
    let principal = bearer.api_key(conn).await?;
    if matches!(principal, Principal::Admin { .. }) {
        Ok(principal)
    } else {
        Err(forbidden("this needs an admin key"))
    }
}

/// A listing waiting for moderation.
#[derive(Serialize, ToSchema)]
pub struct ModerationItem {
    pub clinic_id: Uuid,
    pub name: String,
    pub partner_id: Option<Uuid>,
    pub status: String,
    /// The flags that sent it to moderation.
    pub red_flags: Vec<crate::red_flags::RedFlag>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Moderation queue
///
/// Listings held back because their text or fields raised red flags, oldest first.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Listings waiting for a decision", body = Vec<ModerationItem>),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/moderation")]
pub async fn moderation_queue(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    admin(&mut conn, &bearer).await?;
    let pending: Vec<Clinic> = clinics::table
        .filter(clinics::status.eq("pending_review"))
        .order(clinics::updated_at.asc())
        .select(Clinic::as_select())
        .load(&mut conn)
        .await?;
    let ids: Vec<Uuid> = pending.iter().map(|c| c.id).collect();
    let mut flags = crate::red_flags::repo::detections_for(&mut &*conn, &ids).await?;
    let items: Vec<ModerationItem> = pending
        .into_iter()
        .map(|c| ModerationItem {
            red_flags: flags
                .remove(&c.id)
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            clinic_id: c.id,
            name: c.name,
            partner_id: c.partner_id,
            status: c.status,
            updated_at: c.updated_at,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(items))
}

/// A moderation decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationDecision {
    /// `approve` (publish, flags stay visible) or `reject`.
    #[schema(example = "approve", max_length = 7, pattern = "^(approve|reject)$")]
    pub decision: String,
    /// Why (1–1,000 characters); shown to the partner.
    #[schema(
        example = "Claims rephrased after review; remaining flags are informational.",
        min_length = 1,
        max_length = 1000,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: String,
}

/// Decide on a listing
///
/// Approve (publish; its red flags stay visible to patients) or reject a listing in moderation.
#[utoipa::path(
    tag = "admin",
    params(("clinic_id" = Uuid, Path, description = "Clinic id")),
    request_body = ModerationDecision,
    responses(
        (status = 200, description = "Decided"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No listing waiting for moderation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid decision", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/moderation/{clinic_id}")]
pub async fn moderate_listing(
    state: web::Data<AppState>,
    bearer: BearerToken,
    clinic_id: web::Path<Uuid>,
    body: web::Json<ModerationDecision>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = admin(&mut conn, &bearer).await?;
    let status = match body.decision.as_str() {
        "approve" => "published",
        "reject" => "rejected",
        _ => {
            return Err(ApiError::validation(vec![FieldError {
                pointer: "/decision".into(),
                message: "must be approve or reject".into(),
            }]))
        }
    };
    if !crate::text::is_text(&body.reason, 1000) {
        return Err(ApiError::validation(vec![FieldError {
            pointer: "/reason".into(),
            message: "must be 1 to 1000 characters, without control characters".into(),
        }]));
    }
    let reason = body.reason.trim();
    let id = *clinic_id;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let updated = diesel::update(
            clinics::table
                .find(id)
                .filter(clinics::status.eq("pending_review")),
        )
        .set((
            clinics::status.eq(status),
            clinics::moderation_note.eq(reason),
            clinics::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
        if updated == 0 {
            return Err(ApiError::not_found(format!(
                "no listing {id} is waiting for moderation"
            )));
        }
        crate::audit::record_admin(
            conn,
            &principal,
            &format!("moderation_{}", body.decision),
            &format!("clinic:{id}"),
        )
        .await?;
        let owner: Option<Uuid> = clinics::table
            .find(id)
            .select(clinics::partner_id)
            .first(conn)
            .await?;
        if let Some(partner_id) = owner {
            crate::webhooks::outbox::listing_moderated(conn, partner_id, id, status).await?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"clinic_id": id, "status": status})))
}

/// A new exchange rate.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRateInput {
    /// Units of the currency per 1 USD: more than 0, below 1,000,000,000,000, at most 12 decimals.
    #[schema(value_type = String, example = "0.92", max_length = 25, pattern = r"^[0-9]{1,12}(\.[0-9]{1,12})?$")]
    #[serde(with = "rust_decimal::serde::str")]
    pub units_per_usd: Decimal,
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    /// Where the rate comes from: `{title, url, section, retrieved_at}`.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
}

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
    let principal = admin(&mut conn, &bearer).await?;
    let code = currency.to_ascii_uppercase();
    let mut errors = Vec::new();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push(FieldError {
            pointer: "/path/currency".into(),
            message: "must be an ISO 4217 code".into(),
        });
    }
    if code == "USD" && body.units_per_usd != Decimal::ONE {
        errors.push(FieldError {
            pointer: "/units_per_usd".into(),
            message: "USD is always 1".into(),
        });
    }
    if body.units_per_usd <= Decimal::ZERO
        || body.units_per_usd >= Decimal::from(1_000_000_000_000i64)
        || body.units_per_usd.scale() > 12
    {
        errors.push(FieldError {
            pointer: "/units_per_usd".into(),
            message: "must be more than 0 and less than 1000000000000, with at most 12 decimals".into(),
        });
    }
    if body.as_of > crate::money::today() + chrono::Days::new(1) {
        errors.push(FieldError {
            pointer: "/as_of".into(),
            message: "must not be in the future".into(),
        });
    }
    if !body.source.get("title").is_some_and(|t| t.is_string()) {
        errors.push(FieldError {
            pointer: "/source/title".into(),
            message: "is required".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    conn.transaction::<_, ApiError, _>(async |conn| {
        crate::exchange_rates::refresh::lock_rates(conn).await?;
        diesel::insert_into(exchange_rates::table)
            .values((
                exchange_rates::currency.eq(&code),
                exchange_rates::units_per_usd.eq(body.units_per_usd),
                exchange_rates::as_of.eq(body.as_of),
                exchange_rates::source.eq(&body.source),
                exchange_rates::derivation.eq(ADMIN_DERIVATION),
            ))
            .on_conflict(exchange_rates::currency)
            .do_update()
            .set((
                exchange_rates::units_per_usd.eq(body.units_per_usd),
                exchange_rates::as_of.eq(body.as_of),
                exchange_rates::source.eq(&body.source),
                exchange_rates::derivation.eq(ADMIN_DERIVATION),
                exchange_rates::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        crate::listings::refresh_all(conn).await?;
        crate::audit::record_admin(conn, &principal, "set_exchange_rate", &format!("currency:{code}"))
            .await?;
        Ok(())
    })
    .await?;
    reference_cache.invalidate();
    Ok(HttpResponse::Ok().json(serde_json::json!({"currency": code, "units_per_usd": body.units_per_usd.to_string(), "as_of": body.as_of})))
}

/// A partner organisation.
#[derive(Serialize, ToSchema, Queryable)]
pub struct PartnerResponse {
    pub id: Uuid,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A new partner and the clinics it manages.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    /// The organisation's name (1–200 characters, not only spaces).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// Slugs of existing clinics it manages (at most 100).
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::items::Slug>, inline, max_items = 100)]
    pub clinic_slugs: Vec<String>,
}

/// Create a partner
///
/// Creates (or finds by name) a partner organisation and hands it the listed clinics.
#[utoipa::path(
    tag = "admin",
    request_body = PartnerInput,
    responses(
        (status = 201, description = "Created", body = PartnerResponse),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or unknown clinic", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/partners")]
pub async fn create_partner(
    state: web::Data<AppState>,
    bearer: BearerToken,
    body: web::Json<PartnerInput>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = admin(&mut conn, &bearer).await?;
    let id = crate::partners::create_with_clinics(&mut conn, &body.name, &body.clinic_slugs)
        .await
        .map_err(|message| {
            ApiError::validation(vec![FieldError {
                pointer: String::new(),
                message,
            }])
        })?;
    crate::audit::record_admin(&mut conn, &principal, "create_partner", &format!("partner:{id}")).await?;
    let partner: PartnerResponse = partners::table
        .find(id)
        .select((partners::id, partners::name, partners::created_at))
        .first(&mut conn)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/admin/partners/{id}")))
        .json(partner))
}

/// List partners
///
/// Every partner organisation, oldest first.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Partners", body = Vec<PartnerResponse>),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/partners")]
pub async fn list_partners(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    admin(&mut conn, &bearer).await?;
    let rows: Vec<PartnerResponse> = partners::table
        .order(partners::created_at.asc())
        .select((partners::id, partners::name, partners::created_at))
        .load(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// A new API key.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyInput {
    /// `admin`, `coordinator` or `partner`.
    #[schema(max_length = 11, pattern = "^(admin|coordinator|partner)$")]
    pub role: String,
    /// Required for partner keys.
    pub partner_id: Option<Uuid>,
    /// A label for your own records (at most 100 characters).
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
}

/// An API key (never its secret, except once at creation).
#[derive(Serialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: Uuid,
    /// The visible start of the key.
    pub prefix: String,
    pub role: String,
    pub partner_id: Option<Uuid>,
    pub name: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The full key, present only in the creation response.
    pub secret: Option<String>,
}

/// Create an API key
///
/// The secret is in this response only; StemCare keeps its hash.
#[utoipa::path(
    tag = "admin",
    request_body = ApiKeyInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response, secret included")),
    responses(
        (status = 201, description = "Created, with the secret", body = ApiKeyResponse),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid role or partner, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    body: web::Json<ApiKeyInput>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = admin(&mut conn, &bearer).await?;
    // A retry whose response was lost gets the same key and secret, not a second key.
    let idempotent = Idempotent::new(
        &state.data_key,
        format!(
            "POST /v1/admin/api-keys {}",
            principal.key_id().unwrap_or_default()
        ),
        idempotency_key,
        &serde_json::to_value(&*body).map_err(ApiError::internal)?,
    );
    if let Some(replayed) = idempotent.replay(&mut conn).await? {
        return Ok(replayed);
    }
    if body
        .name
        .as_deref()
        .is_some_and(|name| !crate::text::is_free_text(name, 100))
    {
        return Err(ApiError::validation(vec![FieldError {
            pointer: "/name".into(),
            message: "must be at most 100 characters, without control characters".into(),
        }]));
    }
    if let Some(partner_id) = body.partner_id {
        let exists: i64 = partners::table
            .find(partner_id)
            .count()
            .get_result(&mut conn)
            .await?;
        if exists == 0 {
            return Err(ApiError::validation(vec![FieldError {
                pointer: "/partner_id".into(),
                message: "is not a partner".into(),
            }]));
        }
    }
    let outcome = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let created =
                crate::auth::api_keys::create(conn, &body.role, body.partner_id, body.name.as_deref())
                    .await
                    .map_err(|message| {
                        ApiError::validation(vec![FieldError {
                            pointer: "/role".into(),
                            message,
                        }])
                    })?;
            crate::audit::record_admin(
                conn,
                &principal,
                "create_api_key",
                &format!("api_key:{}", created.id),
            )
            .await?;
            let stored = created_key_response(conn, created).await?;
            idempotent.record(conn, &stored, None).await?;
            Ok(stored)
        })
        .await;
    idempotent.respond(&mut conn, outcome).await
}

/// The 201 for a new key: its view with the secret, the only time the secret is shown.
async fn created_key_response(
    conn: &mut AsyncPgConnection,
    created: crate::auth::api_keys::CreatedKey,
) -> Result<StoredResponse, ApiError> {
    let mut view = key_view(conn, created.id).await?;
    view.secret = Some(created.secret);
    Ok(StoredResponse {
        status: 201,
        location: None,
        etag: None,
        body: serde_json::to_vec(&view).map_err(ApiError::internal)?,
    })
}

async fn key_view(conn: &mut AsyncPgConnection, id: Uuid) -> Result<ApiKeyResponse, ApiError> {
    type Row = (
        Uuid,
        String,
        String,
        Option<Uuid>,
        Option<String>,
        chrono::DateTime<chrono::Utc>,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let (id, prefix, role, partner_id, name, created_at, revoked_at): Row = api_keys::table
        .find(id)
        .select((
            api_keys::id,
            api_keys::prefix,
            api_keys::role,
            api_keys::partner_id,
            api_keys::name,
            api_keys::created_at,
            api_keys::revoked_at,
        ))
        .first(conn)
        .await?;
    Ok(ApiKeyResponse {
        id,
        prefix,
        role,
        partner_id,
        name,
        created_at,
        revoked_at,
        secret: None,
    })
}

/// List API keys
///
/// Every key with its prefix, role and state; never secrets.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Keys", body = Vec<ApiKeyResponse>),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    admin(&mut conn, &bearer).await?;
    let ids: Vec<Uuid> = api_keys::table
        .order(api_keys::created_at.asc())
        .select(api_keys::id)
        .load(&mut conn)
        .await?;
    let mut views = Vec::with_capacity(ids.len());
    for id in ids {
        views.push(key_view(&mut conn, id).await?);
    }
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(views))
}

/// Revoke an API key
///
/// The key stops working at once.
#[utoipa::path(
    tag = "admin",
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 200, description = "Revoked", body = ApiKeyResponse),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No active key with this id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/api-keys/{id}/revoke")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = admin(&mut conn, &bearer).await?;
    let revoked = crate::auth::api_keys::revoke(&mut conn, &id.to_string())
        .await
        .map_err(ApiError::internal)?;
    if !revoked {
        return Err(ApiError::not_found(format!("no active key has id {id}")));
    }
    crate::audit::record_admin(&mut conn, &principal, "revoke_api_key", &format!("api_key:{id}")).await?;
    Ok(HttpResponse::Ok().json(key_view(&mut conn, *id).await?))
}

/// Rotate an API key
///
/// Issues a new key with the same role, partner and name, and revokes the old one in the same
/// transaction. The new secret is in this response only.
#[utoipa::path(
    tag = "admin",
    params(
        ("id" = Uuid, Path, description = "Key id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; a retry with the same key replays the first response, new secret included (without one, a retry finds the old key revoked: 404)"),
    ),
    responses(
        (status = 201, description = "The new key, with its secret", body = ApiKeyResponse),
        (status = 400, description = "Malformed Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No active key with this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/admin/api-keys/{id}/rotate")]
pub async fn rotate_api_key(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = admin(&mut conn, &bearer).await?;
    let old = *id;
    // The request is the path: the scope names the key; there is no body.
    let idempotent = Idempotent::new(
        &state.data_key,
        format!(
            "POST /v1/admin/api-keys/{old}/rotate {}",
            principal.key_id().unwrap_or_default()
        ),
        idempotency_key,
        &serde_json::Value::Null,
    );
    if let Some(replayed) = idempotent.replay(&mut conn).await? {
        return Ok(replayed);
    }
    let outcome = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current: Option<(String, Option<Uuid>, Option<String>)> = api_keys::table
                .find(old)
                .filter(api_keys::revoked_at.is_null())
                .select((api_keys::role, api_keys::partner_id, api_keys::name))
                .first(conn)
                .await
                .optional()?;
            let (role, partner_id, name) =
                current.ok_or_else(|| ApiError::not_found(format!("no active key has id {old}")))?;
            let created = crate::auth::api_keys::create(conn, &role, partner_id, name.as_deref())
                .await
                .map_err(ApiError::internal)?;
            crate::auth::api_keys::revoke(conn, &old.to_string())
                .await
                .map_err(ApiError::internal)?;
            crate::audit::record_admin(conn, &principal, "rotate_api_key", &format!("api_key:{old}")).await?;
            let stored = created_key_response(conn, created).await?;
            idempotent.record(conn, &stored, None).await?;
            Ok(stored)
        })
        .await;
    idempotent.respond(&mut conn, outcome).await
}

/// One audit entry.
#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_key_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub quote_id: Option<Uuid>,
    pub subject: Option<String>,
    pub request_id: Option<String>,
}

/// Read the audit log
///
/// The newest 500 entries: reads of personal data and admin writes. Append-only.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Audit entries, newest first", body = Vec<AuditEntry>),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/admin/audit-log")]
pub async fn read_audit_log(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    admin(&mut conn, &bearer).await?;
    type Row = (
        i64,
        chrono::DateTime<chrono::Utc>,
        Option<Uuid>,
        String,
        String,
        Option<Uuid>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = audit_log::table
        .order(audit_log::id.desc())
        .limit(500)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor_key_id,
            audit_log::actor_role,
            audit_log::action,
            audit_log::quote_id,
            audit_log::subject,
            audit_log::request_id,
        ))
        .load(&mut conn)
        .await?;
    let entries: Vec<AuditEntry> = rows
        .into_iter()
        .map(
            |(id, at, actor_key_id, actor_role, action, quote_id, subject, request_id)| AuditEntry {
                id,
                at,
                actor_key_id,
                actor_role,
                action,
                quote_id,
                subject,
                request_id,
            },
        )
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(entries))
}
