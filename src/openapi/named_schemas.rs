//! utoipa 5 inlines a generic's type argument, so `ScreenedPage<ClinicResponse>` carries a whole
//! copy of `ClinicResponse` although that schema is a component of its own. Each such copy is
//! replaced by a `$ref` to the component it equals: the same schema, written once, and one type
//! for a client generator instead of two.

use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{OpenApi, Ref, RefOr};

pub fn refer_to_named_schemas(document: &mut OpenApi) {
    let Some(components) = document.components.as_mut() else {
        return;
    };
    // Only objects with properties: a bare `string` or enum equal to a component by chance is
    // not a copy of it.
    let named: Vec<(String, Schema)> = components
        .schemas
        .iter()
        .filter_map(|(name, schema)| match schema {
            RefOr::T(schema @ Schema::Object(object)) if !object.properties.is_empty() => {
                Some((name.clone(), schema.clone()))
            }
            _ => None,
        })
        .collect();
    if named.is_empty() {
        return;
    }
    for schema in components.schemas.values_mut() {
        if let RefOr::T(schema) = schema {
            refer_inside(schema, &named);
        }
    }
}

/// Replaces copies below `schema` (never `schema` itself: a component stays what it is).
fn refer_inside(schema: &mut Schema, named: &[(String, Schema)]) {
    match schema {
        Schema::Object(object) => object
            .properties
            .values_mut()
            .for_each(|property| refer(property, named)),
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                refer(items, named);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(|item| refer(item, named)),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(|item| refer(item, named)),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(|item| refer(item, named)),
        _ => {}
    }
}

fn refer(schema: &mut RefOr<Schema>, named: &[(String, Schema)]) {
    let RefOr::T(inline) = schema else {
        return;
    };
    match named.iter().find(|(_, component)| component == inline) {
        Some((name, _)) => *schema = RefOr::Ref(Ref::from_schema_name(name.clone())),
        None => refer_inside(inline, named),
    }
}
