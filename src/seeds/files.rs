//! The seed files, their strict shapes, and the upsert statement for each.

use serde::Deserialize;
use serde_json::Value;

use super::upserts::*;

const CONDITIONS: &str = include_str!("../../seeds/catalogue/conditions.json");
const CELL_TYPES: &str = include_str!("../../seeds/catalogue/cell_types.json");
const METHODS: &str = include_str!("../../seeds/catalogue/administration_methods.json");
const COUNTRIES: &str = include_str!("../../seeds/catalogue/countries.json");
const RATES: &str = include_str!("../../seeds/catalogue/exchange_rates.json");
const VOCABULARY: &str = include_str!("../../seeds/catalogue/inclusion_vocabulary.json");
const RULES: &str = include_str!("../../seeds/catalogue/red_flag_rules.json");
const CLINICS: &str = include_str!("../../seeds/catalogue/clinics.json");
const PACKAGES: &str = include_str!("../../seeds/catalogue/treatment_packages.json");
const STUDIES: &str = include_str!("../../seeds/evidence/studies.json");
const SUMMARIES: &str = include_str!("../../seeds/evidence/evidence_summaries.json");

/// Where a seeded fact comes from. Required on every record.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read to validate the shape; stored as JSON
pub(super) struct Source {
    title: String,
    url: Option<String>,
    section: Option<String>,
    retrieved_at: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(super) struct PriceRange {
    min: rust_decimal::Decimal,
    max: Option<rust_decimal::Decimal>,
    currency: String,
}

macro_rules! strict_record {
    ($name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        pub(super) struct $name { $(pub(super) $field: $ty),* }
    };
}

strict_record!(Condition { slug: String, name: String, description: String, body_region: String, spine_indication: bool, cell_types: Vec<String>, administration_methods: Vec<String>, usage_study_slugs: Vec<String>, usage_note: Option<String>, usage_source: Option<Source>, source: Source });
strict_record!(CellType { slug: String, name: String, abbreviation: String, source_tissue: Option<String>, collection_method: Option<String>, autologous: Option<bool>, allogeneic: Option<bool>, clinical_status: String, description: String, source: Source });
strict_record!(Method { slug: String, name: String, description: String, imaging_guidance: Option<String>, source: Source });
strict_record!(Country { code: String, name: String, regulatory_status: String, regulatory_claim: Option<String>, regulatory_note: Option<String>, insurance_note: Option<String>, injection_price: Option<PriceRange>, package_price: Option<PriceRange>, price_as_of: Option<String>, price_date_note: Option<String>, price_source: Option<Source>, source: Source });
strict_record!(Rate { currency: String, units_per_usd: rust_decimal::Decimal, as_of: String, source: Source, derivation: Option<String> });
strict_record!(VocabularyItem {
    code: String,
    label: String,
    description: String,
    source: Source
});
strict_record!(Rule { code: String, version: i32, title: String, description: String, severity: String, detection: String, patterns: Vec<String>, source_url: Option<String>, source_note: Option<String> });
strict_record!(Claim {
    text: String,
    kind: String,
    topic: crate::clinics::ClaimTopic
});
strict_record!(Clinic {
    slug: String, name: String, country: String, city: Option<String>, ownership: Option<String>,
    specialty_scope: Option<String>, specialties: Vec<String>, years_experience: Option<i32>,
    years_experience_note: Option<String>, patients_per_year: Option<i32>,
    patients_per_year_scope: Option<VolumeScope>, patients_per_year_verified_value: Option<i32>,
    serves_adults: Option<bool>,
    serves_children: Option<bool>, min_age: Option<i32>, patient_origin_regions: Vec<String>,
    notable_technology: Vec<String>, description: String, claims: Vec<Claim>, conditions_treated: Vec<String>,
    stem_cell_indications: Vec<String>, stem_cell_indications_note: Option<String>, accreditations: Vec<Value>,
    offers_stem_cell_back_pain: bool, notes: Option<String>, source: Source,
});
strict_record!(Package {
    slug: String, clinic_slug: String, title: String, conditions: Vec<String>, cell_type: Option<String>,
    cell_source: Option<String>, administration_method: Option<String>, injections: Option<i32>,
    price: PriceRange, price_basis: String, price_provenance: String, price_as_of: String,
    price_source: Source, inclusions: Vec<String>, exclusions: Vec<String>, unknown_items: Vec<String>,
    add_ons: Vec<Value>, source: Source,
});

strict_record!(Intervention { cell_type: Option<String>, cell_source: Option<String>, administration_method: Option<String>, description: String });
strict_record!(Study {
    slug: String, title: String, publication: Option<String>, year: Option<i32>, url: Option<String>,
    pmcid: Option<String>, doi: Option<String>, design: crate::evidence::grading::Design,
    oxford_level: Option<i32>, participants: Option<i32>, follow_up_months: Option<i32>,
    has_control_group: Option<bool>, conditions: Vec<String>, population: String, intervention: Intervention,
    comparator: Option<String>, outcome_measures: Vec<String>, result_as_stated: String,
    adverse_events_as_stated: Option<String>, reported_via: String, article_text: Option<String>,
    cited_source: Option<String>, possible_origin_note: Option<String>, funding_coi: FundingCoi, source: Source,
});
strict_record!(FundingCoi { status: crate::evidence::funding::FundingStatus, text: String, source: Option<Source> });

/// What a clinic's patients-per-year figure counts.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum VolumeScope {
    StemCellTreatment,
    AllCare,
}

strict_record!(Summary {
    slug: String, condition: String, cell_type: Option<String>, study_slugs: Vec<String>,
    expected_certainty: Option<crate::evidence::grading::Certainty>, benefit_range: Option<String>,
    known_harms: Option<String>, plain_summary: String, unknowns: Vec<String>, regulatory_context: String,
    last_reviewed_at: chrono::NaiveDate, source: Source,
});

/// Every study a summary cites must be seeded (the column is an array, so no foreign key checks it).
fn check_citations() -> Result<(), String> {
    let studies: Vec<Study> =
        serde_json::from_str(STUDIES).map_err(|e| format!("seeds/evidence/studies.json: {e}"))?;
    for study in &studies {
        super::checks::check_study(study).map_err(|e| format!("seeds/evidence/studies.json: {e}"))?;
    }
    super::checks::check_condition_usage(CONDITIONS, &studies)?;
    let summaries: Vec<Summary> = serde_json::from_str(SUMMARIES)
        .map_err(|e| format!("seeds/evidence/evidence_summaries.json: {e}"))?;
    for summary in &summaries {
        for slug in &summary.study_slugs {
            if !studies.iter().any(|s| &s.slug == slug) {
                return Err(format!(
                    "seeds/evidence/evidence_summaries.json: {} cites unknown study {slug}",
                    summary.slug
                ));
            }
        }
    }
    Ok(())
}

/// The parsed seed files, ready to be upserted.
pub struct SeedFiles {
    documents: Vec<(&'static str, Value)>,
}

fn parse<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> Result<Value, String> {
    serde_json::from_str::<Vec<T>>(text).map_err(|e| format!("seeds/catalogue/{name}.json: {e}"))?;
    serde_json::from_str(text).map_err(|e| format!("seeds/catalogue/{name}.json: {e}"))
}

/// Validates one study record (the seed shape) and returns the upsert statement and its document.
pub(crate) fn study_upsert(record: &Value) -> Result<(&'static str, Value), String> {
    super::checks::check_study(&serde_json::from_value::<Study>(record.clone()).map_err(|e| e.to_string())?)?;
    Ok((UPSERT_STUDIES, Value::Array(vec![record.clone()])))
}

/// Validates one evidence summary record (the seed shape; `expected_certainty` is optional).
pub(crate) fn summary_upsert(record: &Value) -> Result<(&'static str, Value), String> {
    serde_json::from_value::<Summary>(record.clone()).map_err(|e| e.to_string())?;
    Ok((UPSERT_SUMMARIES, Value::Array(vec![record.clone()])))
}

fn parse_evidence<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> Result<Value, String> {
    serde_json::from_str::<Vec<T>>(text).map_err(|e| format!("seeds/evidence/{name}.json: {e}"))?;
    serde_json::from_str(text).map_err(|e| format!("seeds/evidence/{name}.json: {e}"))
}

impl SeedFiles {
    pub fn parse() -> Result<Self, String> {
        check_citations()?;
        let vocabulary: Value = parse::<VocabularyItem>("inclusion_vocabulary", VOCABULARY)?;
        // The vocabulary's order is its display order.
        let vocabulary = Value::Array(
            vocabulary
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(position, item)| {
                    let mut item = item.clone();
                    item["position"] = Value::from(position);
                    item
                })
                .collect(),
        );
        Ok(Self {
            documents: vec![
                (UPSERT_CONDITIONS, parse::<Condition>("conditions", CONDITIONS)?),
                (UPSERT_CELL_TYPES, parse::<CellType>("cell_types", CELL_TYPES)?),
                (
                    UPSERT_METHODS,
                    parse::<Method>("administration_methods", METHODS)?,
                ),
                (UPSERT_COUNTRIES, parse::<Country>("countries", COUNTRIES)?),
                (UPSERT_RATES, parse::<Rate>("exchange_rates", RATES)?),
                (UPSERT_VOCABULARY, vocabulary),
                (UPSERT_RULES, parse::<Rule>("red_flag_rules", RULES)?),
                (UPSERT_CLINICS, parse::<Clinic>("clinics", CLINICS)?),
                (UPSERT_PACKAGES, parse::<Package>("treatment_packages", PACKAGES)?),
                (UPSERT_STUDIES, parse_evidence::<Study>("studies", STUDIES)?),
                (
                    UPSERT_SUMMARIES,
                    parse_evidence::<Summary>("evidence_summaries", SUMMARIES)?,
                ),
            ],
        })
    }

    /// One `(sql, document)` pair per table, in dependency order; `$1` is the document.
    pub fn statements(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.documents.iter().map(|(sql, data)| (*sql, data))
    }

    /// The red-flag rules as seeded (for the rule engine).
    pub fn rules_json() -> &'static str {
        RULES
    }
}
