//! Rules never silently stale: at start-up (and on `stemcare red-flags recheck`) the rule file is
//! synced into `red_flag_rules` and the stored detections are recomputed where they were made
//! with another rule book.
//!
//! - A new rule version in the file is stored; a stored version whose content differs from the
//!   file is an error naming the rule (`seeds::rules::store_rules`), and nothing changes.
//! - When the rule book changed since the detections were computed (its fingerprint in `app_meta`
//!   differs: a new version, or a rule the engine starts evaluating), every listing is
//!   re-evaluated; otherwise only the listings holding a detection of a version that is not the
//!   current one are.
//! - The whole pass runs in one transaction under an advisory lock, so instances starting together
//!   do it once: the others wait, then find nothing left to do.
//!
//! The server's in-memory rule book (`AppState::rules`) is loaded after this pass.

use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::seeds::rules::{self as rule_file, RuleSyncError};

/// The advisory lock key of the pass ("stemcare red-flag sync", any fixed number would do).
const LOCK_KEY: i64 = 0x5354_454d_5246_5359;

/// What to recompute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only what the rule book's changes make stale (start-up).
    Stale,
    /// Every listing (`stemcare red-flags recheck`).
    Everything,
}

/// What a pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recheck {
    /// Rule versions stored from the file, as `(code, version)`.
    pub new_rule_versions: Vec<(String, i32)>,
    /// Clinics re-evaluated (with their packages); `None` when every listing was.
    pub clinics: Option<usize>,
    /// True when anything was re-evaluated.
    pub reevaluated: bool,
    /// Detections that did not exist before.
    pub added: i64,
    /// Detections whose version, severity, evidence or source changed.
    pub changed: i64,
    /// Detections that no longer apply.
    pub removed: i64,
}

impl std::fmt::Display for Recheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let versions: Vec<String> = self
            .new_rule_versions
            .iter()
            .map(|(code, version)| format!("{code} v{version}"))
            .collect();
        if versions.is_empty() {
            write!(f, "red-flag rules unchanged")?;
        } else {
            write!(
                f,
                "stored {} new rule version(s): {}",
                versions.len(),
                versions.join(", ")
            )?;
        }
        match (self.reevaluated, self.clinics) {
            (false, _) => write!(f, "; every stored detection is current"),
            (true, scope) => {
                let scope = scope.map_or("every listing".to_owned(), |n| format!("{n} clinic(s)"));
                write!(
                    f,
                    "; re-evaluated {scope}: {} detection(s) added, {} changed, {} removed",
                    self.added, self.changed, self.removed
                )
            }
        }
    }
}

/// Listings holding a detection made with a rule version that is not the rule's newest (or with
/// a rule that no longer exists), as the clinics to re-evaluate.
const STALE_CLINICS: &str = "
WITH current AS (SELECT code, max(version) AS version FROM red_flag_rules GROUP BY code),
stale AS (
    SELECT d.subject_type, d.subject_id FROM red_flag_detections d
    LEFT JOIN current r ON r.code = d.code
    WHERE r.version IS DISTINCT FROM d.rule_version
)
SELECT DISTINCT s.subject_id AS id FROM stale s WHERE s.subject_type = 'clinic'
UNION
SELECT DISTINCT p.clinic_id FROM stale s JOIN treatment_packages p ON p.id = s.subject_id
WHERE s.subject_type = 'treatment_package'";

const SNAPSHOT: &str = "
CREATE TEMPORARY TABLE red_flag_detections_before ON COMMIT DROP AS
SELECT subject_type, subject_id, code, rule_version, severity, evidence_text, source_url FROM red_flag_detections";

const DIFFERENCES: &str = "
SELECT
    (SELECT count(*) FROM red_flag_detections d WHERE NOT EXISTS (
        SELECT 1 FROM red_flag_detections_before b
        WHERE (b.subject_type, b.subject_id, b.code) = (d.subject_type, d.subject_id, d.code))) AS added,
    (SELECT count(*) FROM red_flag_detections d JOIN red_flag_detections_before b
        USING (subject_type, subject_id, code)
     WHERE (d.rule_version, d.severity, d.evidence_text, d.source_url)
        IS DISTINCT FROM (b.rule_version, b.severity, b.evidence_text, b.source_url)) AS changed,
    (SELECT count(*) FROM red_flag_detections_before b WHERE NOT EXISTS (
        SELECT 1 FROM red_flag_detections d
        WHERE (b.subject_type, b.subject_id, b.code) = (d.subject_type, d.subject_id, d.code))) AS removed";

#[derive(diesel::QueryableByName)]
struct StaleClinic {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

#[derive(diesel::QueryableByName)]
struct Differences {
    #[diesel(sql_type = BigInt)]
    added: i64,
    #[diesel(sql_type = BigInt)]
    changed: i64,
    #[diesel(sql_type = BigInt)]
    removed: i64,
}

/// Syncs the compiled-in rule file and re-evaluates what `scope` asks for, in one transaction
/// under the advisory lock. The error names the rules that changed without a new version.
pub async fn sync_and_recheck(conn: &mut AsyncPgConnection, scope: Scope) -> Result<Recheck, String> {
    let rules = rule_file::rule_file()?;
    conn.transaction::<_, RuleSyncError, _>(async |conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(LOCK_KEY)
            .execute(conn)
            .await?;
        let new_rule_versions = rule_file::store_rules(conn, &rules).await?;
        let book_changed = rule_file::evaluated_fingerprint(conn).await?.as_deref()
            != Some(rule_file::rule_book_fingerprint(conn).await?.as_str());
        let everything = scope == Scope::Everything || book_changed;
        let stale: Vec<Uuid> = if everything {
            Vec::new()
        } else {
            diesel::sql_query(STALE_CLINICS)
                .load::<StaleClinic>(conn)
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect()
        };
        let mut report = Recheck {
            new_rule_versions,
            ..Recheck::default()
        };
        if !everything && stale.is_empty() {
            return Ok(report);
        }
        diesel::sql_query(SNAPSHOT).execute(conn).await?;
        if everything {
            crate::listings::refresh_all(conn).await?;
        } else {
            let book = crate::red_flags::repo::load_rule_book(conn).await?;
            for clinic_id in &stale {
                crate::listings::refresh_clinic(conn, &book, *clinic_id).await?;
            }
            report.clinics = Some(stale.len());
        }
        let differences: Differences = diesel::sql_query(DIFFERENCES).get_result(conn).await?;
        rule_file::mark_evaluated(conn).await?;
        report.reevaluated = true;
        report.added = differences.added;
        report.changed = differences.changed;
        report.removed = differences.removed;
        Ok(report)
    })
    .await
    .map_err(|e| e.to_string())
}
