//! The filters, order and paging of `GET /v1/clinics` as a client sends them.

use serde::Deserialize;
use utoipa::IntoParams;

pub use crate::clinics::domain::ClinicOrder;
use crate::clinics::fields::ClinicFieldList;

/// Filters, order and paging of `GET /v1/clinics`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClinicListParams {
    /// ISO 3166-1 alpha-2 country code.
    #[param(example = "TR", min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
    /// City, case-insensitive exact match.
    #[param(
        example = "Istanbul",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub city: Option<String>,
    /// Condition slug covered by a published package.
    #[param(
        example = "sciatica",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub condition: Option<String>,
    /// Cell type slug used by a published package.
    #[param(
        example = "bm-msc",
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$"
    )]
    pub cell_type: Option<String>,
    /// Accreditation body on record, e.g. `JCI`.
    #[param(
        example = "JCI",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub accreditation: Option<String>,
    /// A language the clinic serves patients in: a BCP 47 tag or its leading part, matched
    /// case-insensitively (RFC 4647 basic filtering): `es` finds clinics listing `es` or `es-MX`,
    /// `es-MX` only those listing `es-MX` or a longer tag. Clinics whose languages are unknown are
    /// not listed.
    #[param(value_type = Option<crate::openapi::items::LanguageTag>, inline, example = "es")]
    pub language: Option<String>,
    /// `true`: clinics known to treat children; `false`: clinics known not to.
    pub serves_children: Option<bool>,
    /// Minimum known patients per year.
    #[param(minimum = 0, example = 1000, maximum = 2147483647)]
    pub min_patients_per_year: Option<i32>,
    /// Highest acceptable cheapest-package price, in `currency`.
    #[param(example = "9000", max_length = 15, pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
    pub max_price: Option<String>,
    /// ISO 4217 code for `max_price` and for the converted prices added to each item.
    #[param(example = "EUR", min_length = 3, max_length = 3, pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    /// Full-text search over name, city, specialties and description.
    #[param(
        example = "bangkok",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub q: Option<String>,
    /// `true` also lists clinics with a critical red flag (on the clinic or one of its packages),
    /// which default lists and searches leave out; each item carries its flags either way.
    pub include_flagged: Option<bool>,
    /// Allow-listed order (default `-score`).
    #[param(inline)]
    pub order_by: Option<ClinicOrder>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
    /// Sparse fields: only these top-level fields of each item, comma-separated (all when
    /// absent), e.g. `id,name,country,city,price_from,red_flags` for a list screen. Allowed:
    /// `red_flags`, `has_critical_red_flags`, `listed_by_default`, `id`, `slug`, `name`,
    /// `country`, `city`, `website`, `ownership`, `specialty_scope`, `specialties`,
    /// `years_experience`, `years_experience_note`, `patients_per_year`, `ages_served`,
    /// `patient_origin_regions`, `languages`, `disclosures`, `notable_technology`, `description`,
    /// `claims`, `conditions_treated`, `conditions`, `accreditations`, `regulatory_status`,
    /// `rank_explanation`, `promoted`, `price_from`, `response_time`, `evidence`,
    /// `claims_beyond_evidence`, `unknown_fields`, `notes`, `source`, `created_at`, `updated_at`.
    /// Medical honesty adds companions: `claims`, `description`, `disclosures`, `accreditations`
    /// and `notable_technology` (the clinic's own words) bring `red_flags` and
    /// `has_critical_red_flags`; `years_experience` brings `years_experience_note` and `source`;
    /// `patients_per_year` brings `source`; `claims_beyond_evidence` brings `evidence`. An unknown,
    /// empty or repeated name is a 400 `invalid-query` naming it and listing the allowed ones.
    /// Page tokens are bound to the field set. See docs/SPARSE_FIELDS.md.
    #[param(value_type = Option<ClinicFieldList>, inline, style = Form, explode = false)]
    pub fields: Option<String>,
}
