//! Money and currency conversion. Amounts are `rust_decimal::Decimal` (never floats) and travel
//! as decimal strings. Rates are stored as units of a currency per 1 USD, each with its date and
//! source.
//!
//! Conversion rule: `converted = round(amount × (to_per_usd ÷ from_per_usd), 2)`, computed at full
//! decimal precision and rounded once, half away from zero, to 2 decimal places (the minor unit of
//! every supported currency). The `rate` shown next to a converted price is the same ratio rounded
//! to 6 decimal places, for display only.
//!
//! Staleness: a rate is *stale* when its `as_of` date is more than [`STALE_AFTER_DAYS`] (7) days
//! before today (UTC). The ECB publishes on every TARGET working day, so a current rate is at most
//! a few days old even over Easter or Christmas; an older one means the refresh has stopped or the
//! currency is not published any more. Responses say so (`stale: true`) next to the rate's date.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::exchange_rates;
use crate::error::ApiError;

/// An amount of money: a decimal string and an ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Money {
    /// Decimal string with two places.
    #[schema(value_type = String, example = "7000.00")]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    #[schema(example = "USD")]
    pub currency: String,
}

impl Money {
    pub fn new(amount: Decimal, currency: &str) -> Self {
        Self {
            amount: round_money(amount),
            currency: currency.to_owned(),
        }
    }
}

/// Rounds to the minor unit (2 places), half away from zero.
pub fn round_money(amount: Decimal) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// A rate is stale when its date is more than this many days before today (UTC).
pub const STALE_AFTER_DAYS: i64 = 7;

/// Whether a rate dated `as_of` is stale on `today` (more than [`STALE_AFTER_DAYS`] days old).
pub fn is_stale(as_of: NaiveDate, today: NaiveDate) -> bool {
    (today - as_of).num_days() > STALE_AFTER_DAYS
}

/// Today's date in UTC, the day staleness is judged on.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// One stored rate: units of `currency` per 1 USD.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = exchange_rates)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ExchangeRate {
    pub currency: String,
    pub units_per_usd: Decimal,
    pub as_of: NaiveDate,
    pub source: serde_json::Value,
    pub derivation: Option<String>,
}

/// The rate used for one conversion, shown beside every converted price.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[serde(from = "StoredAppliedRate")]
pub struct AppliedRate {
    /// Currency converted from.
    #[schema(example = "USD")]
    pub from: String,
    /// Currency converted to.
    #[schema(example = "EUR")]
    pub to: String,
    /// Units of `to` per unit of `from`, rounded to 6 places for display.
    #[schema(value_type = String, example = "0.849834")]
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// Date of the older of the two reference rates used.
    #[schema(value_type = String, format = Date, example = "2026-02-20")]
    #[serde(serialize_with = "crate::json_time::date")]
    pub as_of: NaiveDate,
    /// True when `as_of` is more than 7 days before today (UTC): the rate may no longer reflect
    /// the market, so the converted price is only a rough indication.
    #[schema(example = false)]
    pub stale: bool,
    /// Where the reference rates come from.
    #[schema(value_type = Vec<Object>)]
    pub sources: Vec<serde_json::Value>,
}

/// An [`AppliedRate`] as stored inside saved estimates: `stale` is judged again when it is read,
/// so a saved price says whether its rate is stale today, not whether it was when saved.
#[derive(serde::Deserialize)]
struct StoredAppliedRate {
    from: String,
    to: String,
    #[serde(with = "rust_decimal::serde::str")]
    rate: Decimal,
    as_of: NaiveDate,
    sources: Vec<serde_json::Value>,
}

impl From<StoredAppliedRate> for AppliedRate {
    fn from(stored: StoredAppliedRate) -> Self {
        Self {
            stale: is_stale(stored.as_of, today()),
            from: stored.from,
            to: stored.to,
            rate: stored.rate,
            as_of: stored.as_of,
            sources: stored.sources,
        }
    }
}

/// All known rates, keyed by currency code.
#[derive(Debug, Clone, Default)]
pub struct Rates(HashMap<String, ExchangeRate>);

impl Rates {
    pub async fn load(conn: &mut &AsyncPgConnection) -> Result<Self, ApiError> {
        let rows: Vec<ExchangeRate> = exchange_rates::table
            .select(ExchangeRate::as_select())
            .load(conn)
            .await?;
        Ok(Self(rows.into_iter().map(|r| (r.currency.clone(), r)).collect()))
    }

    pub fn get(&self, currency: &str) -> Option<&ExchangeRate> {
        self.0.get(currency)
    }

    pub fn codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = self.0.keys().cloned().collect();
        codes.sort();
        codes
    }

    /// Checks a caller-supplied currency: three letters (any case, as sent: `^[A-Za-z]{3}$`) with a
    /// known rate.
    pub fn parse_currency(&self, field: &str, raw: &str) -> Result<String, ApiError> {
        let code = raw.to_ascii_uppercase();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ApiError::invalid_query(
                field,
                "must be an ISO 4217 code such as USD or EUR",
            ));
        }
        if self.get(&code).is_none() {
            return Err(ApiError::invalid_query(
                field,
                format!("has no exchange rate; supported: {}", self.codes().join(", ")),
            ));
        }
        Ok(code)
    }

    /// The optional `currency` query parameter, checked like [`Rates::parse_currency`].
    pub fn parse_currency_param(&self, raw: Option<&str>) -> Result<Option<String>, ApiError> {
        raw.map(|raw| self.parse_currency("currency", raw)).transpose()
    }

    /// Converts `amount` from one currency to another; `None` when either rate is unknown.
    pub fn convert(&self, amount: Decimal, from: &str, to: &str) -> Option<(Decimal, AppliedRate)> {
        let from_rate = self.get(from)?;
        let to_rate = self.get(to)?;
        let ratio = to_rate.units_per_usd / from_rate.units_per_usd;
        let as_of = from_rate.as_of.min(to_rate.as_of);
        let converted = round_money(amount * ratio);
        let mut sources = vec![from_rate.source.clone()];
        if to_rate.source != from_rate.source {
            sources.push(to_rate.source.clone());
        }
        let applied = AppliedRate {
            from: from.to_owned(),
            to: to.to_owned(),
            rate: ratio
                .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
                .normalize(),
            as_of,
            stale: is_stale(as_of, today()),
            sources,
        };
        Some((converted, applied))
    }

    /// `amount` in USD, for filtering and sorting across currencies.
    pub fn to_usd(&self, amount: Decimal, from: &str) -> Option<Decimal> {
        self.convert(amount, from, "USD").map(|(usd, _)| usd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn rate(code: &str, per_usd: &str) -> ExchangeRate {
        ExchangeRate {
            currency: code.into(),
            units_per_usd: Decimal::from_str(per_usd).expect("decimal"),
            as_of: NaiveDate::from_ymd_opt(2026, 2, 20).expect("date"),
            source: serde_json::json!({"title": "test"}),
            derivation: None,
        }
    }

    #[test]
    fn converts_at_full_precision_and_rounds_once() {
        let rates = Rates(
            [
                rate("USD", "1"),
                rate("EUR", "0.849834"),
                rate("MXN", "17.123456"),
            ]
            .into_iter()
            .map(|r| (r.currency.clone(), r))
            .collect(),
        );
        let (eur, applied) = rates.convert(Decimal::from(7000), "USD", "EUR").expect("known");
        assert_eq!(eur.to_string(), "5948.84"); // 7000 × 0.849834 = 5948.838
        assert_eq!(applied.rate.to_string(), "0.849834");
        let (usd, _) = rates.convert(Decimal::from(10000), "MXN", "USD").expect("known");
        assert_eq!(usd.to_string(), "583.99"); // 10000 ÷ 17.123456 = 583.99425…
        assert!(rates.convert(Decimal::ONE, "USD", "XXX").is_none());
    }

    #[test]
    fn a_rate_is_stale_after_seven_days() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).expect("date");
        assert!(!is_stale(day(1), day(1)));
        assert!(!is_stale(day(1), day(8)), "exactly 7 days old is not stale yet");
        assert!(is_stale(day(1), day(9)));
        let rates = Rates(
            [rate("USD", "1"), rate("EUR", "0.849834")]
                .into_iter()
                .map(|r| (r.currency.clone(), r))
                .collect(),
        );
        let (_, applied) = rates.convert(Decimal::ONE, "USD", "EUR").expect("known");
        assert!(applied.stale, "the test rates are dated 2026-02-20");
        let saved = serde_json::json!({"from": "USD", "to": "EUR", "rate": "0.849834", "as_of": today(),
            "sources": [], "stale": true});
        let read: AppliedRate = serde_json::from_value(saved).expect("a saved rate reads back");
        assert!(!read.stale, "staleness is judged when read");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(
            round_money(Decimal::from_str("1.005").expect("d")).to_string(),
            "1.01"
        );
        assert_eq!(
            round_money(Decimal::from_str("2").expect("d")).to_string(),
            "2.00"
        );
    }
}
