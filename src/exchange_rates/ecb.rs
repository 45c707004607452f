//! The ECB's daily euro foreign exchange reference rates (`eurofxref-daily.xml`, see
//! `shared/reference/registries.md` §2): parsed and checked as a whole, then turned into the
//! units-per-USD rows the `exchange_rates` table stores.
//!
//! The file quotes every currency against the euro ("EUR 1 = x units"), so for a currency C:
//! `units_per_usd(C) = rate(C) ÷ rate(USD)`, `units_per_usd(EUR) = 1 ÷ rate(USD)` and USD is 1.
//! Each is rounded once to 6 decimal places (half away from zero), as the seeded rates are.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::iso4217;

/// Namespace of the `gesmes:Envelope` root element.
pub const GESMES_NS: &str = "http://www.gesmes.org/xml/2002-08-01";
/// Default namespace of every `Cube` element.
pub const EUROFXREF_NS: &str = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref";

/// Decimal places kept of a derived units-per-USD rate.
const DERIVED_DP: u32 = 6;

/// One day of reference rates, as published: currency → (rate as a decimal, rate as written).
#[derive(Debug, Clone, PartialEq)]
pub struct EcbDay {
    pub date: NaiveDate,
    pub rates: BTreeMap<String, (Decimal, String)>,
}

/// A rate ready to store: units of `currency` per 1 USD and how it was derived.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedRate {
    pub currency: String,
    pub units_per_usd: Decimal,
    pub derivation: String,
}

/// Parses and checks a whole daily file: well-formed XML, the `gesmes:Envelope` root, `Cube`
/// elements in the eurofxref namespace, exactly one dated day (not after `latest_date`), every
/// currency a known ISO 4217 code listed once, every rate a positive decimal, and USD present.
/// The first problem found is returned as one line.
pub fn parse(xml: &str, latest_date: NaiveDate) -> Result<EcbDay, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("not well-formed XML: {e}"))?;
    let root = doc.root_element();
    if !root.has_tag_name((GESMES_NS, "Envelope")) {
        return Err(format!(
            "not an ECB reference-rate file: the root element is {}, expected Envelope in namespace {GESMES_NS}",
            describe(root)
        ));
    }
    let outer: Vec<_> = root
        .children()
        .filter(|n| n.is_element() && is_cube(*n))
        .collect();
    let [outer] = outer.as_slice() else {
        return Err(format!(
            "expected one <Cube> in namespace {EUROFXREF_NS} under the envelope, found {}",
            outer.len()
        ));
    };
    let days: Vec<_> = outer.children().filter(|n| n.is_element()).collect();
    let [day] = days.as_slice() else {
        return Err(format!(
            "expected exactly one dated <Cube time=…> (the daily file), found {} elements",
            days.len()
        ));
    };
    if !is_cube(*day) {
        return Err(format!(
            "expected a dated <Cube time=…>, found {}",
            describe(*day)
        ));
    }
    let time = day
        .attribute("time")
        .ok_or("the dated <Cube> has no time attribute")?;
    let date = NaiveDate::parse_from_str(time, "%Y-%m-%d")
        .map_err(|_| format!("time {time:?} is not a date (YYYY-MM-DD)"))?;
    if date > latest_date {
        return Err(format!("the file is dated {date}, in the future"));
    }
    let mut rates = BTreeMap::new();
    for cube in day.children().filter(|n| n.is_element()) {
        if !is_cube(cube) {
            return Err(format!(
                "expected <Cube currency=… rate=…>, found {}",
                describe(cube)
            ));
        }
        let currency = cube
            .attribute("currency")
            .ok_or("a rate <Cube> has no currency attribute")?;
        let raw = cube
            .attribute("rate")
            .ok_or_else(|| format!("{currency} has no rate attribute"))?;
        if !iso4217::is_known(currency) {
            return Err(format!("{currency:?} is not a known ISO 4217 currency code"));
        }
        if currency == "EUR" {
            return Err("EUR is the base of the file and cannot be quoted against itself".into());
        }
        let rate =
            parse_rate(raw).ok_or_else(|| format!("{currency} rate {raw:?} is not a positive decimal"))?;
        if rates
            .insert(currency.to_owned(), (rate, raw.to_owned()))
            .is_some()
        {
            return Err(format!("{currency} is listed twice"));
        }
    }
    if !rates.contains_key("USD") {
        return Err(format!(
            "the file of {date} has no USD rate, so no rate per US dollar can be derived"
        ));
    }
    Ok(EcbDay { date, rates })
}

fn is_cube(node: roxmltree::Node<'_, '_>) -> bool {
    node.has_tag_name((EUROFXREF_NS, "Cube"))
}

fn describe(node: roxmltree::Node<'_, '_>) -> String {
    let name = node.tag_name();
    match name.namespace() {
        Some(ns) => format!("<{}> in namespace {ns}", name.name()),
        None => format!("<{}> in no namespace", name.name()),
    }
}

/// Digits with at most one decimal point (no sign, exponent or spaces), above zero.
fn parse_rate(raw: &str) -> Option<Decimal> {
    let plain = !raw.is_empty()
        && raw.len() <= 24
        && raw.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && raw.bytes().filter(|b| *b == b'.').count() <= 1
        && !raw.starts_with('.')
        && !raw.ends_with('.');
    let rate = Decimal::from_str(raw).ok().filter(|_| plain)?;
    (rate > Decimal::ZERO).then_some(rate)
}

/// The rows to store: USD (1), EUR and every currency of the file, in units per 1 USD.
pub fn derive(day: &EcbDay) -> Result<Vec<DerivedRate>, String> {
    let (usd, usd_raw) = day.rates.get("USD").ok_or("no USD rate")?;
    let round =
        |value: Decimal| value.round_dp_with_strategy(DERIVED_DP, RoundingStrategy::MidpointAwayFromZero);
    let mut rows = vec![
        DerivedRate {
            currency: "USD".into(),
            units_per_usd: Decimal::ONE,
            derivation: "identity: USD is the base currency".into(),
        },
        DerivedRate {
            currency: "EUR".into(),
            units_per_usd: round(Decimal::ONE / usd),
            derivation: format!("EUR cross rate: 1 / USD per EUR (1 / {usd_raw})"),
        },
    ];
    for (code, (rate, raw)) in day.rates.iter().filter(|(code, _)| code.as_str() != "USD") {
        rows.push(DerivedRate {
            currency: code.clone(),
            units_per_usd: round(rate / usd),
            derivation: format!("EUR cross rate: {code} per EUR / USD per EUR ({raw} / {usd_raw})"),
        });
    }
    let ceiling = Decimal::from(1_000_000_000_000i64);
    if let Some(bad) = rows
        .iter()
        .find(|r| r.units_per_usd <= Decimal::ZERO || r.units_per_usd >= ceiling)
    {
        return Err(format!(
            "{} per USD comes out as {}, outside the storable range (above 0, below 10^12)",
            bad.currency, bad.units_per_usd
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).expect("date")
    }

    fn file(day: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="{GESMES_NS}" xmlns="{EUROFXREF_NS}">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>{day}</Cube>
</gesmes:Envelope>"#
        )
    }

    #[test]
    fn reads_single_and_double_quoted_attributes_and_derives_per_usd() {
        let xml = file(
            r#"<Cube time='2024-06-28'><Cube currency='USD' rate='1.0705'/><Cube currency="GBP" rate="0.84638"/>
               <Cube currency='JPY' rate='171.94'/></Cube>"#,
        );
        let day = parse(&xml, today()).expect("valid");
        assert_eq!(day.date, NaiveDate::from_ymd_opt(2024, 6, 28).expect("date"));
        let rows = derive(&day).expect("derived");
        let get = |c: &str| {
            rows.iter()
                .find(|r| r.currency == c)
                .expect("row")
                .units_per_usd
                .normalize()
                .to_string()
        };
        assert_eq!(get("USD"), "1");
        assert_eq!(get("EUR"), "0.934143"); // 1 / 1.0705 = 0.93414292…
        assert_eq!(get("GBP"), "0.79064"); // 0.84638 / 1.0705 = 0.79063989…
        assert_eq!(get("JPY"), "160.616534"); // 171.94 / 1.0705 = 160.6165343…
        let gbp = rows.iter().find(|r| r.currency == "GBP").expect("GBP");
        assert_eq!(
            gbp.derivation,
            "EUR cross rate: GBP per EUR / USD per EUR (0.84638 / 1.0705)"
        );
    }

    #[test]
    fn refuses_what_is_not_a_sound_daily_file() {
        let cases = [
            ("<html>", "not well-formed XML"),
            (
                "<Envelope xmlns='urn:other'><Cube/></Envelope>",
                "root element is <Envelope> in namespace urn:other",
            ),
            (
                &file("<Cube time='2024-06-28'><Cube currency='GBP' rate='0.84638'/></Cube>"),
                "no USD rate",
            ),
            (
                &file("<Cube time='2024-06-28'><Cube currency='USD' rate='-1.07'/></Cube>"),
                "not a positive decimal",
            ),
            (
                &file("<Cube time='2024-06-28'><Cube currency='USD' rate='0'/></Cube>"),
                "not a positive decimal",
            ),
            (
                &file("<Cube time='2024-06-28'><Cube currency='USD' rate='1e3'/></Cube>"),
                "not a positive decimal",
            ),
            (
                &file("<Cube time='2024-06-28'><Cube currency='USD' rate='1.07'/><Cube currency='ZZZ' rate='2'/></Cube>"),
                "not a known ISO 4217",
            ),
            (
                &file("<Cube time='2024-06-28'><Cube currency='USD' rate='1.07'/><Cube currency='USD' rate='1.08'/></Cube>"),
                "listed twice",
            ),
            (
                &file("<Cube time='2024-06-28'><Cube currency='USD' rate='1.07'/></Cube><Cube time='2024-06-27'/>"),
                "exactly one dated",
            ),
            (
                &file("<Cube time='2027-01-01'><Cube currency='USD' rate='1.07'/></Cube>"),
                "in the future",
            ),
            (
                &file("<Cube time='28.06.2024'><Cube currency='USD' rate='1.07'/></Cube>"),
                "not a date",
            ),
        ];
        for (xml, expected) in cases {
            let error = parse(xml, today()).expect_err(expected);
            assert!(error.contains(expected), "{error}");
            assert!(!error.contains('\n'), "one line: {error}");
        }
    }

    #[test]
    fn cubes_outside_the_eurofxref_namespace_are_refused() {
        let xml = format!(
            r#"<gesmes:Envelope xmlns:gesmes="{GESMES_NS}" xmlns="http://www.ecb.int/vocabulary/2099-01-01/other">
                 <Cube><Cube time='2024-06-28'><Cube currency='USD' rate='1.0705'/></Cube></Cube></gesmes:Envelope>"#
        );
        let error = parse(&xml, today()).expect_err("wrong namespace");
        assert!(error.contains("expected one <Cube> in namespace"), "{error}");
    }
}
