//! The red-flag rule file (`seeds/catalogue/red_flag_rules.json`, compiled into the binary) and
//! the table `red_flag_rules`: every version of every rule is stored once and never rewritten.
//! A rule whose content changed without a new version is an error that names it, so a stored
//! detection's `rule_version` always means one rule text.
//!
//! The marker `red_flag_rule_book` in `app_meta` fingerprints the rule book the stored detections
//! were last computed with (each rule's code, newest version and whether the engine evaluates it),
//! so start-up can tell when they must be recomputed (`seeds::rule_sync`).

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::db::schema::{app_meta, red_flag_rules};
use crate::red_flags::engine::RuleBook;
use crate::red_flags::repo::{self, RuleRow};

/// The `app_meta` key of the rule book fingerprint.
const RULE_BOOK_KEY: &str = "red_flag_rule_book";

/// One rule as the file gives it (the columns of `red_flag_rules`).
#[derive(Debug, Clone, PartialEq, Deserialize, Insertable)]
#[diesel(table_name = red_flag_rules)]
pub struct RuleRecord {
    pub code: String,
    pub version: i32,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub detection: String,
    #[serde(default)]
    pub patterns: Vec<String>,
    pub source_url: Option<String>,
    pub source_note: Option<String>,
}

impl RuleRecord {
    fn of_row(row: RuleRow) -> Self {
        Self {
            code: row.code,
            version: row.version,
            title: row.title,
            description: row.description,
            severity: row.severity,
            detection: row.detection,
            patterns: row.patterns,
            source_url: row.source_url,
            source_note: row.source_note,
        }
    }

    /// The names of the fields in which `self` and `other` differ.
    fn differences(&self, other: &RuleRecord) -> Vec<&'static str> {
        [
            ("title", self.title != other.title),
            ("description", self.description != other.description),
            ("severity", self.severity != other.severity),
            ("detection", self.detection != other.detection),
            ("patterns", self.patterns != other.patterns),
            ("source_url", self.source_url != other.source_url),
            ("source_note", self.source_note != other.source_note),
        ]
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect()
    }
}

/// The rules of the compiled-in rule file.
pub fn rule_file() -> Result<Vec<RuleRecord>, String> {
    serde_json::from_str(super::SeedFiles::rules_json())
        .map_err(|e| format!("seeds/catalogue/red_flag_rules.json: {e}"))
}

/// Why the rule file cannot be stored.
#[derive(Debug)]
pub enum RuleSyncError {
    /// The database failed.
    Database(diesel::result::Error),
    /// The file or the stored rules are inconsistent (the message names the rules).
    Rules(String),
}

impl From<diesel::result::Error> for RuleSyncError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(error)
    }
}

impl std::fmt::Display for RuleSyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Database(error) => write!(f, "database error: {error}"),
            Self::Rules(message) => f.write_str(message),
        }
    }
}

/// Stores every rule version of `rules` the table lacks and returns them as `(code, version)`.
/// Fails, storing nothing, when a stored version's content differs from the file's: that rule
/// must get a new version. Run it inside the caller's transaction.
pub async fn store_rules(
    conn: &mut AsyncPgConnection,
    rules: &[RuleRecord],
) -> Result<Vec<(String, i32)>, RuleSyncError> {
    let stored: Vec<RuleRecord> = red_flag_rules::table
        .select(RuleRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(RuleRecord::of_row)
        .collect();
    let mut conflicts = Vec::new();
    let mut fresh = Vec::new();
    for rule in rules {
        match stored
            .iter()
            .find(|s| s.code == rule.code && s.version == rule.version)
        {
            Some(existing) => {
                let differences = existing.differences(rule);
                if !differences.is_empty() {
                    conflicts.push(format!(
                        "{} v{} ({} changed)",
                        rule.code,
                        rule.version,
                        differences.join(", ")
                    ));
                }
            }
            None => fresh.push(rule),
        }
    }
    if !conflicts.is_empty() {
        return Err(RuleSyncError::Rules(format!(
            "red-flag rules changed without a new version: {}; stored detections name these versions, \
             so give each changed rule the next version number in seeds/catalogue/red_flag_rules.json",
            conflicts.join("; ")
        )));
    }
    for rule in &fresh {
        if let Some(newer) = stored
            .iter()
            .filter(|s| s.code == rule.code && s.version > rule.version)
            .map(|s| s.version)
            .max()
        {
            log::warn!(
                "red-flag rule {} v{} is older than the stored v{newer}; the stored one stays current",
                rule.code,
                rule.version
            );
        }
    }
    if !fresh.is_empty() {
        diesel::insert_into(red_flag_rules::table)
            .values(fresh.iter().map(|r| (*r).clone()).collect::<Vec<_>>())
            .execute(conn)
            .await?;
    }
    Ok(fresh.iter().map(|r| (r.code.clone(), r.version)).collect())
}

/// The fingerprint of the current rule book: the engine's version, each rule's code, newest stored
/// version and whether the engine evaluates it (a rule the engine starts evaluating changes the
/// detections too).
pub async fn rule_book_fingerprint(conn: &mut AsyncPgConnection) -> QueryResult<String> {
    let mut hasher = Sha256::new();
    hasher.update(format!("engine {}\n", crate::red_flags::engine::ENGINE_VERSION).as_bytes());
    for rule in repo::current_rules(conn).await? {
        let evaluated = RuleBook::is_evaluated(&rule.code);
        hasher.update(format!("{} {} {evaluated}\n", rule.code, rule.version).as_bytes());
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The fingerprint the stored detections were computed with, if recorded.
pub async fn evaluated_fingerprint(conn: &mut AsyncPgConnection) -> QueryResult<Option<String>> {
    app_meta::table
        .filter(app_meta::key.eq(RULE_BOOK_KEY))
        .select(app_meta::value)
        .first(conn)
        .await
        .optional()
}

/// Records that the stored detections were computed with the current rule book.
pub async fn mark_evaluated(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    let fingerprint = rule_book_fingerprint(conn).await?;
    diesel::sql_query(
        "INSERT INTO app_meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
         WHERE app_meta.value IS DISTINCT FROM EXCLUDED.value",
    )
    .bind::<Text, _>(RULE_BOOK_KEY)
    .bind::<Text, _>(&fingerprint)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_file_parses_with_one_entry_per_code() {
        let rules = rule_file().expect("rule file");
        assert!(rules.len() >= 20);
        let mut codes: Vec<&str> = rules.iter().map(|r| r.code.as_str()).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(before, codes.len(), "one version of each rule in the file");
    }

    #[test]
    fn differences_name_the_changed_fields() {
        let rules = rule_file().expect("rule file");
        let mut changed = rules[0].clone();
        changed.patterns.push("new".into());
        changed.severity = "info".into();
        assert_eq!(rules[0].differences(&changed), ["severity", "patterns"]);
        assert!(rules[0].differences(&rules[0]).is_empty());
    }
}
