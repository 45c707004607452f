//! `fields=`: sparse catalogue responses (issue 22, docs/SPARSE_FIELDS.md).
//!
//! A client names the top-level fields of an item it wants (`fields=id,name,country`); the answer
//! holds exactly those, plus the *companions* medical honesty ties to them (a figure brings its
//! source and denominator, a clinic's own claims bring its red flags). A [`FieldCatalog`] states a
//! resource's names and companions once; [`FieldSet::parse`] validates a request's list against it
//! (an unknown, empty or repeated name is a 400 that lists the allowed names), and [`Sparse`]
//! serialises a value with only the fields of the set. Handlers use the set to skip the reads no
//! asked field needs, and bind it into page tokens so a page of one shape never continues another.

use serde::ser::{Error as _, Impossible, SerializeMap, SerializeStruct, Serializer};
use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType};
use utoipa::openapi::{RefOr, Schema, Type};

use crate::error::ApiError;

/// The longest `fields` value accepted (every name of the largest catalogue fits with room).
pub const MAX_FIELDS_PARAM: usize = 1000;

/// The names a resource's items can be trimmed to, and the companions each brings.
#[derive(Debug)]
pub struct FieldCatalog {
    /// The item's top-level keys, in the order they are serialised (at most 64).
    pub names: &'static [&'static str],
    /// `(field, companions)`: asking for `field` also sends `companions`.
    pub companions: &'static [(&'static str, &'static [&'static str])],
}

impl FieldCatalog {
    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }

    fn bit(&self, name: &str) -> Option<u64> {
        self.index(name).map(|i| 1u64 << i)
    }

    /// The allowed names, comma-separated, for error messages and the parameter's description.
    pub fn allowed(&self) -> String {
        self.names.join(", ")
    }

    /// The `fields` parameter's schema: a comma-separated list (`style: form, explode: false`) of
    /// distinct names from this catalogue.
    pub fn param_schema(&self) -> RefOr<Schema> {
        let names = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(self.names.iter().copied()));
        ArrayBuilder::new()
            .schema_type(SchemaType::new(Type::Array))
            .items(names)
            .min_items(Some(1))
            .max_items(Some(self.names.len()))
            .unique_items(true)
            .into()
    }
}

/// A validated `fields` list with its companions added.
#[derive(Debug, Clone, Copy)]
pub struct FieldSet {
    mask: u64,
    catalog: &'static FieldCatalog,
}

impl FieldSet {
    /// Validates `raw` (`None`: the parameter was absent, every field is sent).
    pub fn parse(catalog: &'static FieldCatalog, raw: Option<&str>) -> Result<Option<Self>, ApiError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let refuse = |message: String| ApiError::invalid_query("fields", message);
        if raw.len() > MAX_FIELDS_PARAM {
            return Err(refuse(format!("must be at most {MAX_FIELDS_PARAM} characters")));
        }
        let mut asked = 0u64;
        for name in raw.split(',') {
            if name.is_empty() {
                return Err(refuse(format!(
                    "has an empty name; give comma-separated names from: {}",
                    catalog.allowed()
                )));
            }
            let bit = catalog.bit(name).ok_or_else(|| {
                refuse(format!(
                    "names an unknown field `{}`; allowed: {}",
                    name.escape_debug(),
                    catalog.allowed()
                ))
            })?;
            if asked & bit != 0 {
                return Err(refuse(format!("names `{name}` twice")));
            }
            asked |= bit;
        }
        let mut mask = asked;
        for (field, companions) in catalog.companions {
            if catalog.bit(field).is_some_and(|bit| asked & bit != 0) {
                mask |= companions
                    .iter()
                    .filter_map(|c| catalog.bit(c))
                    .fold(0, |a, b| a | b);
            }
        }
        Ok(Some(Self { mask, catalog }))
    }

    /// Whether the answer carries `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.catalog.bit(name).is_some_and(|bit| self.mask & bit != 0)
    }

    /// Whether the answer carries `name`, guessing it is the catalogue's name at `*cursor` (a
    /// struct serialises its fields in catalogue order, so the guess is one comparison instead of
    /// a search); moves the cursor past the name found.
    fn contains_from(&self, cursor: &mut usize, name: &str) -> bool {
        let index = match self.catalog.names.get(*cursor) {
            Some(guess) if *guess == name => *cursor,
            _ => match self.catalog.index(name) {
                Some(index) => index,
                None => return false,
            },
        };
        *cursor = index + 1;
        self.mask & (1u64 << index) != 0
    }

    /// Whether the answer carries any of `names`.
    pub fn any(&self, names: &[&str]) -> bool {
        names.iter().any(|name| self.contains(name))
    }

    /// The set in canonical form (catalogue order, companions included), for page-token scopes:
    /// requests that send the same fields share tokens.
    pub fn canonical(&self) -> String {
        self.catalog
            .names
            .iter()
            .filter(|name| self.contains(name))
            .copied()
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Whether an answer under `fields` (absent: every field) needs any of `names`.
pub fn needs(fields: Option<&FieldSet>, names: &[&str]) -> bool {
    fields.is_none_or(|set| set.any(names))
}

/// Runs `read` on `input` when an asked field needs it (`Some`), else answers the empty default:
/// `skip_unless(needs(..).then_some(&ids), |ids| repo::read(conn, ids))`.
pub async fn skip_unless<I, T, E, F, Fut>(input: Option<I>, read: F) -> Result<T, E>
where
    T: Default,
    F: FnOnce(I) -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    match input {
        Some(input) => read(input).await,
        None => Ok(T::default()),
    }
}

/// The scope suffix binding page tokens to a field set (empty without `fields`).
pub fn scope_of(fields: Option<&FieldSet>) -> String {
    fields.map_or_else(String::new, |set| format!("|fields={}", set.canonical()))
}

/// `value` serialised with only the fields of `fields` (all of them when `None`), plus the keys
/// in `always` (e.g. `disclaimer` beside a flattened item). `T` must serialise as a struct or a
/// map with string keys (a `#[serde(flatten)]` struct serialises as a map).
#[derive(Debug)]
pub struct Sparse<'a, T> {
    pub value: T,
    pub fields: Option<&'a FieldSet>,
    pub always: &'static [&'static str],
}

impl<'a, T> Sparse<'a, T> {
    pub fn new(value: T, fields: Option<&'a FieldSet>) -> Self {
        Self {
            value,
            fields,
            always: &[],
        }
    }
}

impl<T: Serialize> Serialize for Sparse<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.fields {
            None => self.value.serialize(serializer),
            Some(fields) => self.value.serialize(Trim {
                inner: serializer,
                keep: Keep {
                    fields,
                    always: self.always,
                },
            }),
        }
    }
}

#[derive(Clone, Copy)]
struct Keep<'a> {
    fields: &'a FieldSet,
    always: &'static [&'static str],
}

impl Keep<'_> {
    fn keeps(&self, key: &str) -> bool {
        self.fields.contains(key) || self.always.contains(&key)
    }

    /// [`Self::keeps`] for a struct's field, with the position cursor of [`FieldSet::contains_from`].
    fn keeps_field(&self, cursor: &mut usize, key: &str) -> bool {
        self.fields.contains_from(cursor, key) || self.always.contains(&key)
    }
}

/// A serializer that writes a struct (or string-keyed map) as a map of only the kept keys.
struct Trim<'a, S> {
    inner: S,
    keep: Keep<'a>,
}

/// Every serializer method other than a struct or a map refuses: sparse fields apply to objects.
macro_rules! refuse {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $ty),*) -> Result<$ret, Self::Error> {
            Err(S::Error::custom("sparse fields apply to objects only"))
        })*
    };
}

impl<'a, S: Serializer> Serializer for Trim<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = TrimMap<'a, S::SerializeMap>;
    type SerializeStruct = TrimMap<'a, S::SerializeMap>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    refuse! {
        serialize_bool(v: bool) -> S::Ok;
        serialize_i8(v: i8) -> S::Ok;
        serialize_i16(v: i16) -> S::Ok;
        serialize_i32(v: i32) -> S::Ok;
        serialize_i64(v: i64) -> S::Ok;
        serialize_u8(v: u8) -> S::Ok;
        serialize_u16(v: u16) -> S::Ok;
        serialize_u32(v: u32) -> S::Ok;
        serialize_u64(v: u64) -> S::Ok;
        serialize_f32(v: f32) -> S::Ok;
        serialize_f64(v: f64) -> S::Ok;
        serialize_char(v: char) -> S::Ok;
        serialize_str(v: &str) -> S::Ok;
        serialize_bytes(v: &[u8]) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(name: &'static str) -> S::Ok;
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> S::Ok;
        serialize_seq(len: Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(len: usize) -> Self::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Self::SerializeTupleVariant;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(S::Error::custom("sparse fields apply to objects only"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Ok(TrimMap {
            map: self.inner.serialize_map(None)?,
            keep: self.keep,
            skip_value: false,
            cursor: 0,
        })
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, S::Error> {
        self.serialize_map(None)
    }
}

/// The object being written: kept entries pass through, others are dropped unserialised.
struct TrimMap<'a, M> {
    map: M,
    keep: Keep<'a>,
    /// The last key was dropped, so its value is too.
    skip_value: bool,
    /// Where the next struct field is expected in the catalogue.
    cursor: usize,
}

impl<M: SerializeMap> SerializeStruct for TrimMap<'_, M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        if self.keep.keeps_field(&mut self.cursor, key) {
            self.map.serialize_entry(key, value)?;
        }
        Ok(())
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.map.end()
    }
}

impl<M: SerializeMap> SerializeMap for TrimMap<'_, M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), M::Error> {
        // Keys of derived structs (flattened ones too) are short strings: read one through JSON.
        let key = serde_json::to_value(key).map_err(M::Error::custom)?;
        let key = key
            .as_str()
            .ok_or_else(|| M::Error::custom("sparse fields need string keys"))?;
        self.skip_value = !self.keep.keeps(key);
        if self.skip_value {
            Ok(())
        } else {
            self.map.serialize_key(key)
        }
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), M::Error> {
        if std::mem::take(&mut self.skip_value) {
            Ok(())
        } else {
            self.map.serialize_value(value)
        }
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static CATALOG: FieldCatalog = FieldCatalog {
        names: &["id", "name", "price", "price_source", "claims", "red_flags"],
        companions: &[("price", &["price_source"]), ("claims", &["red_flags"])],
    };

    #[derive(Serialize)]
    struct Item {
        id: u32,
        name: &'static str,
        price: Option<u32>,
        price_source: &'static str,
        claims: Vec<&'static str>,
        red_flags: Vec<&'static str>,
    }

    #[derive(Serialize)]
    struct Detail {
        #[serde(flatten)]
        item: Item,
        disclaimer: &'static str,
    }

    fn item() -> Item {
        Item {
            id: 7,
            name: "A",
            price: Some(10),
            price_source: "listed",
            claims: vec!["cures"],
            red_flags: vec!["GUARANTEED_OUTCOME"],
        }
    }

    fn parse(raw: &str) -> Result<Option<FieldSet>, ApiError> {
        FieldSet::parse(&CATALOG, Some(raw))
    }

    #[test]
    fn validates_names() {
        assert!(FieldSet::parse(&CATALOG, None).expect("absent").is_none());
        for bad in ["", "id,", ",id", "id,,name", "id,id", "nope", "id, name", "ID"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let set = parse("name,id").expect("valid").expect("set");
        assert_eq!(set.canonical(), "id,name");
        assert!(set.contains("id") && !set.contains("price"));
    }

    #[test]
    fn companions_come_along() {
        let set = parse("price,claims").expect("valid").expect("set");
        assert_eq!(set.canonical(), "price,price_source,claims,red_flags");
    }

    #[test]
    fn trims_structs_and_flattened_maps() {
        let set = parse("name,price").expect("valid").expect("set");
        let json = serde_json::to_value(Sparse::new(item(), Some(&set))).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"name": "A", "price": 10, "price_source": "listed"})
        );
        let detail = Detail {
            item: item(),
            disclaimer: "not advice",
        };
        let sparse = Sparse {
            value: detail,
            fields: Some(&set),
            always: &["disclaimer"],
        };
        assert_eq!(
            sonic_rs::to_string(&sparse).expect("sonic"),
            r#"{"name":"A","price":10,"price_source":"listed","disclaimer":"not advice"}"#
        );
        let whole = serde_json::to_value(Sparse::new(item(), None)).expect("json");
        assert_eq!(whole, serde_json::to_value(item()).expect("json"));
    }
}
