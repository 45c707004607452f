//! Dates and timestamps in JSON responses, written as one string each.
//!
//! chrono's `Serialize` writes through `collect_str`, a few characters at a time, and sonic-rs
//! (`http_cache::cacheable_json`) escapes each piece on its own: for the 40 timestamps of a page
//! of clinics that was ~3% of the server's CPU per request. These produce the same text as
//! chrono's `Serialize` (RFC 3339 with `Z`, fractional seconds in groups of 3 digits, as many as
//! needed; dates as `YYYY-MM-DD`), formatted first and handed over in one piece. Use with
//! `#[serde(serialize_with = "crate::json_time::timestamp")]` on response fields.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serializer;

/// A UTC timestamp, as chrono writes it: `2026-12-06T01:38:42.706597Z`.
pub fn timestamp<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// A calendar date, as chrono writes it: `2026-02-20`.
pub fn date<S: Serializer>(day: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    // chrono's `Serialize` for `NaiveDate` writes its `Debug` form.
    serializer.serialize_str(&format!("{day:?}"))
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Timelike, Utc};
    use serde::Serialize;

    #[derive(Serialize)]
    struct Ours {
        #[serde(serialize_with = "super::timestamp")]
        at: chrono::DateTime<Utc>,
        #[serde(serialize_with = "super::date")]
        day: NaiveDate,
    }

    #[derive(Serialize)]
    struct Chronos {
        at: chrono::DateTime<Utc>,
        day: NaiveDate,
    }

    #[test]
    fn the_same_text_as_chronos_own_serialisation() {
        let base = Utc
            .with_ymd_and_hms(2026, 12, 6, 1, 38, 42)
            .single()
            .expect("a valid time");
        let days = [
            NaiveDate::from_ymd_opt(2026, 2, 20),
            NaiveDate::from_ymd_opt(1999, 12, 31),
            NaiveDate::from_ymd_opt(10, 1, 1),
        ];
        // Whole seconds, milli, micro and nanosecond precision, and a leap second.
        for nanos in [0, 706_000_000, 706_597_000, 706_597_123, 1_500_000_000] {
            let naive = base.naive_utc().with_nanosecond(nanos).expect("a valid fraction");
            let at = Utc.from_utc_datetime(&naive);
            for day in days.iter().flatten() {
                let ours = sonic_rs::to_string(&Ours { at, day: *day }).expect("ours");
                let chronos = serde_json::to_string(&Chronos { at, day: *day }).expect("chrono's");
                assert_eq!(ours, chronos);
            }
        }
    }
}
