use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{forbidden, BearerToken, Principal};
use crate::db::schema::{clinics, treatment_packages};
use crate::error::{ApiError, FieldError, Problem, ProblemKind};
use crate::idempotency::{IdempotencyKey, Idempotent, StoredResponse};
use crate::partner_listings::input::{merge_patch, read_only_errors, ClinicInput, Errors, PackageInput};
use crate::partner_listings::repo::{self, VocabularyData};
use crate::partner_listings::view::{etag, partner_view, PartnerClinicResponse, PartnerPackageResponse};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_own_clinics)
        .service(create_clinic)
        .service(upsert_clinic_by_external_id)
        .service(get_own_clinic)
        .service(patch_clinic)
        .service(delete_clinic)
        .service(create_package)
        .service(patch_package)
        .service(delete_package);
}

/// The calling partner's id; other roles get 403.
pub async fn partner_id(conn: &mut AsyncPgConnection, bearer: &BearerToken) -> Result<Uuid, ApiError> {
    match bearer.api_key(conn).await? {
        Principal::Partner { partner_id, .. } => Ok(partner_id),
        _ => Err(forbidden("listing management needs a partner key")),
    }
}

/// The longest `If-Match` accepted.
const MAX_IF_MATCH: usize = 1024;

/// The version in `If-Match`: 428 when absent, 412 when it is not the current one, 400 when it is
/// not 1–1024 visible ASCII characters or spaces (the spec's pattern `^[ -~]+$`).
fn check_if_match(req: &HttpRequest, current: i32, required: bool) -> Result<(), ApiError> {
    if let Some(raw) = req.headers().get(header::IF_MATCH) {
        let bytes = raw.as_bytes();
        if bytes.is_empty() || bytes.len() > MAX_IF_MATCH || !bytes.iter().all(|b| (b' '..=b'~').contains(b))
        {
            let message = "must be 1 to 1024 visible ASCII characters: an ETag, a list of them, or *";
            return Err(
                ApiError::bad_request(format!("If-Match {message}")).with_field("/header/If-Match", message)
            );
        }
    }
    let Some(value) = req.headers().get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return if required {
            Err(ApiError::new(
                ProblemKind::PreconditionRequired,
                "send If-Match with the listing's current ETag",
            ))
        } else {
            Ok(())
        };
    };
    // The ETag of any encoding of this version matches (`"7-gzip"` too): see `http_cache`.
    if crate::http_cache::list_matches(value, &etag(current)) {
        Ok(())
    } else {
        Err(ApiError::new(
            ProblemKind::PreconditionFailed,
            format!(
                "the listing changed (current ETag {}); read it again and reapply your change",
                etag(current)
            ),
        ))
    }
}

fn stale() -> ApiError {
    ApiError::new(
        ProblemKind::PreconditionFailed,
        "the listing changed while you were writing; read it again",
    )
}

fn parse<T: serde::de::DeserializeOwned>(body: Value, prefix: &str) -> Result<T, ApiError> {
    let errors = read_only_errors(&body, prefix);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    serde_json::from_value(body).map_err(|e| {
        ApiError::validation(vec![FieldError {
            pointer: prefix.to_owned(),
            message: e.to_string(),
        }])
    })
}

fn validated_clinic(input: &ClinicInput, vocab: &VocabularyData) -> Result<(), ApiError> {
    let mut errors = Errors::new("");
    input.validate(&mut errors, &vocab.view());
    errors.into_result()
}

fn validated_package(input: &PackageInput, vocab: &VocabularyData) -> Result<(), ApiError> {
    let mut errors = Errors::new("");
    input.validate(&mut errors, &vocab.view());
    errors.into_result()
}

/// Applies a JSON Merge Patch to the writable fields of `base`: the patch must be an object
/// without read-only fields, and the result must parse strictly.
fn apply_merge_patch<T: serde::Serialize + serde::de::DeserializeOwned>(
    base: &T,
    patch: Value,
) -> Result<T, ApiError> {
    if !patch.is_object() {
        return Err(ApiError::validation(vec![FieldError {
            pointer: String::new(),
            message: "must be a JSON object".into(),
        }]));
    }
    let errors = read_only_errors(&patch, "");
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut merged = serde_json::to_value(base).map_err(ApiError::internal)?;
    merge_patch(&mut merged, &patch);
    parse(merged, "")
}

/// The partner's own clinic, or 404 (another partner's clinic is not revealed).
async fn own_clinic_or_404(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    id: Uuid,
) -> Result<crate::clinics::model::Clinic, ApiError> {
    repo::own_clinic(conn, partner, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such clinic"))
}

fn external_id_taken(error: diesel::result::Error) -> ApiError {
    match &error {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some("clinics_partner_external_id_key") =>
        {
            ApiError::new(
                ProblemKind::Conflict,
                "another of your clinics has this external_id",
            )
            .with_field("/external_id", "is already used by another of your clinics")
        }
        _ => error.into(),
    }
}

async fn respond(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    id: Uuid,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    Ok(clinic_response(conn, partner, id, status).await?.into_http(false))
}

/// The partner's view of one of its clinics as a response (kept for `Idempotency-Key` replays).
async fn clinic_response(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    id: Uuid,
    status: StatusCode,
) -> Result<StoredResponse, ApiError> {
    let clinic = own_clinic_or_404(conn, partner, id).await?;
    let view = partner_view(conn, &clinic).await?;
    Ok(StoredResponse {
        status: status.as_u16(),
        location: (status == StatusCode::CREATED).then(|| format!("/v1/partner/clinics/{id}")),
        etag: Some(etag(clinic.version)),
        body: serde_json::to_vec(&view).map_err(ApiError::internal)?,
    })
}

/// List my clinics
///
/// The calling partner's clinics (not deleted), with their moderation status and versions.
#[utoipa::path(
    tag = "partner",
    responses(
        (status = 200, description = "The partner's clinics", body = Vec<PartnerClinicResponse>),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/partner/clinics")]
pub async fn list_own_clinics(
    state: web::Data<AppState>,
    bearer: BearerToken,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let rows: Vec<crate::clinics::model::Clinic> = clinics::table
        .filter(clinics::partner_id.eq(partner))
        .filter(clinics::deleted_at.is_null())
        .order(clinics::created_at.asc())
        .select(crate::clinics::model::Clinic::as_select())
        .load(&mut conn)
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for clinic in &rows {
        views.push(partner_view(&mut conn, clinic).await?);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(views))
}

/// Create a clinic
///
/// Creates a clinic owned by the calling partner. It is checked against the red-flag rules: a
/// clean listing is published at once, a flagged one waits in moderation (`pending_review`).
#[utoipa::path(
    tag = "partner",
    request_body(content = ClinicInput, example = json!({
        "external_id": "crm-1042", "name": "Example Spine Clinic", "country": "MX", "city": "Cancun",
        "description": "Outpatient spine clinic offering bone marrow cell injections under fluoroscopy.",
        "specialties": ["orthopedics"], "languages": ["en", "es"], "website": "https://clinic.example"
    })),
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response instead of creating a second clinic (listings without an external_id have no other guard)")),
    responses(
        (status = 201, description = "Created", body = PartnerClinicResponse,
         headers(("Location" = String, description = "URL of the clinic"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "external_id already used, or a request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/partner/clinics")]
pub async fn create_clinic(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let body = body.into_inner();
    let idempotent = Idempotent::new(
        &state.data_key,
        format!("POST /v1/partner/clinics {partner}"),
        idempotency_key,
        &body,
    );
    if let Some(replayed) = idempotent.replay(&mut conn).await? {
        return Ok(replayed);
    }
    let input: ClinicInput = parse(body, "")?;
    let vocab = VocabularyData::load(&mut conn).await?;
    validated_clinic(&input, &vocab)?;
    let outcome = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let (id, _) = repo::write_clinic(conn, partner, None, &input)
                .await
                .map_err(external_id_taken)?
                .ok_or_else(|| ApiError::internal("insert returned nothing"))?;
            repo::after_change(conn, &state.rules, id).await?;
            let stored = clinic_response(conn, partner, id, StatusCode::CREATED).await?;
            idempotent.record(conn, &stored, None).await?;
            Ok(stored)
        })
        .await;
    idempotent.respond(&mut conn, outcome).await
}

/// Upsert a clinic by my id
///
/// Creates the clinic with this `external_id` (201) or replaces its listing (200). Sending the
/// same listing again changes nothing. Idempotent, so integrations can resend their state.
#[utoipa::path(
    tag = "partner",
    params(("external_id" = String, Path, description = "The partner's own id for the clinic (1–100 characters)", min_length = 1, max_length = 100, pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$")),
    request_body = ClinicInput,
    responses(
        (status = 200, description = "Updated or unchanged", body = PartnerClinicResponse),
        (status = 201, description = "Created", body = PartnerClinicResponse),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/v1/partner/clinics/by-external-id/{external_id}")]
pub async fn upsert_clinic_by_external_id(
    state: web::Data<AppState>,
    bearer: BearerToken,
    external_id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let mut input: ClinicInput = parse(body.into_inner(), "")?;
    match &input.external_id {
        Some(given) if given != external_id.as_str() => {
            return Err(ApiError::validation(vec![FieldError {
                pointer: "/external_id".into(),
                message: "must match the external id in the path (or be omitted)".into(),
            }]))
        }
        _ => input.external_id = Some(external_id.clone()),
    }
    let vocab = VocabularyData::load(&mut conn).await?;
    validated_clinic(&input, &vocab)?;
    let (id, created) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let existing = repo::own_clinic_by_external_id(conn, partner, &external_id).await?;
            match existing {
                Some(clinic)
                    if clinic.input_hash.as_deref() == Some(repo::fingerprint(&input).as_slice()) =>
                {
                    Ok((clinic.id, false))
                }
                Some(clinic) => {
                    repo::write_clinic(conn, partner, Some((clinic.id, clinic.version)), &input)
                        .await
                        .map_err(external_id_taken)?
                        .ok_or_else(stale)?;
                    repo::after_change(conn, &state.rules, clinic.id).await?;
                    Ok((clinic.id, false))
                }
                None => {
                    let (id, _) = repo::write_clinic(conn, partner, None, &input)
                        .await
                        .map_err(external_id_taken)?
                        .ok_or_else(|| ApiError::internal("insert returned nothing"))?;
                    repo::after_change(conn, &state.rules, id).await?;
                    Ok((id, true))
                }
            }
        })
        .await?;
    respond(
        &mut conn,
        partner,
        id,
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
    )
    .await
}

/// Get my clinic
///
/// One of the calling partner's clinics, with its `ETag` for `If-Match`. Another partner's clinic is a 404.
#[utoipa::path(
    tag = "partner",
    params(("id" = Uuid, Path, description = "Clinic id")),
    responses(
        (status = 200, description = "The clinic", body = PartnerClinicResponse, headers(("ETag" = String, description = "Version for If-Match"))),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic of yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/partner/clinics/{id}")]
pub async fn get_own_clinic(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    respond(&mut conn, partner, *id, StatusCode::OK).await
}

/// Edit my clinic
///
/// A JSON Merge Patch (RFC 7396) of the listing fields. `If-Match` with the current ETag is
/// required (428 without, 412 when stale), so two concurrent edits cannot overwrite each other.
/// Read-only fields are refused. The red-flag rules run again.
#[utoipa::path(
    tag = "partner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("If-Match" = String, Header, description = "The clinic's current ETag", max_length = 1024, pattern = "^[ -~]+$")),
    request_body(content = Object, description = "JSON Merge Patch of the listing", content_type = "application/merge-patch+json",
        example = json!({"city": "Playa del Carmen", "patients_per_year": 800})),
    responses(
        (status = 200, description = "Updated", body = PartnerClinicResponse),
        (status = 404, description = "No such clinic of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/partner/clinics/{id}")]
pub async fn patch_clinic(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let clinic = own_clinic_or_404(&mut conn, partner, *id).await?;
    check_if_match(&req, clinic.version, true)?;
    let input = apply_merge_patch(&repo::clinic_input_of(&clinic), body.into_inner())?;
    let vocab = VocabularyData::load(&mut conn).await?;
    validated_clinic(&input, &vocab)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        repo::write_clinic(conn, partner, Some((clinic.id, clinic.version)), &input)
            .await
            .map_err(external_id_taken)?
            .ok_or_else(stale)?;
        repo::after_change(conn, &state.rules, clinic.id).await?;
        Ok(())
    })
    .await?;
    respond(&mut conn, partner, clinic.id, StatusCode::OK).await
}

/// Delete my clinic
///
/// Unlists the clinic and its packages (soft delete: history and past quotes are kept).
#[utoipa::path(
    tag = "partner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("If-Match" = Option<String>, Header, description = "Optional: the current ETag", max_length = 1024, pattern = "^[ -~]+$")),
    responses(
        (status = 204, description = "Unlisted"),
        (status = 404, description = "No such clinic of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/partner/clinics/{id}")]
pub async fn delete_clinic(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let clinic = own_clinic_or_404(&mut conn, partner, *id).await?;
    check_if_match(&req, clinic.version, false)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        diesel::update(treatment_packages::table.filter(treatment_packages::clinic_id.eq(clinic.id)))
            .set((
                treatment_packages::status.eq("unlisted"),
                treatment_packages::deleted_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        diesel::update(clinics::table.find(clinic.id))
            .set((
                clinics::status.eq("unlisted"),
                clinics::deleted_at.eq(diesel::dsl::now),
                clinics::version.eq(clinic.version + 1),
                clinics::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The partner's view of one of its packages as a response (kept for `Idempotency-Key` replays).
async fn package_response(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    clinic_id: Uuid,
    package_id: Uuid,
    status: StatusCode,
) -> Result<StoredResponse, ApiError> {
    let clinic = own_clinic_or_404(conn, partner, clinic_id).await?;
    let view = partner_view(conn, &clinic).await?;
    let package: PartnerPackageResponse = view
        .treatment_packages
        .into_iter()
        .find(|p| p.id == package_id)
        .ok_or_else(|| ApiError::not_found("no such package"))?;
    Ok(StoredResponse {
        status: status.as_u16(),
        location: (status == StatusCode::CREATED)
            .then(|| format!("/v1/partner/clinics/{clinic_id}/treatment-packages/{package_id}")),
        etag: Some(etag(package.version)),
        body: serde_json::to_vec(&package).map_err(ApiError::internal)?,
    })
}

/// Add a package to my clinic
///
/// Prices are `clinic_listed`, exclusions are required (may be empty), and items neither included
/// nor excluded are shown to patients as unknown. The red-flag rules run again.
#[utoipa::path(
    tag = "partner",
    params(
        ("id" = Uuid, Path, description = "Clinic id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; retries with the same key and body replay the first response instead of adding a second package"),
    ),
    request_body(content = PackageInput, example = json!({
        "title": "Bone marrow cell injection for disc degeneration", "conditions": ["degenerative-disc-disease"],
        "cell_type": "bm-msc", "cell_source": "autologous", "administration_method": "intradiscal-injection",
        "injections": 1, "price": {"min": "6500.00", "max": "8000.00", "currency": "USD"}, "price_basis": "package",
        "inclusions": ["consultation", "diagnostics", "cell_extraction", "cell_processing", "injection_with_imaging_guidance"],
        "exclusions": ["accommodation_nights", "airport_transfers"]
    })),
    responses(
        (status = 201, description = "Created", body = PartnerPackageResponse,
         headers(("Location" = String, description = "URL of the package"))),
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still being processed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields, or Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/partner/clinics/{id}/treatment-packages")]
pub async fn create_package(
    state: web::Data<AppState>,
    bearer: BearerToken,
    idempotency_key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let clinic = own_clinic_or_404(&mut conn, partner, *id).await?;
    let body = body.into_inner();
    let idempotent = Idempotent::new(
        &state.data_key,
        format!(
            "POST /v1/partner/clinics/{}/treatment-packages {partner}",
            clinic.id
        ),
        idempotency_key,
        &body,
    );
    if let Some(replayed) = idempotent.replay(&mut conn).await? {
        return Ok(replayed);
    }
    let input: PackageInput = parse(body, "")?;
    let vocab = VocabularyData::load(&mut conn).await?;
    validated_package(&input, &vocab)?;
    let outcome = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let (package_id, _) = repo::write_package(conn, clinic.id, None, &input, &vocab.inclusions)
                .await?
                .ok_or_else(|| ApiError::internal("insert returned nothing"))?;
            repo::after_change(conn, &state.rules, clinic.id).await?;
            let stored = package_response(conn, partner, clinic.id, package_id, StatusCode::CREATED).await?;
            idempotent.record(conn, &stored, None).await?;
            Ok(stored)
        })
        .await;
    idempotent.respond(&mut conn, outcome).await
}

async fn own_package(
    conn: &mut AsyncPgConnection,
    partner: Uuid,
    clinic_id: Uuid,
    package_id: Uuid,
) -> Result<crate::treatment_packages::model::TreatmentPackage, ApiError> {
    own_clinic_or_404(conn, partner, clinic_id).await?;
    repo::live_packages(conn, clinic_id)
        .await?
        .into_iter()
        .find(|p| p.id == package_id)
        .ok_or_else(|| ApiError::not_found("no such package"))
}

/// Edit a package of my clinic
///
/// JSON Merge Patch with `If-Match`, as for clinics.
#[utoipa::path(
    tag = "partner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("package_id" = Uuid, Path, description = "Package id"),
           ("If-Match" = String, Header, description = "The package's current ETag", max_length = 1024, pattern = "^[ -~]+$")),
    request_body(content = Object, description = "JSON Merge Patch of the package", content_type = "application/merge-patch+json",
        example = json!({"price": {"min": "6900.00", "max": "8200.00", "currency": "USD"}})),
    responses(
        (status = 200, description = "Updated", body = PartnerPackageResponse),
        (status = 404, description = "No such package of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or read-only fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/partner/clinics/{id}/treatment-packages/{package_id}")]
pub async fn patch_package(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (clinic_id, package_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let package = own_package(&mut conn, partner, clinic_id, package_id).await?;
    check_if_match(&req, package.version, true)?;
    let input = apply_merge_patch(&repo::package_input_of(&package), body.into_inner())?;
    let vocab = VocabularyData::load(&mut conn).await?;
    validated_package(&input, &vocab)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        repo::write_package(
            conn,
            clinic_id,
            Some((package.id, package.version)),
            &input,
            &vocab.inclusions,
        )
        .await?
        .ok_or_else(stale)?;
        repo::after_change(conn, &state.rules, clinic_id).await?;
        Ok(())
    })
    .await?;
    Ok(
        package_response(&mut conn, partner, clinic_id, package_id, StatusCode::OK)
            .await?
            .into_http(false),
    )
}

/// Delete a package of my clinic
///
/// Unlists the package (soft delete).
#[utoipa::path(
    tag = "partner",
    params(("id" = Uuid, Path, description = "Clinic id"), ("package_id" = Uuid, Path, description = "Package id")),
    responses(
        (status = 204, description = "Unlisted"),
        (status = 404, description = "No such package of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/partner/clinics/{id}/treatment-packages/{package_id}")]
pub async fn delete_package(
    req: HttpRequest,
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (clinic_id, package_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let partner = partner_id(&mut conn, &bearer).await?;
    let package = own_package(&mut conn, partner, clinic_id, package_id).await?;
    check_if_match(&req, package.version, false)?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        diesel::update(treatment_packages::table.find(package.id))
            .set((
                treatment_packages::status.eq("unlisted"),
                treatment_packages::deleted_at.eq(diesel::dsl::now),
                treatment_packages::version.eq(package.version + 1),
            ))
            .execute(conn)
            .await?;
        repo::after_change(conn, &state.rules, clinic_id).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
