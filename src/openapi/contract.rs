//! What every operation shares, added to the generated document after the handlers are
//! collected: the common problem responses (401, 429, 500, `4XX`, `5XX`), the rate-limit and CORS
//! headers, the server entry, the admin security scheme and the OpenAPI `links` that say how a
//! created resource is read back. Kept here so the handlers' annotations stay about the handler;
//! the shared responses and their headers are built in `responses`.

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{OpenApi, RefOr};

use super::responses::document_responses;

/// Exempt from rate limiting (see `rate_limit::exempt`): probes and the spec never answer 429.
const RATE_LIMIT_EXEMPT: [&str; 3] = ["/healthz", "/readyz", "/v1/openapi.json"];

/// The security scheme of `/v1/admin/*`: an admin staff key, never a partner key or quote token.
pub const ADMIN_SCHEME: &str = "admin_key";

pub fn apply(document: &mut OpenApi) {
    add_servers(document);
    add_admin_scheme(document);
    for (path, item) in document.paths.paths.iter_mut() {
        let rate_limited = !RATE_LIMIT_EXEMPT.contains(&path.as_str());
        let admin = path.starts_with("/v1/admin/");
        let fhir = path.starts_with("/fhir/");
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            if admin {
                operation.security = Some(vec![SecurityRequirement::new(ADMIN_SCHEME, Vec::<String>::new())]);
            }
            bound_parameters(operation);
            document_responses(operation, rate_limited, fhir);
        }
    }
    add_links(document);
    drop_unreferenced_schemas(document);
    if let Some(components) = document.components.as_mut() {
        for schema in components.schemas.values_mut() {
            bound_formatted_strings(schema);
        }
    }
    super::named_schemas::refer_to_named_schemas(document);
    super::components::share(document);
}

/// The length of strings whose format fixes it: UUIDs (36 characters in the hyphenated form the
/// API writes), dates (`YYYY-MM-DD`) and date-times (RFC 3339; 64 leaves room for nine fractional
/// digits and an offset). Declared once here rather than on every id and timestamp field.
fn bound_formatted_strings(schema: &mut RefOr<utoipa::openapi::schema::Schema>) {
    use utoipa::openapi::schema::{ArrayItems, KnownFormat, Schema, SchemaFormat};
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(object) => {
            if object.max_length.is_none() {
                object.max_length = match &object.format {
                    Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)) => Some(36),
                    Some(SchemaFormat::KnownFormat(KnownFormat::Date)) => Some(10),
                    Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)) => Some(64),
                    _ => None,
                };
            }
            object.properties.values_mut().for_each(bound_formatted_strings);
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                bound_formatted_strings(items);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(bound_formatted_strings),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(bound_formatted_strings),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(bound_formatted_strings),
        _ => {}
    }
}

/// utoipa registers every `ToSchema` type a handler names, including list items that are inlined
/// in their page type; a component nothing refers to only confuses readers and linters.
fn drop_unreferenced_schemas(document: &mut OpenApi) {
    use std::collections::BTreeSet;
    fn collect(value: &serde_json::Value, found: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("$ref", serde_json::Value::String(target)) => {
                            if let Some(name) = target.strip_prefix("#/components/schemas/") {
                                found.insert(name.to_owned());
                            }
                        }
                        _ => collect(value, found),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| collect(item, found)),
            _ => {}
        }
    }
    let Ok(mut outside) = serde_json::to_value(&*document) else {
        return;
    };
    if let Some(components) = outside.get_mut("components").and_then(|c| c.as_object_mut()) {
        components.remove("schemas");
    }
    let Some(components) = document.components.as_mut() else {
        return;
    };
    let Ok(schemas) = serde_json::to_value(&components.schemas) else {
        return;
    };
    let mut live = BTreeSet::new();
    collect(&outside, &mut live);
    let mut frontier: Vec<String> = live.iter().cloned().collect();
    while let Some(name) = frontier.pop() {
        let mut inner = BTreeSet::new();
        if let Some(schema) = schemas.get(&name) {
            collect(schema, &mut inner);
        }
        frontier.extend(inner.into_iter().filter(|next| live.insert(next.clone())));
    }
    components.schemas.retain(|name, _| live.contains(name));
}

/// Bounds the server enforces on shared parameters, declared where the handlers name them:
/// `Idempotency-Key` (1–255 visible ASCII, see `idempotency`) and UUID path ids (36 characters).
fn bound_parameters(operation: &mut Operation) {
    use utoipa::openapi::schema::{KnownFormat, Schema, SchemaFormat};
    for parameter in operation.parameters.iter_mut().flatten() {
        let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut() else {
            continue;
        };
        if parameter.name == "Idempotency-Key" {
            schema.min_length = Some(1);
            schema.max_length = Some(255);
            schema.pattern = Some("^[!-~]+$".to_owned());
        } else if schema.format == Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)) {
            schema.max_length = Some(36);
        }
    }
}

fn add_servers(document: &mut OpenApi) {
    let mut extensions = Extensions::default();
    extensions.insert("x-internal".to_owned(), serde_json::Value::Bool(false));
    document.servers = Some(vec![ServerBuilder::new()
        .url("/")
        .description(Some(
            "The host that serves this document (local development, staging or production alike)",
        ))
        .extensions(Some(extensions))
        .build()]);
}

fn add_admin_scheme(document: &mut OpenApi) {
    let components = document.components.get_or_insert_with(Default::default);
    let mut scheme = Http::new(HttpAuthScheme::Bearer);
    scheme.description = Some(
        "An admin staff API key (`sk_live_…`, created with `stemcare api-keys create --role admin`). \
Partner keys and quote tokens get 403 here."
            .to_owned(),
    );
    components.add_security_scheme(ADMIN_SCHEME, SecurityScheme::Http(scheme));
}

/// How a created resource is read back (OpenAPI links; Schemathesis's stateful phase follows them).
type LinkSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);
const LINKS: &[LinkSpec] = &[
    // (source operation, status, link name, target operation, parameters)
    (
        "create_quote",
        "201",
        "GetQuote",
        "get_quote",
        &[("id", "$response.body#/quote/id")],
    ),
    (
        "create_quote",
        "201",
        "ListOffers",
        "list_offers",
        &[("id", "$response.body#/quote/id")],
    ),
    (
        "create_clinic",
        "201",
        "GetOwnClinic",
        "get_own_clinic",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_clinic",
        "201",
        "CreatePackage",
        "create_package",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_clinic",
        "201",
        "PatchOwnClinic",
        "patch_clinic",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_clinic",
        "201",
        "ListOwnPractitioners",
        "list_own_practitioners",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_clinic",
        "201",
        "CreatePractitioner",
        "create_practitioner",
        &[("id", "$response.body#/id")],
    ),
    // A package response names its clinic only in the request's path.
    (
        "create_package",
        "201",
        "PatchPackage",
        "patch_package",
        &[("id", "$request.path.id"), ("package_id", "$response.body#/id")],
    ),
    (
        "create_package",
        "201",
        "DeletePackage",
        "delete_package",
        &[("id", "$request.path.id"), ("package_id", "$response.body#/id")],
    ),
    (
        "create_practitioner",
        "201",
        "GetOwnPractitioner",
        "get_own_practitioner",
        &[
            ("id", "$response.body#/clinic_id"),
            ("practitioner_id", "$response.body#/id"),
        ],
    ),
    (
        "create_practitioner",
        "201",
        "PatchPractitioner",
        "patch_practitioner",
        &[
            ("id", "$response.body#/clinic_id"),
            ("practitioner_id", "$response.body#/id"),
        ],
    ),
    (
        "create_webhook_endpoint",
        "201",
        "GetWebhookEndpoint",
        "get_webhook_endpoint",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_staff_webhook_endpoint",
        "201",
        "GetStaffWebhookEndpoint",
        "get_staff_webhook_endpoint",
        &[("id", "$response.body#/id")],
    ),
];

fn add_links(document: &mut OpenApi) {
    let known: std::collections::BTreeSet<String> = document
        .paths
        .paths
        .values()
        .flat_map(|item| {
            [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
                .filter_map(|operation| operation.operation_id.clone())
                .collect::<Vec<_>>()
        })
        .collect();
    for item in document.paths.paths.values_mut() {
        let Some(operation) = item.post.as_mut() else {
            continue;
        };
        let Some(id) = operation.operation_id.clone() else {
            continue;
        };
        for (source, status, name, target, parameters) in LINKS {
            if *source != id || !known.contains(*target) {
                continue;
            }
            let Some(RefOr::T(response)) = operation.responses.responses.get_mut(*status) else {
                continue;
            };
            // utoipa 5 serialises `Link::operation_id` as `operation_id`; OpenAPI spells it
            // `operationId`, so it goes in through the flattened extensions.
            let mut target_id = Extensions::default();
            target_id.insert("operationId".to_owned(), serde_json::Value::from(*target));
            let mut link = LinkBuilder::new()
                .description(format!("Read back with `{target}`"))
                .extensions(Some(target_id));
            for (parameter, expression) in *parameters {
                link = link.parameter(*parameter, *expression);
            }
            response.links.insert((*name).to_owned(), RefOr::T(link.build()));
        }
    }
}
