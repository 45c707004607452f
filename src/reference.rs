//! Slow-changing reference data (exchange rates, evidence links and the vocabularies of countries,
//! conditions and cell types), cached per process for a short time.
//!
//! Every catalogue request needs this data and it changes only through seeds and staff endpoints,
//! so reading it from Postgres on every request spent most of a request's database round trips on
//! rows that had not changed (see README "Performance"). A snapshot lives for
//! `STEMCARE_REFERENCE_TTL_SECONDS` (default 5; 0 reads it on every request). Staff writes on this
//! instance drop the snapshot at once; other instances see the change within the TTL.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::countries::regulatory::{CountryRegulation, RegulatoryStatus};
use crate::db::schema::{cell_types, conditions, countries};
use crate::error::ApiError;
use crate::evidence::EvidenceLinks;
use crate::money::Rates;

/// `(code, stated, claim, note, source, verified_at, verified_source)` of a country.
type RegulationRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    serde_json::Value,
    Option<chrono::NaiveDate>,
    Option<serde_json::Value>,
);

/// One consistent snapshot of the reference data.
pub struct Reference {
    pub rates: Rates,
    pub evidence: EvidenceLinks,
    /// Listed country code → regulatory status of stem cell therapy for back pain there.
    countries: BTreeMap<String, String>,
    conditions: BTreeSet<String>,
    /// Condition slugs with `spine_indication` (the FDA context applies to them).
    spine_conditions: BTreeSet<String>,
    /// Listed country code → its regulatory facts, as patients see them (`countries::regulatory`).
    regulations: BTreeMap<String, Arc<CountryRegulation>>,
    /// Cell type slug → clinical status (`in_use` or `research`).
    cell_types: BTreeMap<String, String>,
}

impl Reference {
    async fn load(conn: &mut &AsyncPgConnection) -> Result<Self, ApiError> {
        let rates = Rates::load(conn).await?;
        let evidence = EvidenceLinks::load(conn).await?;
        let countries: Vec<(String, String)> = countries::table
            .select((countries::code, countries::regulatory_status))
            .load(conn)
            .await?;
        let condition_rows: Vec<(String, bool)> = conditions::table
            .select((conditions::slug, conditions::spine_indication))
            .load(conn)
            .await?;
        let regulation_rows: Vec<RegulationRow> = countries::table
            .select((
                countries::code,
                countries::regulatory_status,
                countries::regulatory_claim,
                countries::regulatory_note,
                countries::source,
                countries::regulatory_verified_at,
                countries::regulatory_verified_source,
            ))
            .load(conn)
            .await?;
        let regulations = regulation_rows
            .into_iter()
            .map(
                |(code, stated, claim, note, source, verified_at, verified_source)| {
                    let regulation = CountryRegulation {
                        stated,
                        claim,
                        note,
                        source,
                        verified_at,
                        verified_source,
                    };
                    (code, Arc::new(regulation))
                },
            )
            .collect();
        let spine_conditions = condition_rows
            .iter()
            .filter(|(_, spine)| *spine)
            .map(|(slug, _)| slug.clone())
            .collect();
        let conditions: Vec<String> = condition_rows.into_iter().map(|(slug, _)| slug).collect();
        let cell_types: Vec<(String, String)> = cell_types::table
            .select((cell_types::slug, cell_types::clinical_status))
            .load(conn)
            .await?;
        Ok(Self {
            rates,
            evidence,
            countries: countries.into_iter().collect(),
            conditions: conditions.into_iter().collect(),
            spine_conditions,
            regulations,
            cell_types: cell_types.into_iter().collect(),
        })
    }

    /// A listed country code (any case, as sent: `^[A-Za-z]{2}$`) or a 400 naming the listed ones.
    pub fn known_country(&self, field: &str, raw: &str) -> Result<String, ApiError> {
        let code = raw.to_ascii_uppercase();
        if self.countries.contains_key(&code) {
            return Ok(code);
        }
        let known: Vec<&str> = self.countries.keys().map(String::as_str).collect();
        Err(ApiError::invalid_query(
            field,
            format!("`{raw}` is not a listed country; use one of {}", known.join(", ")),
        ))
    }

    /// A known condition slug or a 400.
    pub fn known_condition(&self, field: &str, raw: &str) -> Result<String, ApiError> {
        if self.conditions.contains(raw) {
            return Ok(raw.to_owned());
        }
        Err(ApiError::invalid_query(
            field,
            format!("`{raw}` is not a known condition slug (see GET /v1/conditions)"),
        ))
    }

    /// Whether `slug` is a known condition (for body validation, which reports its own errors).
    pub fn is_condition(&self, slug: &str) -> bool {
        self.conditions.contains(slug)
    }

    /// A known cell type slug and its clinical status (`in_use` or `research`), or a 400.
    pub fn known_cell_type(&self, field: &str, raw: &str) -> Result<(String, String), ApiError> {
        match self.cell_types.get(raw) {
            Some(status) => Ok((raw.to_owned(), status.clone())),
            None => Err(ApiError::invalid_query(
                field,
                format!("`{raw}` is not a known cell type slug (see GET /v1/cell-types)"),
            )),
        }
    }

    /// Whether `slug` is a known cell type.
    pub fn is_cell_type(&self, slug: &str) -> bool {
        self.cell_types.contains_key(slug)
    }

    /// Listed country codes, sorted.
    pub fn country_codes(&self) -> Vec<&str> {
        self.countries.keys().map(String::as_str).collect()
    }

    /// Slugs of the cell types in clinical use (not research-only), sorted.
    pub fn cell_types_in_use(&self) -> Vec<&str> {
        self.cell_types
            .iter()
            .filter(|(_, status)| status.as_str() == "in_use")
            .map(|(slug, _)| slug.as_str())
            .collect()
    }

    /// The regulatory status of a listed country.
    pub fn regulatory_status(&self, code: &str) -> Option<&str> {
        self.countries.get(code).map(String::as_str)
    }

    /// Whether any of `conditions` is a spine indication.
    pub fn any_spine(&self, conditions: &[String]) -> bool {
        conditions.iter().any(|c| self.spine_conditions.contains(c))
    }

    /// The regulatory status shown for a listing in `country_code` covering `conditions`: the
    /// country's sourced statement, with the FDA context for spine indications.
    pub fn regulatory(&self, country_code: &str, conditions: &[String]) -> RegulatoryStatus {
        let spine = self.any_spine(conditions);
        match self.regulations.get(country_code) {
            Some(regulation) => regulation.present(spine),
            None => crate::countries::regulatory::unknown(spine),
        }
    }
}

/// The per-process cache of [`Reference`].
pub struct ReferenceCache {
    ttl: Duration,
    current: RwLock<Option<(Instant, Arc<Reference>)>>,
}

impl ReferenceCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            current: RwLock::new(None),
        }
    }

    /// The current snapshot, read from the database when it is older than the TTL.
    /// Takes a shared reference, so pooled (`&mut &*conn`) and shared connections both serve.
    pub async fn get(&self, conn: &mut &AsyncPgConnection) -> Result<Arc<Reference>, ApiError> {
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        // Concurrent misses may each load once; the snapshot is small and the TTL bounds this.
        let loaded = Arc::new(Reference::load(conn).await?);
        if let Ok(mut current) = self.current.write() {
            *current = Some((Instant::now(), Arc::clone(&loaded)));
        }
        Ok(loaded)
    }

    fn fresh(&self) -> Option<Arc<Reference>> {
        let current = self.current.read().ok()?;
        let (loaded_at, reference) = current.as_ref()?;
        (loaded_at.elapsed() < self.ttl).then(|| Arc::clone(reference))
    }

    /// Drops the snapshot after a write to reference data, so this instance reads it afresh.
    pub fn invalidate(&self) {
        if let Ok(mut current) = self.current.write() {
            *current = None;
        }
    }
}
