//! The wire shape of a package and its price, shared by the clinic and package endpoints.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::countries::regulatory::RegulatoryStatus;
use crate::money::{AppliedRate, Rates};
use crate::openapi::items::InclusionCode;
use crate::red_flags::RedFlag;
use crate::sparse_fields::FieldCatalog;
use crate::treatment_packages::model::TreatmentPackage;

/// A price as listed: `exact` (min = max), `range`, or `from` (no maximum known).
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct PackagePrice {
    #[schema(example = "range")]
    pub kind: String,
    #[schema(value_type = String, example = "7000.00")]
    #[serde(with = "rust_decimal::serde::str")]
    pub min: Decimal,
    #[schema(value_type = Option<String>, example = "10500.00")]
    #[serde(with = "rust_decimal::serde::str_option")]
    pub max: Option<Decimal>,
    #[schema(example = "USD")]
    pub currency: String,
}

/// The price in the currency the caller asked for, with the rate used and its date.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ConvertedPrice {
    #[schema(value_type = String, example = "5948.84")]
    #[serde(with = "rust_decimal::serde::str")]
    pub min: Decimal,
    #[schema(value_type = Option<String>, example = "8923.26")]
    #[serde(with = "rust_decimal::serde::str_option")]
    pub max: Option<Decimal>,
    #[schema(example = "EUR")]
    pub currency: String,
    pub rate: AppliedRate,
}

impl PackagePrice {
    pub fn of(package: &TreatmentPackage) -> Self {
        Self {
            kind: package.price_kind.clone(),
            min: package.price_min,
            max: package.price_max,
            currency: package.currency.clone(),
        }
    }

    /// This price in `currency`; `None` when a rate is missing.
    pub fn convert(&self, rates: &Rates, currency: &str) -> Option<ConvertedPrice> {
        let (min, rate) = rates.convert(self.min, &self.currency, currency)?;
        let max = match self.max {
            Some(max) => Some(rates.convert(max, &self.currency, currency)?.0),
            None => None,
        };
        Some(ConvertedPrice {
            min,
            max,
            currency: currency.to_owned(),
            rate,
        })
    }
}

/// A treatment package. Its red flags come first: a patient reads the warnings before the rest.
///
/// Every property is sent unless `fields=` asked for others (properties are optional only for that
/// reason; see docs/SPARSE_FIELDS.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct TreatmentPackageResponse {
    /// Most severe first; see `GET /v1/red-flag-rules` for every rule and its source.
    #[schema(required = false)]
    pub red_flags: Vec<RedFlag>,
    /// False when a critical red flag (on the package or its clinic) leaves it out of default
    /// lists and quote estimates; `include_flagged=true` lists it.
    #[schema(required = false)]
    pub listed_by_default: bool,
    #[schema(required = false)]
    pub id: Uuid,
    #[schema(example = "liv-hospital-ulus-back-pain-indicative")]
    #[schema(required = false)]
    pub slug: String,
    #[schema(required = false)]
    pub clinic_id: Uuid,
    #[schema(example = "Liv Hospital Ulus")]
    #[schema(required = false)]
    pub clinic_name: String,
    /// ISO 3166-1 alpha-2 code of the clinic's country.
    #[schema(example = "TR")]
    #[schema(required = false)]
    pub country: String,
    /// Regulatory status of stem cell therapy for back pain in that country, as a sourced statement
    /// (`verified`, `claimed` or `unknown`), with the US FDA context for spine indications.
    #[schema(required = false)]
    pub regulatory_status: RegulatoryStatus,
    #[schema(required = false)]
    pub title: String,
    /// Condition slugs covered.
    #[schema(required = false)]
    pub conditions: Vec<String>,
    /// Cell type slug; null when the source does not say.
    #[schema(required = false)]
    pub cell_type: Option<String>,
    /// `autologous` or `allogeneic`; null when the source does not say.
    #[schema(required = false)]
    pub cell_source: Option<String>,
    /// Administration method slug; null when the source does not say.
    #[schema(required = false)]
    pub administration_method: Option<String>,
    /// Number of injections; null when the source does not say.
    #[schema(required = false)]
    pub injections: Option<i32>,
    #[schema(required = false)]
    pub price: PackagePrice,
    /// Present when `currency` was requested.
    #[schema(required = false)]
    pub converted_price: Option<ConvertedPrice>,
    /// `per_injection` or `package`.
    #[schema(example = "package")]
    #[schema(required = false)]
    pub price_basis: String,
    /// `regional_indicative` (StemCare's estimate from a regional range, not the clinic's price),
    /// `clinic_listed` or `firm_offer`.
    #[schema(example = "regional_indicative")]
    #[schema(required = false)]
    pub price_provenance: String,
    /// When the price was recorded.
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::json_time::date")]
    #[schema(required = false)]
    pub price_as_of: NaiveDate,
    #[schema(required = false)]
    pub price_date_note: Option<String>,
    #[schema(value_type = Object)]
    #[schema(required = false)]
    pub price_source: serde_json::Value,
    /// Included items (inclusion vocabulary codes, `GET /v1/inclusion-items`).
    #[schema(required = false, value_type = Vec<InclusionCode>)]
    pub inclusions: Vec<String>,
    /// Items explicitly not included.
    #[schema(required = false, value_type = Vec<InclusionCode>)]
    pub exclusions: Vec<String>,
    /// Items the source says nothing about: ask before booking.
    #[schema(required = false, value_type = Vec<InclusionCode>)]
    pub unknown_items: Vec<String>,
    /// Priced extras, where known.
    #[schema(value_type = Vec<Object>)]
    #[schema(required = false)]
    pub add_ons: serde_json::Value,
    /// Evidence summaries for the conditions in `conditions` (`GET /v1/evidence-summaries/{summary_id}`).
    #[schema(value_type = Vec<crate::evidence::EvidenceLink>)]
    #[schema(required = false)]
    pub evidence: Vec<std::sync::Arc<crate::evidence::EvidenceLink>>,
    /// True when this listing makes an efficacy claim (red flag `GUARANTEED_OUTCOME`,
    /// `OUTCOME_CLAIM_UNSOURCED` or `REGENERATE_AVOID_SURGERY`) while no condition it lists has
    /// evidence of at least moderate certainty: the claim goes beyond the evidence.
    #[schema(required = false)]
    pub claims_beyond_evidence: bool,
    /// Fields left null because the source does not give them.
    #[schema(required = false)]
    pub unknown_fields: Vec<&'static str>,
    #[schema(value_type = Object)]
    #[schema(required = false)]
    pub source: serde_json::Value,
    #[serde(serialize_with = "crate::json_time::timestamp")]
    #[schema(required = false)]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::json_time::timestamp")]
    #[schema(required = false)]
    pub updated_at: DateTime<Utc>,
}

/// What the presenter needs besides the package itself.
pub struct PackageContext<'a> {
    pub clinic_name: &'a str,
    pub country: &'a str,
    pub regulatory_status: RegulatoryStatus,
    pub display: Option<(&'a Rates, &'a str)>,
    pub red_flags: Vec<RedFlag>,
}

pub fn present(package: &TreatmentPackage, context: PackageContext<'_>) -> TreatmentPackageResponse {
    let price = PackagePrice::of(package);
    let converted_price = context
        .display
        .and_then(|(rates, currency)| price.convert(rates, currency));
    let unknown_fields = [
        ("cell_type", package.cell_type.is_none()),
        ("cell_source", package.cell_source.is_none()),
        ("administration_method", package.administration_method.is_none()),
        ("injections", package.injections.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    TreatmentPackageResponse {
        red_flags: context.red_flags,
        listed_by_default: !package.has_critical_flag,
        id: package.id,
        slug: package.slug.clone(),
        clinic_id: package.clinic_id,
        clinic_name: context.clinic_name.to_owned(),
        country: context.country.to_owned(),
        regulatory_status: context.regulatory_status,
        title: package.title.clone(),
        conditions: package.conditions.clone(),
        cell_type: package.cell_type.clone(),
        cell_source: package.cell_source.clone(),
        administration_method: package.administration_method.clone(),
        injections: package.injections,
        price,
        converted_price,
        price_basis: package.price_basis.clone(),
        price_provenance: package.price_provenance.clone(),
        price_as_of: package.price_as_of,
        price_date_note: package.price_date_note.clone(),
        price_source: package.price_source.clone(),
        inclusions: package.inclusions.clone(),
        exclusions: package.exclusions.clone(),
        unknown_items: package.unknown_items.clone(),
        add_ons: package.add_ons.clone(),
        evidence: Vec::new(),
        claims_beyond_evidence: false,
        unknown_fields,
        source: package.source.clone(),
        created_at: package.created_at,
        updated_at: package.updated_at,
    }
}

/// The top-level fields of [`TreatmentPackageResponse`] that `fields=` may name, in serialisation
/// order, and their companions (docs/SPARSE_FIELDS.md): a price brings its basis (the
/// denominator: per injection or per package), provenance, date and source; what a price includes
/// brings what is unknown about it; the evidence verdict brings the evidence it rests on.
pub static PACKAGE_FIELDS: FieldCatalog = FieldCatalog {
    names: &[
        "red_flags",
        "listed_by_default",
        "id",
        "slug",
        "clinic_id",
        "clinic_name",
        "country",
        "regulatory_status",
        "title",
        "conditions",
        "cell_type",
        "cell_source",
        "administration_method",
        "injections",
        "price",
        "converted_price",
        "price_basis",
        "price_provenance",
        "price_as_of",
        "price_date_note",
        "price_source",
        "inclusions",
        "exclusions",
        "unknown_items",
        "add_ons",
        "evidence",
        "claims_beyond_evidence",
        "unknown_fields",
        "source",
        "created_at",
        "updated_at",
    ],
    companions: &[
        ("price", PRICE_COMPANIONS),
        ("converted_price", CONVERTED_COMPANIONS),
        ("add_ons", &["price_as_of", "price_source"]),
        ("inclusions", &["unknown_items"]),
        ("exclusions", &["unknown_items"]),
        ("claims_beyond_evidence", &["evidence"]),
    ],
};

/// The `fields` parameter of package reads: names from [`PACKAGE_FIELDS`].
pub struct PackageFieldList;

impl utoipa::PartialSchema for PackageFieldList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        PACKAGE_FIELDS.param_schema()
    }
}

impl ToSchema for PackageFieldList {}

const PRICE_COMPANIONS: &[&str] = &[
    "price_basis",
    "price_provenance",
    "price_as_of",
    "price_date_note",
    "price_source",
];

const CONVERTED_COMPANIONS: &[&str] = &[
    "price",
    "price_basis",
    "price_provenance",
    "price_as_of",
    "price_date_note",
    "price_source",
];
