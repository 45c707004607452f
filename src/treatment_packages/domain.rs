//! A package list request once validated: its filters (each value checked and normalised), its
//! order and page size. Only a [`PackageFilter`] reaches the list SQL in `treatment_packages::repo`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::filters;
use crate::pagination::{page_size, Cursor, KeyType, SortKey};
use crate::reference::Reference;
use crate::treatment_packages::model::TreatmentPackage;
use crate::treatment_packages::routes::PackageListParams;

/// Who set a package's price.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PriceProvenance {
    RegionalIndicative,
    ClinicListed,
    FirmOffer,
}

impl PriceProvenance {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegionalIndicative => "regional_indicative",
            Self::ClinicListed => "clinic_listed",
            Self::FirmOffer => "firm_offer",
        }
    }
}

/// Orderings of the package list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq, Default)]
pub enum PackageOrder {
    /// Cheapest first (by the minimum price in USD at current rates).
    #[serde(rename = "price")]
    #[default]
    Price,
    #[serde(rename = "-price")]
    PriceDesc,
    /// Least recently updated first.
    #[serde(rename = "updated_at")]
    UpdatedAt,
    #[serde(rename = "-updated_at")]
    UpdatedAtDesc,
}

impl PackageOrder {
    pub fn sort_key(self) -> SortKey {
        match self {
            Self::Price | Self::PriceDesc => SortKey {
                expr: "p.price_min_usd",
                key_type: KeyType::Numeric,
                descending: self == Self::PriceDesc,
            },
            Self::UpdatedAt | Self::UpdatedAtDesc => SortKey {
                expr: "p.updated_at",
                key_type: KeyType::Timestamp,
                descending: self == Self::UpdatedAtDesc,
            },
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Price => "price",
            Self::PriceDesc => "-price",
            Self::UpdatedAt => "updated_at",
            Self::UpdatedAtDesc => "-updated_at",
        }
    }

    pub fn cursor_of(self, package: &TreatmentPackage) -> Cursor {
        let key = match self {
            Self::Price | Self::PriceDesc => serde_json::Value::String(package.price_min_usd.to_string()),
            Self::UpdatedAt | Self::UpdatedAtDesc => serde_json::Value::String(
                package
                    .updated_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
        };
        Cursor { key, id: package.id }
    }
}

/// A bound on the minimum price, converted to USD, with the text its token scope keeps
/// (`min_price=5000EUR`).
#[derive(Debug, Clone)]
pub struct PriceBound {
    /// `>=` or `<=`.
    pub op: &'static str,
    pub usd: Decimal,
    pub scope: String,
}

/// The validated filters, order and page size of `GET /v1/treatment-packages`.
#[derive(Debug, Clone, Default)]
pub struct PackageFilter {
    pub condition: Option<String>,
    pub cell_type: Option<String>,
    pub country: Option<String>,
    pub clinic_id: Option<Uuid>,
    /// `min_price`, then `max_price`, as given.
    pub price_bounds: Vec<PriceBound>,
    pub price_provenance: Option<PriceProvenance>,
    /// Also list packages with a critical red flag.
    pub include_flagged: bool,
    pub order: PackageOrder,
    pub size: i64,
    pub page_token: Option<String>,
}

impl PackageFilter {
    /// Checks every parameter against the reference data and the bounds, into a 400
    /// `invalid-query` naming it. `currency` was already checked by the caller.
    pub fn parse(
        reference: &Reference,
        params: &PackageListParams,
        currency: Option<&str>,
    ) -> Result<Self, ApiError> {
        let size = page_size(params.page_size)?;
        let mut filter = Self {
            include_flagged: params.include_flagged == Some(true),
            order: params.order_by.unwrap_or_default(),
            size,
            page_token: params.page_token.clone(),
            clinic_id: params.clinic_id,
            price_provenance: params.price_provenance,
            ..Self::default()
        };
        let filter_currency = currency.unwrap_or("USD");
        if let Some(raw) = &params.condition {
            filter.condition = Some(reference.known_condition("condition", raw)?);
        }
        if let Some(raw) = &params.cell_type {
            filter.cell_type = Some(reference.known_cell_type("cell_type", raw)?.0);
        }
        if let Some(raw) = &params.country {
            filter.country = Some(reference.known_country("country", raw)?);
        }
        for (field, raw, op) in [
            ("min_price", &params.min_price, ">="),
            ("max_price", &params.max_price, "<="),
        ] {
            if let Some(raw) = raw {
                let amount = filters::amount(field, raw)?;
                let usd = reference
                    .rates
                    .to_usd(amount, filter_currency)
                    .ok_or_else(|| ApiError::invalid_query("currency", "has no exchange rate"))?;
                filter.price_bounds.push(PriceBound {
                    op,
                    usd,
                    scope: format!("{field}={amount}{filter_currency}"),
                });
            }
        }
        Ok(filter)
    }
}
