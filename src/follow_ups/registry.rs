//! Hands a consenting patient's follow-ups to the outcome registry as de-identified rows, keyed
//! by a pseudonym (a keyed hash of the quote id) so a withdrawal can remove them and erasure can
//! unlink them.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::crypto::DataKey;
use crate::error::ApiError;
use crate::follow_ups::context::{self, FollowUpContext};
use crate::follow_ups::domain::{Answer, FollowUpState, TimePoint, Treatment};
use crate::follow_ups::repo;
use crate::outcome_registry::domain::{RegistryEntry, RegistryScores};
use crate::outcome_registry::repo as registry;

/// What a cell type is called in the registry when the clinic did not record one.
const UNKNOWN_CELL_TYPE: &str = "unknown";

/// The keyed pseudonym of a quote's registry rows (never stored next to the quote id).
pub fn pseudonym(key: &DataKey, quote_id: Uuid) -> Vec<u8> {
    key.keyed_hash(&format!("outcome-registry:{quote_id}"))
}

/// The quote's decrypted answers by time point.
pub async fn answers(
    conn: &mut AsyncPgConnection,
    key: &DataKey,
    quote_id: Uuid,
) -> Result<HashMap<TimePoint, Answer>, ApiError> {
    let mut answers = HashMap::new();
    for row in repo::responses(conn, quote_id).await? {
        if let Some(ciphertext) = row.answer_ciphertext {
            let plain = key
                .decrypt(&ciphertext)
                .map_err(|_| ApiError::internal("a follow-up answer could not be decrypted"))?;
            let answer: Answer = serde_json::from_slice(&plain).map_err(ApiError::internal)?;
            answers.insert(row.time_point, answer);
        }
    }
    Ok(answers)
}

/// The registry rows of a treated quote on `today`: one per time point after treatment whose
/// window has opened, with scores when answered.
pub fn entries(
    context: &FollowUpContext,
    answers: &HashMap<TimePoint, Answer>,
    today: NaiveDate,
) -> Vec<RegistryEntry> {
    if !matches!(context.treatment, Treatment::Treated(_)) {
        return Vec::new();
    }
    let baseline = answers.get(&TimePoint::Baseline);
    context
        .schedule()
        .into_iter()
        .filter(|w| w.time_point != TimePoint::Baseline)
        .filter(|w| w.state(None, today) != FollowUpState::Upcoming)
        .map(|w| RegistryEntry {
            clinic_id: context.quote.clinic_id,
            condition_slug: context.quote.condition_slug.clone(),
            cell_type_slug: context
                .cell_type_slug
                .clone()
                .unwrap_or_else(|| UNKNOWN_CELL_TYPE.to_owned()),
            country_code: context.quote.country_code.clone(),
            time_point: w.time_point,
            scores: answers.get(&w.time_point).map(|a| RegistryScores {
                back_pain_baseline: baseline.map(|b| i16::from(b.back_pain_nrs)),
                back_pain: i16::from(a.back_pain_nrs),
                leg_pain_baseline: baseline.map(|b| i16::from(b.leg_pain_nrs)),
                leg_pain: i16::from(a.leg_pain_nrs),
                odi_baseline: baseline.and_then(|b| b.odi_score),
                odi: a.odi_score,
                adverse_event: !a.adverse_events.is_empty(),
            }),
        })
        .collect()
}

/// Brings the quote's registry rows up to date: replaced while the patient consents, removed
/// otherwise. Call it inside the transaction that changed an answer, the consent or the day.
pub async fn sync(
    conn: &mut AsyncPgConnection,
    key: &DataKey,
    quote_id: Uuid,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let pseudonym = pseudonym(key, quote_id);
    if !repo::has_registry_consent(conn, quote_id).await? {
        registry::remove(conn, &pseudonym).await?;
        return Ok(());
    }
    let Some(context) = context::load(conn, quote_id).await? else {
        registry::remove(conn, &pseudonym).await?;
        return Ok(());
    };
    let answers = answers(conn, key, quote_id).await?;
    registry::replace(conn, &pseudonym, &entries(&context, &answers, today)).await?;
    Ok(())
}
