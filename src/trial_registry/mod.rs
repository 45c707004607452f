//! Trial claims checked against ClinicalTrials.gov (issue 21 §1).
//!
//! Whenever a listing is written (partner create, patch, import, seeds) its texts are scanned for
//! NCT identifiers: the citations are stored, each id is queued for lookup, and the listing's
//! registry flags are re-evaluated from the snapshots already known (an id not looked up yet shows
//! as `REGISTRY_CHECK_PENDING`, "not yet checked"). Offers queue their ids too. The lookup worker
//! (`worker`) fetches due ids in the background, one request at a time at the configured rate, and
//! re-evaluates the clinics citing them. Nothing a patient requests waits on the registry.
//!
//! A listing's registry flags are stored in `red_flag_detections` under their own subject type
//! (`repo`), so they appear wherever a listing's red flags appear and count for
//! `has_critical_flag`. An offer's are computed whenever it is read (`offers`), from the same
//! snapshots by the same rules (`flags::check_citation`).

pub mod client;
pub mod domain;
pub mod flags;
pub mod offers;
pub mod queue;
pub mod repo;
pub mod worker;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::red_flag_engine::RuleBook;
use domain::{cited_ids, registry_url};
use flags::RegistryFlag;

/// Records the NCT ids a clinic's listing (its texts and its packages' titles) cites, queues
/// their lookups and re-evaluates its registry flags from what is already known. Called after
/// every write of a listing, before the listing's derived data is refreshed.
pub async fn note_clinic(conn: &mut AsyncPgConnection, book: &RuleBook, clinic_id: Uuid) -> QueryResult<()> {
    let Some(facts) = repo::listing_facts(conn, clinic_id).await? else {
        return Ok(());
    };
    let mut citations: Vec<(Uuid, String)> = cited_ids(facts.clinic_texts.iter().map(String::as_str))
        .into_iter()
        .map(|id| (clinic_id, id))
        .collect();
    for package in &facts.packages {
        citations.extend(
            cited_ids([package.title.as_str()])
                .into_iter()
                .map(|id| (package.id, id)),
        );
    }
    repo::replace_citations(conn, clinic_id, &citations).await?;
    let mut ids: Vec<String> = citations.iter().map(|(_, id)| id.clone()).collect();
    ids.sort();
    ids.dedup();
    queue::enqueue(conn, &ids).await?;
    evaluate(conn, book, &facts, None).await?;
    // The time-dependent rule needs the clock, which only the worker has.
    repo::mark_stale(conn, clinic_id).await
}

/// Notes every clinic (after a seed load).
pub async fn note_all_clinics(conn: &mut AsyncPgConnection, book: &RuleBook) -> QueryResult<()> {
    for clinic_id in repo::all_clinic_ids(conn).await? {
        note_clinic(conn, book, clinic_id).await?;
    }
    Ok(())
}

/// Queues lookups of the NCT ids in `texts` (an offer's texts).
pub async fn enqueue_cited(conn: &mut AsyncPgConnection, texts: &[&str]) -> QueryResult<()> {
    queue::enqueue(conn, &cited_ids(texts.iter().copied())).await
}

/// Re-evaluates the clinic's registry flags as of `today`. Returns whether any stored flag changed.
pub async fn evaluate_clinic(
    conn: &mut AsyncPgConnection,
    book: &RuleBook,
    clinic_id: Uuid,
    today: NaiveDate,
) -> QueryResult<bool> {
    match repo::listing_facts(conn, clinic_id).await? {
        Some(facts) => evaluate(conn, book, &facts, Some(today)).await,
        None => Ok(false),
    }
}

async fn evaluate(
    conn: &mut AsyncPgConnection,
    book: &RuleBook,
    facts: &flags::ListingFacts,
    today: Option<NaiveDate>,
) -> QueryResult<bool> {
    let citations = repo::citations_of(conn, facts.clinic_id).await?;
    let ids: Vec<String> = citations.iter().map(|(_, id)| id.clone()).collect();
    let snapshots = repo::snapshots(conn, &ids).await?;
    let found = flags::evaluate(facts, &citations, &snapshots, today);
    let detections = detections(book, found);
    let mut subjects = vec![facts.clinic_id];
    subjects.extend(facts.packages.iter().map(|p| p.id));
    let keep: &[&str] = if today.is_none() {
        &[flags::RESULTS_OVERDUE]
    } else {
        &[]
    };
    repo::replace_detections(conn, &subjects, &detections, keep).await
}

/// One detection per subject and rule: the evidence of every cited id joined, the first id's
/// registry page as its source. A code missing from the rule book is skipped (a foreign key
/// needs its version).
fn detections(book: &RuleBook, found: Vec<RegistryFlag>) -> Vec<repo::NewDetection> {
    let mut grouped: BTreeMap<(Uuid, &'static str), Vec<RegistryFlag>> = BTreeMap::new();
    for flag in found {
        grouped
            .entry((flag.subject_id, flag.code))
            .or_default()
            .push(flag);
    }
    grouped
        .into_iter()
        .filter_map(|((subject_id, code), flags)| {
            let Some(rule) = book.rules().iter().find(|r| r.code == code) else {
                log::warn!("red-flag rule {code} is not in the rule book; its registry flags are not stored");
                return None;
            };
            Some(repo::NewDetection {
                subject_id,
                code: code.to_owned(),
                rule_version: rule.version,
                severity: rule.severity.as_str(),
                evidence_text: flags
                    .iter()
                    .map(|f| f.evidence.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                source_url: registry_url(&flags[0].nct_id),
            })
        })
        .collect()
}
