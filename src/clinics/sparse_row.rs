//! A page of clinics under `fields=` (docs/SPARSE_FIELDS.md): the SQL selects only the columns an
//! asked field needs, and each row is decoded by its column names into a [`PublicClinic`] whose
//! other fields keep their defaults. Nothing is computed from those defaults for an asked field
//! (the presenter skips what no asked field needs), and unasked fields are dropped before
//! serialisation. Decoding only the selected columns is what makes a list screen cheaper than the
//! full page, not only smaller.

use diesel::deserialize::{self, FromSql, QueryableByName};
use diesel::pg::{Pg, PgValue};
use diesel::row::{Field, NamedRow, Row};
use diesel::sql_types::{Array, Bool, Int2, Int4, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid};

use crate::clinics::domain::ClinicOrder;
use crate::clinics::model::PublicClinic;
use crate::clinics::present::Claim;
use crate::clinics::scoring::ScorePart;
use crate::db::json::JsonbOrDefault;
use crate::sparse_fields::FieldSet;

/// Stores one selected column's value into the clinic.
type Setter = fn(&mut PublicClinic, Option<PgValue<'_>>) -> deserialize::Result<()>;

/// A column of [`PublicClinic`]: its name, the fields that need it, and how its value is stored.
pub struct Column {
    pub name: &'static str,
    pub needed_by: &'static [&'static str],
    set: Setter,
}

/// `column!(name, SqlType, field.path, needed_by)`; `as Wrapper` decodes through a wrapper.
macro_rules! column {
    ($name:literal, $st:ty, $($field:ident).+, $needed_by:expr) => {
        Column {
            name: $name,
            needed_by: $needed_by,
            set: |clinic, value| {
                clinic.$($field).+ = FromSql::<$st, Pg>::from_nullable_sql(value)?;
                Ok(())
            },
        }
    };
    ($name:literal, $st:ty as $wrapper:ty, $($field:ident).+, $needed_by:expr) => {
        Column {
            name: $name,
            needed_by: $needed_by,
            set: |clinic, value| {
                let decoded: $wrapper = FromSql::<$st, Pg>::from_nullable_sql(value)?;
                clinic.$($field).+ = decoded.0;
                Ok(())
            },
        }
    };
}

const AGES: &[&str] = &["ages_served", "unknown_fields"];
const DISCLOSURES: &[&str] = &["disclosures", "unknown_fields"];
const PRICE: &[&str] = &["price_from"];

/// Every column of [`PublicClinic`], in its select-list order (a test compares them). The id is
/// always selected (flags, keyset, cursor), and so is the column of the page's order.
pub const COLUMNS: [Column; 45] = [
    column!("id", Uuid, id, &[]),
    column!("slug", Text, slug, &["slug"]),
    column!("name", Text, name, &["name"]),
    column!(
        "country_code",
        Text,
        country_code,
        &["country", "regulatory_status"]
    ),
    column!("city", Nullable<Text>, city, &["city", "unknown_fields"]),
    column!("website", Nullable<Text>, website, &["website", "unknown_fields"]),
    column!(
        "ownership",
        Nullable<Text>,
        ownership,
        &["ownership", "unknown_fields"]
    ),
    column!(
        "specialty_scope",
        Nullable<Text>,
        specialty_scope,
        &["specialty_scope", "unknown_fields"]
    ),
    column!("specialties", Array<Text>, specialties, &["specialties"]),
    column!(
        "years_experience",
        Nullable<Int4>,
        years_experience,
        &["years_experience", "unknown_fields"]
    ),
    column!(
        "years_experience_note",
        Nullable<Text>,
        years_experience_note,
        &["years_experience_note"]
    ),
    column!(
        "patients_per_year",
        Nullable<Int4>,
        patients_per_year,
        &["patients_per_year", "unknown_fields"]
    ),
    column!("serves_adults", Nullable<Bool>, serves_adults, AGES),
    column!("serves_children", Nullable<Bool>, serves_children, AGES),
    column!("min_age", Nullable<Int4>, min_age, AGES),
    column!(
        "patient_origin_regions",
        Array<Text>,
        patient_origin_regions,
        &["patient_origin_regions"]
    ),
    column!(
        "languages",
        Array<Text>,
        languages,
        &["languages", "unknown_fields"]
    ),
    column!(
        "notable_technology",
        Array<Text>,
        notable_technology,
        &["notable_technology"]
    ),
    column!("description", Text, description, &["description"]),
    column!("claims", Jsonb as JsonbOrDefault<Vec<Claim>>, claims, &["claims"]),
    column!(
        "conditions_treated",
        Array<Text>,
        conditions_treated,
        &["conditions_treated"]
    ),
    column!(
        "accreditations",
        Jsonb,
        accreditations,
        &["accreditations", "unknown_fields"]
    ),
    column!("notes", Nullable<Text>, notes, &["notes"]),
    column!("source", Jsonb, source, &["source"]),
    column!("promoted", Bool, promoted, &["promoted", "rank_explanation"]),
    column!("score", Numeric, score, &["rank_explanation"]),
    column!(
        "score_parts",
        Jsonb as JsonbOrDefault<Vec<ScorePart>>,
        score_parts,
        &["rank_explanation"]
    ),
    column!("price_from_usd", Nullable<Numeric>, price_from_usd, &[]),
    column!("price_from_min", Nullable<Numeric>, cheapest.min, PRICE),
    column!("price_from_max", Nullable<Numeric>, cheapest.max, PRICE),
    column!("price_from_kind", Nullable<Text>, cheapest.kind, PRICE),
    column!("price_from_currency", Nullable<Text>, cheapest.currency, PRICE),
    column!(
        "price_from_provenance",
        Nullable<Text>,
        cheapest.provenance,
        PRICE
    ),
    column!(
        "condition_slugs",
        Array<Text>,
        condition_slugs,
        &[
            "conditions",
            "regulatory_status",
            "evidence",
            "claims_beyond_evidence"
        ]
    ),
    column!(
        "has_critical_flag",
        Bool,
        has_critical_flag,
        &["listed_by_default"]
    ),
    column!(
        "stem_cell_efficacy_claim",
        Bool,
        stem_cell_efficacy_claim,
        &["claims_beyond_evidence"]
    ),
    column!("created_at", Timestamptz, created_at, &["created_at"]),
    column!("updated_at", Timestamptz, updated_at, &["updated_at"]),
    column!(
        "protocol_disclosure",
        Nullable<Text>,
        disclosures.protocol_disclosure,
        DISCLOSURES
    ),
    column!(
        "protocol_ref",
        Nullable<Text>,
        disclosures.protocol_ref,
        DISCLOSURES
    ),
    column!(
        "ethics_disclosure",
        Nullable<Text>,
        disclosures.ethics_disclosure,
        DISCLOSURES
    ),
    column!("ethics_ref", Nullable<Text>, disclosures.ethics_ref, DISCLOSURES),
    column!(
        "deposit_due",
        Nullable<Text>,
        disclosures.deposit_due,
        DISCLOSURES
    ),
    column!(
        "deposit_refund_pct",
        Nullable<Int2>,
        disclosures.deposit_refund_pct,
        DISCLOSURES
    ),
    column!(
        "review_hosting",
        Nullable<Text>,
        disclosures.review_hosting,
        DISCLOSURES
    ),
];

/// The select list of a page under `fields`: the columns some asked field (or the order's
/// cursor) needs, in [`COLUMNS`] order, or every column when `column_sets` is full.
pub fn select_list(fields: &FieldSet, order: ClinicOrder, column_sets: &ColumnSets) -> String {
    let needed = |column: &Column| {
        column.name == "id" || column.name == order.column() || fields.any(column.needed_by)
    };
    let mask = COLUMNS
        .iter()
        .enumerate()
        .filter(|(_, column)| needed(column))
        .fold(0u64, |mask, (i, _)| mask | 1 << i);
    let all = !column_sets.admit(mask);
    let mut list = String::with_capacity(256);
    for column in COLUMNS.iter().filter(|column| all || needed(column)) {
        if !list.is_empty() {
            list.push_str(", ");
        }
        list.push_str("c.\"");
        list.push_str(column.name);
        list.push('"');
    }
    list
}

/// How many distinct column sets a server selects before it reads every column for new ones.
/// Each set is one more prepared statement on every pooled connection (per filter combination),
/// and `fields=` names 2^37 sets: unbounded, a client could grow the server's memory one
/// statement at a time. Reading every column is correct for any set (rows decode by name), only
/// less lean.
pub const MAX_COLUMN_SETS: usize = 64;

/// The column sets a server has selected under `fields=`, at most a limit (registered as
/// `web::Data` by `startup`, one per server).
#[derive(Debug)]
pub struct ColumnSets {
    limit: usize,
    seen: std::sync::Mutex<Vec<u64>>,
}

impl Default for ColumnSets {
    fn default() -> Self {
        Self::new(MAX_COLUMN_SETS)
    }
}

impl ColumnSets {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            seen: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Whether `mask` may be selected as it is: already seen, or room for one more.
    fn admit(&self, mask: u64) -> bool {
        // A poisoned lock only means another request panicked mid-push; the list is still valid.
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.contains(&mask) {
            return true;
        }
        if seen.len() < self.limit {
            seen.push(mask);
            return true;
        }
        false
    }
}

/// A clinic of a sparse page: the selected columns decoded, the others left at their defaults.
pub struct SparseClinic(pub PublicClinic);

impl QueryableByName<Pg> for SparseClinic {
    fn build<'a>(row: &impl NamedRow<'a, Pg>) -> deserialize::Result<Self> {
        let mut clinic = PublicClinic::default();
        // Selected columns come in `COLUMNS` order, so each is found at or after the last one.
        let mut next = 0;
        for index in 0..row.field_count() {
            let field = Row::get(row, index).ok_or("a column of the row is missing")?;
            let name = field.field_name().ok_or("a column of the row has no name")?;
            let offset = COLUMNS[next..]
                .iter()
                .position(|column| column.name == name)
                .ok_or_else(|| format!("column `{name}` is not a clinic column in select-list order"))?;
            let column = &COLUMNS[next + offset];
            (column.set)(&mut clinic, field.value())?;
            next += offset + 1;
        }
        Ok(Self(clinic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_number_of_column_sets_is_admitted() {
        let sets = ColumnSets::new(2);
        assert!(sets.admit(0b011));
        assert!(sets.admit(0b101));
        assert!(!sets.admit(0b111), "a third set reads every column");
        assert!(sets.admit(0b011), "a set already used stays lean");
    }
}
