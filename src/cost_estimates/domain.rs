//! The arithmetic of an estimate: conversion of the source's ranges into the asked currency
//! (remembering each rate applied) and the range spanned by the listed packages.

use rust_decimal::Decimal;

use crate::cost_estimates::dto::MoneyRange;
use crate::error::ApiError;
use crate::money::{AppliedRate, Rates};
use crate::treatment_packages::model::TreatmentPackage;

/// The country prices are compared against.
pub const COMPARISON_COUNTRY: &str = "US";
/// The most injections an estimate multiplies a per-injection price by.
pub const MAX_INJECTIONS: i32 = 10;

/// Converts amounts into one currency and records the rates it used.
pub struct Converter<'a> {
    pub rates: &'a Rates,
    pub currency: String,
    pub applied: Vec<AppliedRate>,
}

impl Converter<'_> {
    pub fn amount(&mut self, amount: Decimal, from: &str) -> Result<Decimal, ApiError> {
        let (value, rate) = self
            .rates
            .convert(amount, from, &self.currency)
            .ok_or_else(|| ApiError::internal(format_args!("no exchange rate for {from}")))?;
        if !self.applied.iter().any(|r| r.from == rate.from) {
            self.applied.push(rate);
        }
        Ok(value)
    }

    pub fn range(
        &mut self,
        min: Decimal,
        max: Option<Decimal>,
        from: &str,
        times: i32,
    ) -> Result<MoneyRange, ApiError> {
        let times = Decimal::from(times);
        Ok(MoneyRange {
            min: self.amount(min * times, from)?,
            max: max.map(|m| self.amount(m * times, from)).transpose()?,
            currency: self.currency.clone(),
        })
    }
}

/// The range from the cheapest minimum to the dearest maximum of `packages` (the maximum is
/// unknown when any package gives only a starting price); `None` without packages.
pub fn package_range(
    packages: &[TreatmentPackage],
    convert: &mut Converter<'_>,
) -> Result<Option<MoneyRange>, ApiError> {
    let mut range: Option<MoneyRange> = None;
    for package in packages {
        let this = convert.range(package.price_min, package.price_max, &package.currency, 1)?;
        range = Some(match range {
            None => this,
            Some(so_far) => MoneyRange {
                min: so_far.min.min(this.min),
                max: match (so_far.max, this.max) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                },
                currency: so_far.currency,
            },
        });
    }
    Ok(range)
}
