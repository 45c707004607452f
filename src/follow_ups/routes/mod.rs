//! The follow-up endpoints under `/v1/quotes/{id}`: the schedule, answers, skips and the registry
//! consent.

pub mod answer;
pub mod consent;
pub mod list;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::{ApiError, ProblemKind};
use crate::follow_ups::context::FollowUpContext;
use crate::follow_ups::domain::{TimePoint, Window};
use crate::quotes::repo::visible_quote;

/// The patient of this quote only: another patient's token or a caller who may not see the quote
/// gets 404; staff and partners who may see it get 403.
async fn patient_only(conn: &mut AsyncPgConnection, principal: &Principal, id: Uuid) -> Result<(), ApiError> {
    match principal {
        Principal::Patient { quote_id } if *quote_id == id => Ok(()),
        Principal::Patient { .. } => Err(ApiError::not_found(format!("no quote has id {id}"))),
        _ => {
            visible_quote(conn, principal, id).await?;
            Err(crate::auth::forbidden(
                "only the patient of this quote may answer its follow-ups",
            ))
        }
    }
}

/// The patient or staff; partners who may see the quote get 403 (follow-ups are health data),
/// everyone else 404.
async fn patient_or_staff(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<(), ApiError> {
    match principal {
        Principal::Patient { quote_id } if *quote_id == id => Ok(()),
        Principal::Admin { .. } | Principal::Coordinator { .. } => {
            visible_quote(conn, principal, id).await.map(|_| ())
        }
        Principal::Patient { .. } => Err(ApiError::not_found(format!("no quote has id {id}"))),
        Principal::Partner { .. } => {
            visible_quote(conn, principal, id).await?;
            Err(crate::auth::forbidden(
                "follow-ups are the patient's; partners do not read them",
            ))
        }
    }
}

/// The time point named in a path; an unknown one is a 404.
fn time_point(text: &str) -> Result<TimePoint, ApiError> {
    text.parse().map_err(|_| {
        ApiError::not_found(format!(
            "no follow-up time point `{text}`: use baseline, month_3, month_6, month_12 or month_24"
        ))
    })
}

/// The window of `time_point` for a context that allows answers on `today`, or the 409 saying why not.
fn open_window(
    context: Option<&FollowUpContext>,
    time_point: TimePoint,
    today: NaiveDate,
) -> Result<Window, ApiError> {
    let Some(context) = context else {
        return Err(ApiError::new(
            ProblemKind::FollowUpWindowNotOpen,
            "follow-ups open once an offer is accepted",
        ));
    };
    if context.quote.erased {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            "the patient erased this quote's data",
        ));
    }
    let window = context
        .schedule()
        .into_iter()
        .find(|w| w.time_point == time_point)
        .ok_or_else(|| {
            ApiError::new(
                ProblemKind::Conflict,
                "the treatment was recorded as not given: nothing to follow up",
            )
        })?;
    window.check_open(today)?;
    Ok(window)
}
