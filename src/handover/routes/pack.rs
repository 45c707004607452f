//! `GET /v1/quotes/{id}/handover` (patient, treating clinic, staff) and `GET /v1/handover/{token}`
//! (the doctor's link, no other credential).

use actix_web::{get, web, HttpRequest, HttpResponse};
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::crypto::secret_hash;
use crate::error::{ApiError, Problem, ProblemKind};
use crate::handover::dto::HandoverPack;
use crate::handover::routes::{format_of, pack_response};
use crate::handover::{pack, repo};
use crate::ids::QuoteId;
use crate::quotes::repo as quotes_repo;
use crate::state::AppState;
use crate::treatments::repo as treatments_repo;
use crate::treatments::routes::readable_record;

/// Get the handover pack
///
/// Everything a doctor at home needs after the treatment: what was given and where (cell type and
/// source, count, method, sites, lot and certificate of analysis), medications and adverse events
/// during the stay, the complications the cited sources name, the treating clinic's listed
/// contact, the condition's evidence summary with its GRADE certainty, the follow-up schedule,
/// the disclaimer, and the sources of every statement. `Accept: text/html` gives a printable page
/// with the same content; anything but JSON or HTML is a 406. For the patient (their quote token),
/// the treating clinic's partner (read-only) and staff; anyone else gets 404. A quote that was not
/// treated (or whose details were erased) is a 409.
#[utoipa::path(
    tag = "treatments",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The pack", content(
            (HandoverPack = "application/json"),
            (String = "text/html", example = "<!DOCTYPE html><html lang=\"en\">…</html>"),
        )),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote or record, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "`Accept` allows neither JSON nor HTML", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The quote was not treated, or its details were erased", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/quotes/{id}/handover")]
pub async fn get_handover(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    let row = readable_record(&mut conn, &principal, *id).await?;
    let format = format_of(&req)?;
    let quote = quotes_repo::find(&mut conn, *id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no quote has id {id}")))?;
    let pack = pack::build(&mut conn, &state.data_key, state.clock.now(), &quote, &row).await?;
    pack_response(&pack, format)
}

/// Open a doctor's handover link
///
/// The handover pack of one treated quote, for whoever holds the link's token (the patient gave
/// it to their doctor): JSON, or a printable page with `Accept: text/html`. No other credential
/// is needed and nothing else is reachable with the token. An unknown token is a 404; an expired
/// or revoked link a 410.
#[utoipa::path(
    tag = "treatments",
    params(("token" = String, Path, description = "The link's token (`hl_` and 43 URL-safe base64 characters)", min_length = 46, max_length = 46, pattern = "^hl_[A-Za-z0-9_-]{43}$")),
    responses(
        (status = 200, description = "The pack", content(
            (HandoverPack = "application/json"),
            (String = "text/html", example = "<!DOCTYPE html><html lang=\"en\">…</html>"),
        )),
        (status = 404, description = "No link has this token (or the patient erased their data)", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "`Accept` allows neither JSON nor HTML", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The treatment details are no longer available", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired or was revoked", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/handover/{token}")]
pub async fn get_handover_by_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found("no handover link has this token");
    if token.len() > 200 {
        return Err(not_found());
    }
    let mut conn = state.pool.get().await?;
    let link = repo::find_by_token_hash(&mut conn, &secret_hash(&token))
        .await?
        .ok_or_else(not_found)?;
    if link.revoked_at.is_some() {
        return Err(ApiError::new(
            ProblemKind::Gone,
            "the patient revoked this handover link",
        ));
    }
    if link.expires_at <= state.clock.now() {
        return Err(ApiError::new(ProblemKind::Gone, "this handover link has expired"));
    }
    let format = format_of(&req)?;
    let quote = quotes_repo::find(&mut conn, link.quote_id)
        .await?
        .ok_or_else(not_found)?;
    let row = treatments_repo::find_by_quote(&mut conn, QuoteId(link.quote_id))
        .await?
        .ok_or_else(not_found)?;
    let pack = pack::build(&mut conn, &state.data_key, state.clock.now(), &quote, &row).await?;
    pack_response(&pack, format)
}
