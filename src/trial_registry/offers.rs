//! Registry flags of offers, computed whenever an offer is read from the stored snapshots (so they
//! are always current and nothing is written): an offer has no listing refresh to keep in step,
//! and its readers are few (the patient, the offering partner, staff). See docs/TRIALS.md.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::domain::cited_ids;
use super::flags::{self, OfferFacts};
use super::repo;
use crate::red_flag_engine::RuleBook;
use crate::red_flags::RedFlag;

/// The registry flags of `offers` as of `today`, by offer id (offers citing nothing are absent):
/// the same rules as a listing's, with the registry page as each flag's source, and
/// `REGISTRY_CHECK_PENDING` for an id not looked up yet. One query for every offer's snapshots.
pub async fn offer_flags(
    conn: &mut AsyncPgConnection,
    book: &RuleBook,
    offers: &[OfferFacts],
    today: NaiveDate,
) -> QueryResult<HashMap<Uuid, Vec<RedFlag>>> {
    let ids = cited_ids(offers.iter().flat_map(|o| o.texts.iter().map(String::as_str)));
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let snapshots = repo::snapshots(conn, &ids).await?;
    let found = offers
        .iter()
        .flat_map(|offer| flags::evaluate_offer(offer, &snapshots, today))
        .collect();
    let mut by_offer: HashMap<Uuid, Vec<RedFlag>> = HashMap::new();
    for detection in super::detections(book, found) {
        by_offer.entry(detection.subject_id).or_default().push(RedFlag {
            code: detection.code,
            severity: detection.severity.to_owned(),
            evidence_text: detection.evidence_text,
            source_url: Some(detection.source_url),
            rule_version: detection.rule_version,
        });
    }
    Ok(by_offer)
}
