use actix_web::{get, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::fhir::routes::{base_url, respond};
use crate::fhir::search::ResourceType;

/// When this CapabilityStatement last changed (its `date`).
const PUBLISHED: &str = "2026-12-07";

fn search_params(resource: ResourceType) -> Value {
    let name = resource.name();
    let mut params = vec![json!({
        "name": "_lastUpdated",
        "definition": "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
        "type": "date",
        "documentation": "Prefixes gt, ge, lt, le with a date (the whole UTC day) or a date-time; may repeat."
    })];
    if resource.has_address() {
        params.push(json!({
            "name": "address-country",
            "definition": format!("http://hl7.org/fhir/SearchParameter/{name}-address-country"),
            "type": "string",
            "documentation": "ISO 3166-1 alpha-2 code, matched exactly (case-insensitive)."
        }));
    }
    Value::Array(params)
}

/// The server's CapabilityStatement: read and search-type on five resource types, JSON only.
pub fn capability_statement(base: &str) -> Value {
    let resources: Vec<Value> = ResourceType::ALL
        .iter()
        .map(|resource| {
            json!({
                "type": resource.name(),
                "profile": format!("http://hl7.org/fhir/StructureDefinition/{}", resource.name()),
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "versioning": "no-version",
                "readHistory": false,
                "updateCreate": false,
                "searchParam": search_params(*resource)
            })
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": PUBLISHED,
        "publisher": "StemCare",
        "kind": "instance",
        "software": {"name": "StemCare API", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {
            "description": "StemCare's read-only directory of public stem cell therapy clinics, their treatment packages and their named practitioners",
            "url": base
        },
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": "Public, approved listings only; no authentication. Searches accept _count (1-100, \
    default 20) and page with Bundle.link next (an opaque, signed _page_token). Unknown parameters are refused \
    with a 400 OperationOutcome. Prices are indicative and dated. Information, not medical advice.",
            "security": {"cors": false, "description": "Public read-only data; no authentication."},
            "resource": resources
        }]
    })
}

/// The FHIR CapabilityStatement
///
/// What this FHIR R4 (4.0.1) server offers: `read` and `search-type` on Organization, Location,
/// HealthcareService, Practitioner and PractitionerRole, their search parameters (`_lastUpdated`,
/// and `address-country` on Organization and Location) and the `application/fhir+json` format.
#[utoipa::path(
    tag = "fhir",
    responses(
        (status = 200, description = "A CapabilityStatement", content_type = "application/fhir+json"),
        (status = 304, description = "Not modified"),
    ),
    security(())
)]
#[get("/fhir/r4/metadata")]
pub async fn get_capability_statement(req: HttpRequest) -> HttpResponse {
    let statement = capability_statement(&base_url(&req));
    respond(&req, Ok(statement))
}
