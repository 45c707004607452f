//! The seed data in `seeds/catalogue/` and `seeds/evidence/` (compiled into the binary) and its
//! idempotent loader.
//!
//! Every file is first parsed into strict types (unknown or missing fields fail the load), then
//! upserted in one statement per table with `jsonb_to_recordset`. Rows are only rewritten when a
//! value differs, so loading twice changes nothing, not even `updated_at`.

mod checks;
mod files;
pub mod rule_sync;
pub mod rules;
mod trials;
mod upserts;

use diesel::sql_types::Jsonb;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

pub use files::SeedFiles;
pub(crate) use files::{study_upsert, summary_upsert};

/// Marker in `app_meta` recording the first seed load, so `serve` seeds a new database once.
const SEEDED_KEY: &str = "seeded_at";

/// Loads every seed file and refreshes the derived data (evidence certainty, listing data), in one
/// transaction.
pub async fn load(conn: &mut AsyncPgConnection) -> Result<(), String> {
    let files = SeedFiles::parse()?;
    let rules = rules::rule_file()?;
    let seeded_trials = trials::seeded_trials()?;
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        for (sql, data) in files.statements() {
            diesel::sql_query(sql)
                .bind::<Jsonb, _>(data)
                .execute(conn)
                .await?;
        }
        diesel::sql_query(
            "INSERT INTO app_meta (key, value) VALUES ($1, now()::text) ON CONFLICT (key) DO NOTHING",
        )
        .bind::<diesel::sql_types::Text, _>(SEEDED_KEY)
        .execute(conn)
        .await?;
        // The upsert above stores new rule versions; a stored version the file changed without a
        // new version number is an error naming the rule, never a silent difference.
        rules::store_rules(conn, &rules)
            .await
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
        crate::evidence::refresh_certainty(conn).await?;
        crate::trials::repo::upsert_seeded(conn, &seeded_trials).await?;
        let book = crate::red_flags::repo::load_rule_book(conn).await?;
        crate::trial_registry::note_all_clinics(conn, &book).await?;
        crate::listings::refresh_all(conn).await?;
        rules::mark_evaluated(conn).await
    })
    .await
    .map_err(|e| format!("loading seeds failed: {e}"))
}

/// Loads the seeds unless this database has been seeded before (partners' later edits win).
pub async fn load_if_never_seeded(conn: &mut AsyncPgConnection) -> Result<bool, String> {
    use crate::db::schema::app_meta;
    use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
    let seeded: Option<String> = app_meta::table
        .filter(app_meta::key.eq(SEEDED_KEY))
        .select(app_meta::value)
        .first(conn)
        .await
        .optional()
        .map_err(|e| format!("could not check the seed marker: {e}"))?;
    if seeded.is_some() {
        return Ok(false);
    }
    load(conn).await.map(|()| true)
}
