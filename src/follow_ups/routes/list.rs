//! `GET /v1/quotes/{id}/follow-ups`.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::auth::BearerToken;
use crate::disclaimer::DISCLAIMER;
use crate::error::{ApiError, Problem};
use crate::follow_ups::context::{self, FollowUpContext};
use crate::follow_ups::domain::{FollowUpStage, Treatment, Window};
use crate::follow_ups::dto::{FollowUpItem, FollowUpList};
use crate::follow_ups::repo;
use crate::follow_ups::routes::patient_or_staff;
use crate::http_cache::private_json;
use crate::state::AppState;

/// The item of one window on `today`, given the stored responses.
pub fn item(window: &Window, responses: &[repo::ResponseRow], today: chrono::NaiveDate) -> FollowUpItem {
    let response = responses.iter().find(|r| r.time_point == window.time_point);
    FollowUpItem {
        time_point: window.time_point,
        state: window.state(response.map(|r| r.state), today),
        opens_on: window.opens_on,
        due_on: window.due_on,
        closes_on: window.closes_on,
        responded_at: response.map(|r| r.responded_at),
    }
}

/// The whole list of a quote on `today`.
pub async fn follow_up_list(
    conn: &mut AsyncPgConnection,
    quote_id: Uuid,
    today: chrono::NaiveDate,
) -> Result<FollowUpList, ApiError> {
    let context: Option<FollowUpContext> = context::load(conn, quote_id).await?;
    let responses = repo::responses(conn, quote_id).await?;
    let (treatment, items) = match &context {
        None => (FollowUpStage::NotAccepted, Vec::new()),
        Some(c) if c.quote.erased => (FollowUpStage::Erased, Vec::new()),
        Some(c) => (
            match c.treatment {
                Treatment::Pending => FollowUpStage::Pending,
                Treatment::Treated(_) => FollowUpStage::Treated,
                Treatment::NotTreated => FollowUpStage::NotTreated,
            },
            c.schedule().iter().map(|w| item(w, &responses, today)).collect(),
        ),
    };
    Ok(FollowUpList {
        quote_id,
        treatment,
        items,
        registry_consent: repo::has_registry_consent(conn, quote_id).await?,
        disclaimer: DISCLAIMER,
    })
}

/// List a quote's follow-ups
///
/// For the patient (`Bearer qt_…`) and staff. The baseline (open from acceptance until the
/// treatment date) and the follow-ups 3, 6, 12 and 24 months after treatment, each open from 30
/// days before to 30 days after its date, with its state today: `upcoming`, `due`, `answered`,
/// `skipped` or `missed`. Scores are not shown here. Partners get 403; never cached.
#[utoipa::path(
    tag = "follow-ups",
    operation_id = "list_follow_ups",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 200, description = "The schedule", body = FollowUpList),
        (status = 401, description = "Missing or bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A partner key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such quote, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/v1/quotes/{id}/follow-ups")]
pub async fn list_follow_ups(
    state: web::Data<AppState>,
    bearer: BearerToken,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    patient_or_staff(&mut conn, &principal, *id).await?;
    let list = follow_up_list(&mut conn, *id, state.clock.today()).await?;
    private_json(StatusCode::OK, &list)
}
