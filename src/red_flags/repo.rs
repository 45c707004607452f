//! Rules and detections in the database.

use std::collections::HashMap;
use std::sync::OnceLock;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{red_flag_detections, red_flag_rules};
use crate::db::sql::{statement_of, Bind, SqlBuilder};
use crate::red_flags::engine::{DetectionKind, Rule, RuleBook, Severity};

#[derive(Queryable, Selectable)]
#[diesel(table_name = red_flag_rules)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct RuleRow {
    pub code: String,
    pub version: i32,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub detection: String,
    pub patterns: Vec<String>,
    pub source_url: Option<String>,
    pub source_note: Option<String>,
}

/// A stored detection.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = red_flag_detections)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct DetectionRow {
    pub subject_id: Uuid,
    pub code: String,
    pub rule_version: i32,
    pub severity: String,
    pub evidence_text: String,
    pub source_url: Option<String>,
}

fn parse_severity(raw: &str) -> Severity {
    match raw {
        "critical" => Severity::Critical,
        "warn" => Severity::Warn,
        _ => Severity::Info,
    }
}

fn parse_detection(raw: &str) -> DetectionKind {
    match raw {
        "text" => DetectionKind::Text,
        "always" => DetectionKind::Always,
        _ => DetectionKind::Structured,
    }
}

/// The newest version of every rule, ordered by code.
pub async fn current_rules(conn: &mut AsyncPgConnection) -> QueryResult<Vec<RuleRow>> {
    let rows: Vec<RuleRow> = red_flag_rules::table
        .select(RuleRow::as_select())
        .order((red_flag_rules::code.asc(), red_flag_rules::version.desc()))
        .load(conn)
        .await?;
    let mut newest: Vec<RuleRow> = Vec::new();
    for row in rows {
        if newest.last().is_none_or(|last| last.code != row.code) {
            newest.push(row);
        }
    }
    Ok(newest)
}

/// Compiles the newest rules. A pattern that does not compile is a data error: it fails loudly.
pub async fn load_rule_book(conn: &mut AsyncPgConnection) -> QueryResult<RuleBook> {
    let rules = current_rules(conn)
        .await?
        .into_iter()
        .map(|row| Rule {
            severity: parse_severity(&row.severity),
            detection: parse_detection(&row.detection),
            code: row.code,
            version: row.version,
            title: row.title,
            description: row.description,
            patterns: row.patterns,
            source_url: row.source_url,
            source_note: row.source_note,
        })
        .collect();
    RuleBook::compile(rules).map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))
}

/// Stored detections of a clinic and of its published packages, in one query that needs only the
/// clinic's id (so it can be pipelined with the query that loads the packages).
pub async fn detections_for_clinic(
    conn: &mut &AsyncPgConnection,
    clinic_id: Uuid,
) -> QueryResult<HashMap<Uuid, Vec<DetectionRow>>> {
    use crate::db::schema::treatment_packages;
    let packages = treatment_packages::table
        .filter(treatment_packages::clinic_id.eq(clinic_id))
        .filter(treatment_packages::status.eq(crate::states::ListingStatus::Published))
        .select(treatment_packages::id);
    let rows: Vec<DetectionRow> = red_flag_detections::table
        .filter(
            red_flag_detections::subject_id
                .eq(clinic_id)
                .or(red_flag_detections::subject_id.eq_any(packages)),
        )
        .select(DetectionRow::as_select())
        .order(red_flag_detections::code.asc())
        .load(conn)
        .await?;
    Ok(group_by_subject(rows))
}

/// Stored detections of the given subjects, grouped by subject, most severe first.
/// Takes a shared connection so callers can pipeline it with other reads (`futures::try_join!`).
/// Every catalogue page runs it, so its SQL is a constant (see [`statement_of`]).
pub async fn detections_for(
    conn: &mut &AsyncPgConnection,
    subject_ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, Vec<DetectionRow>>> {
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = statement_of::<DetectionRow>(&SQL, "red_flag_detections", "d", |columns| {
        format!("SELECT {columns} FROM red_flag_detections d WHERE d.subject_id = ANY($1) ORDER BY d.code")
    })?;
    let mut query = SqlBuilder::new(sql);
    query.bind(Bind::UuidArray(subject_ids.to_vec()));
    let rows: Vec<DetectionRow> = query.into_query_of::<DetectionRow>().load(conn).await?;
    Ok(group_by_subject(rows))
}

/// Detections grouped by subject, most severe first, then by code.
fn group_by_subject(rows: Vec<DetectionRow>) -> HashMap<Uuid, Vec<DetectionRow>> {
    let mut grouped: HashMap<Uuid, Vec<DetectionRow>> = HashMap::new();
    for row in rows {
        grouped.entry(row.subject_id).or_default().push(row);
    }
    for detections in grouped.values_mut() {
        detections.sort_by(|a, b| {
            parse_severity(&b.severity)
                .cmp(&parse_severity(&a.severity))
                .then(a.code.cmp(&b.code))
        });
    }
    grouped
}

/// What the registry answered for one NCT id, as the claim check shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::db::schema::trial_registry_snapshots)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct RegistrySnapshotRow {
    pub nct_id: String,
    pub record: String,
    pub overall_status: Option<String>,
    pub lead_sponsor: Option<String>,
    pub fetched_at: chrono::DateTime<chrono::Utc>,
}

/// The stored registry snapshots of `nct_ids` (written by `trial_registry`'s lookup worker).
pub async fn registry_snapshots(
    conn: &mut AsyncPgConnection,
    nct_ids: &[String],
) -> QueryResult<Vec<RegistrySnapshotRow>> {
    use crate::db::schema::trial_registry_snapshots;
    trial_registry_snapshots::table
        .filter(trial_registry_snapshots::nct_id.eq_any(nct_ids))
        .select(RegistrySnapshotRow::as_select())
        .load(conn)
        .await
}
