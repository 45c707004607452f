//! Bulk import: up to 1,000 clinics with their packages in one request, validated item by item,
//! each valid item stored in its own transaction, results in input order.

use actix_web::{post, web, HttpResponse};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, FieldError, Problem, ProblemKind};
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::partner_listings::input::{read_only_errors, ClinicInput, Errors, PackageInput};
use crate::partner_listings::repo::{self, VocabularyData};
use crate::partner_listings::routes::partner_id;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(import_listings);
}

/// The most items one import may carry.
pub const MAX_ITEMS: usize = 1000;

/// One clinic and its packages; `clinic.external_id` identifies it across imports.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportItem {
    pub clinic: ClinicInput,
    /// Replaces the clinic's packages.
    #[serde(default)]
    pub treatment_packages: Vec<PackageInput>,
}

/// A bulk import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// 1 to 1,000 items, each in the `ImportItem` shape. Each item is checked on its own: one
    /// that is not an `ImportItem` (unknown or read-only fields included) is reported as
    /// `rejected` in the results, so the schema accepts any object here.
    #[schema(value_type = Vec<Object>, min_items = 1, max_items = 1000)]
    pub items: Vec<Value>,
}

/// What happened to one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Position in the request.
    #[schema(format = Int64)]
    pub index: usize,
    pub external_id: Option<String>,
    /// `created`, `updated`, `unchanged` or `rejected`.
    #[schema(example = "created")]
    pub outcome: String,
    pub clinic_id: Option<Uuid>,
    /// `pending_review` when red flags hold the listing for moderation.
    pub status: Option<String>,
    /// Why the item was rejected; pointers are relative to the request body.
    pub errors: Vec<FieldError>,
}

/// Counts per outcome.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportSummary {
    #[schema(format = Int64)]
    pub created: usize,
    #[schema(format = Int64)]
    pub updated: usize,
    #[schema(format = Int64)]
    pub unchanged: usize,
    #[schema(format = Int64)]
    pub rejected: usize,
}

/// The result of an import, one entry per item in input order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub summary: ImportSummary,
    pub results: Vec<ImportResult>,
}

fn check_item(index: usize, raw: Value, vocab: &VocabularyData) -> Result<ImportItem, Vec<FieldError>> {
    let prefix = format!("/items/{index}");
    let mut errors = Vec::new();
    if let Some(clinic) = raw.get("clinic") {
        errors.extend(read_only_errors(clinic, &format!("{prefix}/clinic")));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let item: ImportItem = serde_json::from_value(raw).map_err(|e| {
        vec![FieldError {
            pointer: prefix.clone(),
            message: e.to_string(),
        }]
    })?;
    let clinic_prefix = format!("{prefix}/clinic");
    let mut checks = Errors::new(&clinic_prefix);
    item.clinic.validate(&mut checks, &vocab.view());
    if item.clinic.external_id.is_none() {
        checks.add("/external_id", "is required in imports");
    }
    errors.extend(checks.list);
    if item.treatment_packages.len() > 20 {
        errors.push(FieldError {
            pointer: format!("{prefix}/treatment_packages"),
            message: "must have at most 20 items".into(),
        });
    }
    for (j, package) in item.treatment_packages.iter().enumerate() {
        let package_prefix = format!("{prefix}/treatment_packages/{j}");
        let mut checks = Errors::new(&package_prefix);
        package.validate(&mut checks, &vocab.view());
        errors.extend(checks.list);
    }
    if errors.is_empty() {
        Ok(item)
    } else {
        Err(errors)
    }
}

async fn store_item(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    item: &ImportItem,
    vocab: &VocabularyData,
) -> Result<(String, Uuid, String), ApiError> {
    let external_id = item.clinic.external_id.clone().unwrap_or_default();
    let fingerprint = repo::fingerprint(item);
    conn.transaction::<_, ApiError, _>(async |conn| {
        let existing = repo::own_clinic_by_external_id(conn, partner, &external_id).await?;
        if let Some(clinic) = &existing {
            if clinic.input_hash.as_deref() == Some(fingerprint.as_slice()) {
                return Ok(("unchanged".to_owned(), clinic.id, clinic.status.clone()));
            }
        }
        let (id, outcome) = match &existing {
            Some(clinic) => {
                repo::write_clinic(conn, partner, Some((clinic.id, clinic.version)), &item.clinic)
                    .await?
                    .ok_or_else(|| {
                        ApiError::new(ProblemKind::Conflict, "the clinic changed during the import")
                    })?;
                (clinic.id, "updated")
            }
            None => {
                let (id, _) = repo::write_clinic(conn, partner, None, &item.clinic)
                    .await?
                    .ok_or_else(|| ApiError::internal("insert returned nothing"))?;
                (id, "created")
            }
        };
        repo::replace_packages(conn, id, &item.treatment_packages, &vocab.inclusions).await?;
        repo::set_input_hash(conn, id, &fingerprint).await?;
        let status = repo::after_change(conn, &state.rules, id).await?;
        Ok((outcome.to_owned(), id, status))
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
    let request: ImportRequest = serde_json::from_value(body).map_err(|e| {
        ApiError::validation(vec![FieldError {
            pointer: String::new(),
            message: e.to_string(),
        }])
    })?;
    if request.items.is_empty() || request.items.len() > MAX_ITEMS {
        return Err(ApiError::validation(vec![FieldError {
            pointer: "/items".into(),
            message: format!(
                "must have 1 to {MAX_ITEMS} items (got {}); nothing was stored",
                request.items.len()
            ),
        }]));
    }
    // Items are checked one by one, but each must at least be an object (the schema says so).
    let not_objects: Vec<FieldError> = request
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| !item.is_object())
        .map(|(index, _)| FieldError {
            pointer: format!("/items/{index}"),
            message: "must be an object (an ImportItem); nothing was stored".into(),
        })
        .collect();
    if !not_objects.is_empty() {
        return Err(ApiError::validation(not_objects));
    }
    let vocab = VocabularyData::load(&mut conn).await?;
    let mut summary = ImportSummary::default();
    let mut results = Vec::with_capacity(request.items.len());
    for (index, raw) in request.items.into_iter().enumerate() {
        let external_id = raw
            .pointer("/clinic/external_id")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let result = match check_item(index, raw, &vocab) {
            Err(errors) => {
                summary.rejected += 1;
                ImportResult {
                    index,
                    external_id,
                    outcome: "rejected".into(),
                    clinic_id: None,
                    status: None,
                    errors,
                }
            }
            Ok(item) => match store_item(&state, &mut conn, partner, &item, &vocab).await {
                Ok((outcome, clinic_id, status)) => {
                    match outcome.as_str() {
                        "created" => summary.created += 1,
                        "updated" => summary.updated += 1,
                        _ => summary.unchanged += 1,
                    }
                    ImportResult {
                        index,
                        external_id,
                        outcome,
                        clinic_id: Some(clinic_id),
                        status: Some(status),
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
                        outcome: "rejected".into(),
                        clinic_id: None,
                        status: None,
                        errors: vec![FieldError {
                            pointer: format!("/items/{index}"),
                            message,
                        }],
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
