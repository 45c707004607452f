//! Refreshing the stored exchange rates from the ECB's daily reference rates, by
//! `stemcare rates refresh [--from URL|FILE]` or periodically inside `serve`.
//!
//! - **All or nothing.** The whole file is read and checked first ([`ecb::parse`]); only then are
//!   the rates written, in one transaction together with the listings' USD prices, so price
//!   filters and converted prices move together. A bad file, an HTTP error or a timeout changes
//!   nothing.
//! - **Which currencies.** Every currency the file lists, plus EUR (derived from the USD rate) and
//!   USD (1): a partner may price a package in any of them and a patient may ask for any of them.
//!   Rows the file does not list (COP, which the ECB does not publish, or a currency the ECB stops
//!   publishing) keep their own date and source, and turn `stale` once that date is over 7 days old.
//! - **Never backwards.** A stored rate dated after the file (a newer ECB file, or an admin's
//!   correction through `PUT /v1/admin/exchange-rates/{currency}`) is kept, and so is an admin's
//!   correction dated the same day as the file. When every rate is kept this way the refresh says
//!   "not applied" and succeeds (exit code 0): an old file is not an error.
//! - **Several instances.** Writers take a transaction-scoped advisory lock, then compare with what
//!   is stored; writing the same day twice changes nothing (idempotent), so instances may all run
//!   the periodic refresh.
//! - **Caches.** A server caches rates for `STEMCARE_REFERENCE_TTL_SECONDS` (see `reference`): the
//!   periodic refresh drops its own instance's cache at once; a refresh by the CLI (another process)
//!   or another instance is seen within that TTL (default 5 s), without a restart.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{NaiveDate, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::ecb::{self, DerivedRate};
use super::source::read;
pub use super::source::RateSource;
use crate::db::schema::exchange_rates;
use crate::money::ExchangeRate;
use crate::reference::ReferenceCache;
use crate::state::AppState;

/// The `derivation` of a rate set through `PUT /v1/admin/exchange-rates/{currency}`; the refresh
/// keeps such a rate until the ECB publishes a day after it.
pub const ADMIN_DERIVATION: &str =
    "entered by an admin through PUT /v1/admin/exchange-rates/{currency}, as given";
/// Advisory lock serialising rate writers across processes ("ECB rate" in ASCII).
const LOCK_KEY: i64 = 0x4543_4220_7261_7465;

/// Why a refresh changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The file could not be read (HTTP error, timeout, missing file, too large, not UTF-8).
    #[error("could not read the exchange rates: {0}; nothing was changed")]
    Fetch(String),
    /// The file was read but is not a sound ECB daily file.
    #[error("refused the exchange-rate file {url}: {reason}; nothing was changed")]
    Invalid { url: String, reason: String },
    /// Storing failed; the transaction was rolled back.
    #[error("could not store the exchange rates: {0}; nothing was changed")]
    Database(#[from] diesel::result::Error),
    /// No database connection.
    #[error("could not store the exchange rates: {0}")]
    Connection(String),
}

/// A checked file, ready to store.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub date: NaiveDate,
    pub rows: Vec<DerivedRate>,
    /// `{title, url, section, retrieved_at}` stored with every row.
    pub source: serde_json::Value,
}

/// What a refresh did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Rates were written and the listings' USD prices recomputed.
    Applied {
        date: NaiveDate,
        written: usize,
        /// Currencies whose stored rate is dated after the file, left as they were.
        kept: Vec<String>,
    },
    /// Every rate of the file is already stored with the same date and value.
    Unchanged { date: NaiveDate },
    /// Every stored rate is newer than the file's; nothing was written.
    Older { date: NaiveDate, stored: NaiveDate },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Applied { date, written, kept } => {
                write!(
                    f,
                    "stored {written} exchange rate(s) from the ECB reference rates of {date}; \
                     listing prices in USD recomputed"
                )?;
                if !kept.is_empty() {
                    write!(f, "; kept {} (stored rates dated after {date})", kept.join(", "))?;
                }
                Ok(())
            }
            Self::Unchanged { date } => {
                write!(f, "exchange rates already current (ECB reference rates of {date}); nothing changed")
            }
            Self::Older { date, stored } => write!(
                f,
                "not applied: the file is dated {date}, older than the stored rates of {stored}; nothing changed"
            ),
        }
    }
}

/// Reads `source` (within `timeout`) and checks it as a whole.
pub async fn prepare(source: &RateSource, timeout: Duration) -> Result<Prepared, RefreshError> {
    let (body, url) = read(source, timeout).await?;
    let retrieved_at = Utc::now();
    let invalid = |reason: String| RefreshError::Invalid {
        url: url.clone(),
        reason,
    };
    // One day of slack: the ECB's date is in Central European time, ours in UTC.
    let latest = retrieved_at.date_naive() + chrono::Days::new(1);
    let day = ecb::parse(&body, latest).map_err(invalid)?;
    let rows = ecb::derive(&day).map_err(invalid)?;
    let source = serde_json::json!({
        "title": format!(
            "European Central Bank euro foreign exchange reference rates, {} (eurofxref-daily.xml)",
            day.date.format("%-d %B %Y")
        ),
        "url": url,
        "section": null,
        "retrieved_at": retrieved_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    Ok(Prepared {
        date: day.date,
        rows,
        source,
    })
}

/// Stores `prepared` in one transaction (see the module docs for what is kept) and recomputes the
/// listings' USD prices when anything changed.
pub async fn store(conn: &mut AsyncPgConnection, prepared: &Prepared) -> Result<Outcome, RefreshError> {
    conn.transaction::<_, RefreshError, _>(async |conn| {
        lock_rates(conn).await?;
        let stored: HashMap<String, ExchangeRate> = exchange_rates::table
            .select(ExchangeRate::as_select())
            .load::<ExchangeRate>(conn)
            .await?
            .into_iter()
            .map(|r| (r.currency.clone(), r))
            .collect();
        let date = prepared.date;
        let mut kept = Vec::new();
        let mut newest_kept = date;
        let mut writes = Vec::new();
        for row in &prepared.rows {
            match stored.get(&row.currency) {
                Some(old)
                    if old.as_of > date
                        || (old.as_of == date && old.derivation.as_deref() == Some(ADMIN_DERIVATION)) =>
                {
                    kept.push(row.currency.clone());
                    newest_kept = newest_kept.max(old.as_of);
                }
                Some(old)
                    if old.as_of == date
                        && old.units_per_usd == row.units_per_usd
                        && old.derivation.as_deref() == Some(row.derivation.as_str()) => {}
                _ => writes.push(row),
            }
        }
        if writes.is_empty() {
            return Ok(if kept.len() == prepared.rows.len() {
                Outcome::Older {
                    date,
                    stored: newest_kept,
                }
            } else {
                Outcome::Unchanged { date }
            });
        }
        for row in &writes {
            upsert(conn, row, date, &prepared.source).await?;
        }
        crate::listings::refresh_prices(conn).await?;
        Ok(Outcome::Applied {
            date,
            written: writes.len(),
            kept,
        })
    })
    .await
}

/// Takes the transaction-scoped lock every writer of `exchange_rates` holds (the refresh and the
/// admin endpoint), so a refresh compares and writes without another write in between.
pub async fn lock_rates(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(LOCK_KEY)
        .execute(conn)
        .await
        .map(|_| ())
}

async fn upsert(
    conn: &mut AsyncPgConnection,
    row: &DerivedRate,
    date: NaiveDate,
    source: &serde_json::Value,
) -> QueryResult<usize> {
    diesel::insert_into(exchange_rates::table)
        .values((
            exchange_rates::currency.eq(&row.currency),
            exchange_rates::units_per_usd.eq(row.units_per_usd),
            exchange_rates::as_of.eq(date),
            exchange_rates::source.eq(source),
            exchange_rates::derivation.eq(&row.derivation),
        ))
        .on_conflict(exchange_rates::currency)
        .do_update()
        .set((
            exchange_rates::units_per_usd.eq(row.units_per_usd),
            exchange_rates::as_of.eq(date),
            exchange_rates::source.eq(source),
            exchange_rates::derivation.eq(&row.derivation),
            exchange_rates::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
}

/// Reads `source` and stores it: what `stemcare rates refresh` runs.
pub async fn refresh(
    conn: &mut AsyncPgConnection,
    source: &RateSource,
    timeout: Duration,
) -> Result<Outcome, RefreshError> {
    let prepared = prepare(source, timeout).await?;
    store(conn, &prepared).await
}

/// Starts the periodic refresh when `STEMCARE_ECB_REFRESH_INTERVAL_SECS` is above 0: the first
/// round at once, then one every interval until shutdown. The file is downloaded before a pooled
/// connection is taken, so no request waits on the ECB; a failed round is logged and retried at the
/// next tick.
pub fn spawn_worker(state: &AppState, reference: std::sync::Arc<ReferenceCache>) {
    let settings = &state.settings;
    if settings.ecb_refresh_interval_secs == 0 {
        return;
    }
    let source = match RateSource::parse(&settings.ecb_url) {
        Ok(source) => source,
        Err(error) => {
            log::error!("periodic exchange-rate refresh off: {error}");
            return;
        }
    };
    let interval = Duration::from_secs(settings.ecb_refresh_interval_secs as u64);
    let timeout = Duration::from_secs(settings.ecb_timeout_secs as u64);
    let pool = state.pool.clone();
    let stop = state.shutting_down.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if std::sync::atomic::AtomicBool::load(&stop, Ordering::Relaxed) {
                log::info!("exchange-rate refresh stopped");
                return;
            }
            let round = async {
                let prepared = prepare(&source, timeout).await?;
                let mut conn = pool
                    .get()
                    .await
                    .map_err(|e| RefreshError::Connection(e.to_string()))?;
                store(&mut conn, &prepared).await
            };
            match round.await {
                Ok(outcome) => {
                    if matches!(outcome, Outcome::Applied { .. }) {
                        reference.invalidate();
                    }
                    log::info!("exchange-rate refresh: {outcome}");
                }
                Err(error) => log::warn!("exchange-rate refresh failed, retrying in {interval:?}: {error}"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_as_one_line() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 4).expect("date");
        let applied = Outcome::Applied {
            date,
            written: 31,
            kept: vec!["EUR".into()],
        };
        assert_eq!(
            applied.to_string(),
            "stored 31 exchange rate(s) from the ECB reference rates of 2026-12-04; listing prices in USD \
             recomputed; kept EUR (stored rates dated after 2026-12-04)"
        );
        let older = Outcome::Older {
            date,
            stored: NaiveDate::from_ymd_opt(2026, 12, 5).expect("date"),
        };
        assert!(older.to_string().starts_with("not applied"));
    }
}
