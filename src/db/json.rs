//! jsonb columns read straight into typed values.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::Jsonb;
use serde::de::DeserializeOwned;

/// A jsonb column decoded into `T` without an intermediate `serde_json::Value` (building that
/// tree and then reading it again cost ~4% of a clinic page's CPU), or `T::default()` when the
/// stored JSON does not have `T`'s shape: StemCare writes these columns itself, and one malformed
/// value should show as empty rather than fail every page it appears on.
///
/// Use it with `#[diesel(deserialize_as = JsonbOrDefault<Vec<T>>)]` on a field of type `Vec<T>`.
#[derive(Debug, FromSqlRow)]
#[diesel(sql_type = Jsonb)]
pub struct JsonbOrDefault<T>(pub T);

impl<T: DeserializeOwned + Default> FromSql<Jsonb, Pg> for JsonbOrDefault<T> {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        // jsonb's binary form is a format version byte (1) followed by the JSON text.
        match value.as_bytes().split_first() {
            Some((1, json)) => Ok(Self(serde_json::from_slice(json).unwrap_or_default())),
            _ => Err("jsonb in an unsupported binary format".into()),
        }
    }
}

/// What `deserialize_as` needs to turn the wrapper into the field's type.
impl<T> From<JsonbOrDefault<Vec<T>>> for Vec<T> {
    fn from(value: JsonbOrDefault<Vec<T>>) -> Self {
        value.0
    }
}
