//! `PUT /v1/quotes/{id}/follow-ups/{time_point}` and `POST …/{time_point}/skip`.

use actix_web::http::StatusCode;
use actix_web::{post, put, web, HttpResponse};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::error::{ApiError, Problem, ProblemKind};
use crate::follow_ups::domain::{AdverseEvent, Answer, RawAnswer, ResponseState, TimePoint};
use crate::follow_ups::dto::{FollowUpAnswerRequest, FollowUpItem};
use crate::follow_ups::routes::list::item;
use crate::follow_ups::routes::{open_window, patient_only, time_point};
use crate::follow_ups::{context, registry, repo};
use crate::http_cache::private_json;
use crate::state::AppState;

fn raw(request: FollowUpAnswerRequest) -> RawAnswer {
    RawAnswer {
        back_pain_nrs: request.back_pain_nrs,
        leg_pain_nrs: request.leg_pain_nrs,
        odi_score: request.odi_score,
        pgic: request.pgic,
        pgic_version: request.pgic_version,
        adverse_events: request
            .adverse_events
            .into_iter()
            .map(|e| AdverseEvent {
                category: e.category,
                severity: e.severity,
                description: e.description,
                care_needed: e.care_needed,
            })
            .collect(),
        further_procedures: request
            .further_procedures
            .into_iter()
            .map(|p| (p.kind, p.description))
            .collect(),
        work_status: request.work_status,
    }
}

/// Stores `answer` (or a skip when `None`) inside the open window, refreshes the registry rows,
/// and returns the time point as it now stands. The answer is checked only once the caller is
/// known to be the patient: anyone else learns nothing from it, not even that it was invalid.
async fn respond(
    state: &AppState,
    bearer: &BearerToken,
    quote_id: Uuid,
    time_point: TimePoint,
    answer: Option<RawAnswer>,
) -> Result<FollowUpItem, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    patient_only(&mut conn, &principal, quote_id).await?;
    let answer = answer
        .map(|raw| Answer::parse(raw, time_point))
        .transpose()
        .map_err(ApiError::validation)?;
    let now = state.clock.now();
    let today = now.date_naive();
    let ciphertext = match &answer {
        Some(answer) => Some(
            state
                .data_key
                .encrypt(&serde_json::to_vec(answer).map_err(ApiError::internal)?),
        ),
        None => None,
    };
    conn.transaction::<_, ApiError, _>(async |conn| {
        // One writer per quote at a time: the registry rows are replaced as a whole.
        crate::quotes::repo::lock(conn, quote_id).await?;
        let context = context::load(conn, quote_id).await?;
        let window = open_window(context.as_ref(), time_point, today)?;
        let answered = repo::responses(conn, quote_id)
            .await?
            .iter()
            .any(|r| r.time_point == time_point && r.state == ResponseState::Answered);
        if ciphertext.is_none() && answered {
            return Err(ApiError::new(
                ProblemKind::Conflict,
                format!("the {time_point} follow-up is answered; change the answer instead of skipping"),
            ));
        }
        repo::put_response(conn, quote_id, time_point, ciphertext.as_deref(), now).await?;
        registry::sync(conn, &state.data_key, quote_id, today).await?;
        let responses = repo::responses(conn, quote_id).await?;
        Ok(item(&window, &responses, today))
    })
    .await
}

/// Answer a follow-up
///
/// The patient's token only. Stores (or replaces: the same answer twice is the same result) the
/// answer to one time point while its window is open; a late answer inside the window counts.
/// Before the window opens: 409 `follow-up-window-not-open`; after it closed: 409
/// `follow-up-window-closed`. The answer is encrypted at rest, never logged and never sent in a
/// webhook; with the patient's registry consent a de-identified copy joins the outcome registry.
#[utoipa::path(
    tag = "follow-ups",
    operation_id = "answer_follow_up",
    params(
        ("id" = Uuid, Path, description = "Quote id"),
        ("time_point" = TimePoint, Path, description = "baseline, month_3, month_6, month_12 or month_24"),
    ),
    request_body(content = FollowUpAnswerRequest, example = json!({
        "back_pain_nrs": 4, "leg_pain_nrs": 2, "odi_score": 24, "pgic": 2, "pgic_version": "phenx_7",
        "adverse_events": [], "further_procedures": [], "work_status": "returned"
    })),
    responses(
        (status = 200, description = "Answered", body = FollowUpItem),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the patient's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote or time point", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The window is not open yet or closed (`follow-up-window-not-open`, `follow-up-window-closed`), or nothing to follow up", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value out of range", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/v1/quotes/{id}/follow-ups/{time_point}")]
pub async fn answer_follow_up(
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, String)>,
    body: web::Json<FollowUpAnswerRequest>,
) -> Result<HttpResponse, ApiError> {
    let (quote_id, time_point_text) = path.into_inner();
    let time_point = time_point(&time_point_text)?;
    let item = respond(
        &state,
        &bearer,
        quote_id,
        time_point,
        Some(raw(body.into_inner())),
    )
    .await?;
    private_json(StatusCode::OK, &item)
}

/// Skip a follow-up
///
/// The patient's token only, while the window is open (409 `follow-up-window-not-open` or
/// `follow-up-window-closed` otherwise; 409 `conflict` once answered). A skip may later be
/// replaced by an answer inside the window.
#[utoipa::path(
    tag = "follow-ups",
    operation_id = "skip_follow_up",
    params(
        ("id" = Uuid, Path, description = "Quote id"),
        ("time_point" = TimePoint, Path, description = "baseline, month_3, month_6, month_12 or month_24"),
    ),
    responses(
        (status = 200, description = "Skipped", body = FollowUpItem),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the patient's token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote or time point", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Window not open or closed, already answered, or nothing to follow up", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/quotes/{id}/follow-ups/{time_point}/skip")]
pub async fn skip_follow_up(
    state: web::Data<AppState>,
    bearer: BearerToken,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (quote_id, time_point_text) = path.into_inner();
    let time_point = time_point(&time_point_text)?;
    let item = respond(&state, &bearer, quote_id, time_point, None).await?;
    private_json(StatusCode::OK, &item)
}
