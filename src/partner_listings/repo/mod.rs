//! Every statement on partner listings: optimistic versions, fingerprints for "unchanged", and
//! the red-flag/moderation pass after every change. Split by table: `clinics`, `packages`, and
//! `moderation` (the pass that decides what is public).

mod clinics;
mod moderation;
mod packages;

pub use clinics::*;
pub use moderation::after_change;
pub use packages::*;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};

use crate::db::schema::{
    administration_methods, cell_types, conditions, countries, exchange_rates, inclusion_items,
};
use crate::partner_listings::domain::Vocabularies;

/// Owned copies of the catalogue values validation checks against.
pub struct VocabularyData {
    pub countries: Vec<String>,
    pub conditions: Vec<String>,
    pub cell_types: Vec<String>,
    pub methods: Vec<String>,
    pub inclusions: Vec<String>,
    pub currencies: Vec<String>,
}

impl VocabularyData {
    /// Reads every vocabulary from the database.
    pub async fn load(conn: &mut AsyncPgConnection) -> QueryResult<Self> {
        Ok(Self {
            countries: countries::table.select(countries::code).load(conn).await?,
            conditions: conditions::table.select(conditions::slug).load(conn).await?,
            cell_types: cell_types::table
                .filter(cell_types::clinical_status.eq("in_use"))
                .select(cell_types::slug)
                .load(conn)
                .await?,
            methods: administration_methods::table
                .select(administration_methods::slug)
                .load(conn)
                .await?,
            inclusions: inclusion_items::table
                .select(inclusion_items::code)
                .load(conn)
                .await?,
            currencies: exchange_rates::table
                .select(exchange_rates::currency)
                .load(conn)
                .await?,
        })
    }

    /// Borrowed views for the parsers.
    pub fn view(&self) -> Vocabularies<'_> {
        Vocabularies {
            countries: &self.countries,
            conditions: &self.conditions,
            cell_types: &self.cell_types,
            methods: &self.methods,
            inclusions: &self.inclusions,
            currencies: &self.currencies,
        }
    }
}

/// SHA-256 of a value's canonical JSON.
pub fn fingerprint(value: &impl serde::Serialize) -> Vec<u8> {
    let canonical = serde_json::to_value(value)
        .map(|v| v.to_string())
        .unwrap_or_default();
    Sha256::digest(canonical.as_bytes()).to_vec()
}
