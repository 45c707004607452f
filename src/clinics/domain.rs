//! A clinic list request once validated: its filters (each value checked and normalised, with
//! the text page tokens are bound to), its order and its page size. Only a [`ClinicFilter`] reaches
//! the list SQL in `clinics::repo`.

use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::clinics::model::PublicClinic;
use crate::clinics::routes::ClinicListParams;
use crate::error::ApiError;
use crate::filters;
use crate::pagination::{page_size, Cursor, KeyType, SortKey};
use crate::reference::Reference;

/// Sorts unknown prices after every known one.
pub const UNKNOWN_PRICE_SORT: &str = "999999999999.99";

/// Orderings of the clinic list; `-` means descending.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq, Default)]
pub enum ClinicOrder {
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
    /// Cheapest published package first; clinics without a price last.
    #[serde(rename = "price")]
    Price,
    #[serde(rename = "-price")]
    PriceDesc,
    /// Fewest first; unknown volumes sort as -1.
    #[serde(rename = "patients_per_year")]
    PatientsPerYear,
    #[serde(rename = "-patients_per_year")]
    PatientsPerYearDesc,
    #[serde(rename = "score")]
    Score,
    /// Highest score first (the default).
    #[serde(rename = "-score")]
    #[default]
    ScoreDesc,
}

impl ClinicOrder {
    pub fn sort_key(self) -> SortKey {
        use ClinicOrder::*;
        let (expr, key_type) = match self {
            Name | NameDesc => ("c.name", KeyType::Text),
            Price | PriceDesc => ("COALESCE(c.price_from_usd, 999999999999.99)", KeyType::Numeric),
            PatientsPerYear | PatientsPerYearDesc => ("COALESCE(c.patients_per_year, -1)", KeyType::Int),
            Score | ScoreDesc => ("c.score", KeyType::Numeric),
        };
        SortKey {
            expr,
            key_type,
            descending: matches!(self, NameDesc | PriceDesc | PatientsPerYearDesc | ScoreDesc),
        }
    }

    /// The column [`cursor_of`](Self::cursor_of) reads (a sparse page always loads it).
    pub fn column(self) -> &'static str {
        use ClinicOrder::*;
        match self {
            Name | NameDesc => "name",
            Price | PriceDesc => "price_from_usd",
            PatientsPerYear | PatientsPerYearDesc => "patients_per_year",
            Score | ScoreDesc => "score",
        }
    }

    pub fn name(self) -> &'static str {
        use ClinicOrder::*;
        match self {
            Name => "name",
            NameDesc => "-name",
            Price => "price",
            PriceDesc => "-price",
            PatientsPerYear => "patients_per_year",
            PatientsPerYearDesc => "-patients_per_year",
            Score => "score",
            ScoreDesc => "-score",
        }
    }

    pub fn cursor_of(self, clinic: &PublicClinic) -> Cursor {
        use ClinicOrder::*;
        let key = match self {
            Name | NameDesc => serde_json::Value::String(clinic.name.clone()),
            Price | PriceDesc => serde_json::Value::String(
                clinic
                    .price_from_usd
                    .map_or_else(|| UNKNOWN_PRICE_SORT.to_owned(), |p| p.to_string()),
            ),
            PatientsPerYear | PatientsPerYearDesc => {
                serde_json::Value::from(clinic.patients_per_year.unwrap_or(-1))
            }
            Score | ScoreDesc => serde_json::Value::String(clinic.score.to_string()),
        };
        Cursor { key, id: clinic.id }
    }
}

/// The maximum price of a list, converted to USD, with the amount and currency the client asked
/// for (the token scope keeps what was asked, so equal requests share tokens).
#[derive(Debug, Clone)]
pub struct MaxPrice {
    pub usd: Decimal,
    pub asked: String,
}

/// The validated filters, order and page size of `GET /v1/clinics`.
#[derive(Debug, Clone, Default)]
pub struct ClinicFilter {
    pub country: Option<String>,
    /// As given (trimmed); matched case-insensitively.
    pub city: Option<String>,
    pub condition: Option<String>,
    pub cell_type: Option<String>,
    pub accreditation: Option<String>,
    pub language_range: Option<String>,
    pub serves_children: Option<bool>,
    pub min_patients_per_year: Option<i32>,
    pub max_price: Option<MaxPrice>,
    pub q: Option<String>,
    /// Also list clinics with a critical red flag.
    pub include_flagged: bool,
    pub order: ClinicOrder,
    pub size: i64,
    pub page_token: Option<String>,
}

impl ClinicFilter {
    /// Checks every parameter against the reference data and the bounds, into a 400
    /// `invalid-query` naming it. `currency` was already checked by the caller.
    pub fn parse(
        reference: &Reference,
        params: &ClinicListParams,
        currency: Option<&str>,
    ) -> Result<Self, ApiError> {
        let size = page_size(params.page_size)?;
        let mut filter = Self {
            include_flagged: params.include_flagged == Some(true),
            order: params.order_by.unwrap_or_default(),
            size,
            page_token: params.page_token.clone(),
            serves_children: params.serves_children,
            ..Self::default()
        };
        if let Some(raw) = &params.country {
            filter.country = Some(reference.known_country("country", raw)?);
        }
        if let Some(city) = &params.city {
            filter.city = Some(filters::search_text("city", city)?);
        }
        if let Some(raw) = &params.condition {
            filter.condition = Some(reference.known_condition("condition", raw)?);
        }
        if let Some(raw) = &params.cell_type {
            filter.cell_type = Some(reference.known_cell_type("cell_type", raw)?.0);
        }
        if let Some(body) = &params.accreditation {
            filter.accreditation = Some(filters::search_text("accreditation", body)?);
        }
        if let Some(raw) = &params.language {
            filter.language_range = Some(filters::language_range("language", raw)?);
        }
        if let Some(min) = params.min_patients_per_year {
            if min < 0 {
                return Err(ApiError::invalid_query(
                    "min_patients_per_year",
                    "must be 0 or more",
                ));
            }
            filter.min_patients_per_year = Some(min);
        }
        if let Some(raw) = &params.max_price {
            let amount = filters::amount("max_price", raw)?;
            let from = currency.unwrap_or("USD");
            let usd: Decimal = reference
                .rates
                .to_usd(amount, from)
                .ok_or_else(|| ApiError::invalid_query("currency", "has no exchange rate"))?;
            filter.max_price = Some(MaxPrice {
                usd,
                asked: format!("{amount}{from}"),
            });
        }
        if let Some(q) = &params.q {
            filter.q = Some(filters::search_text("q", q)?);
        }
        Ok(filter)
    }
}
