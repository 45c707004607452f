use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use uuid::Uuid;

use crate::fhir::outcome::{FhirError, FHIR_JSON};
use crate::fhir::repo;
use crate::fhir::resources::{instant, Bundle, BundleEntry, BundleLink, EntrySearch, Resource};
use crate::fhir::search::{self, ResourceType};
use crate::fhir::{map, practitioner_map};
use crate::http_cache::cacheable_bytes;
use crate::pagination::Cursor;
use crate::state::AppState;

/// The base URL of this FHIR server as the client reached it, e.g. `http://127.0.0.1:8080/fhir/r4`.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/fhir/r4", info.scheme(), info.host())
}

/// FHIR JSON with the catalogue's validators, or the OperationOutcome of the error.
pub fn respond<T: Serialize>(req: &HttpRequest, result: Result<T, FhirError>) -> HttpResponse {
    match result.and_then(|body| {
        serde_json::to_vec(&body).map_err(|e| FhirError::from(crate::error::ApiError::internal(e)))
    }) {
        Ok(bytes) => cacheable_bytes(req, bytes, FHIR_JSON),
        Err(error) => error.response(),
    }
}

/// Runs a search of `resource` and builds its `searchset` Bundle.
pub async fn search(
    req: &HttpRequest,
    state: &AppState,
    resource: ResourceType,
) -> Result<Bundle, FhirError> {
    let search = search::parse(resource, req.query_string())?;
    let scope = search.scope(resource);
    let after = search
        .page_token
        .as_deref()
        .map(|token| {
            state
                .page_tokens
                .verify(&scope, token)
                .map(|cursor| cursor.id)
                .map_err(|e| FhirError::invalid(format!("_page_token {}", e.detail)))
        })
        .transpose()?;
    let base = base_url(req);
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let limit = search.count + 1;
    let (total, mut entries): (i64, Vec<(Uuid, Resource)>) = match resource {
        ResourceType::Organization | ResourceType::Location => {
            let total = repo::count_clinics(&mut conn, &search).await?;
            let rows = repo::clinics(&mut conn, &search, after, limit).await?;
            let entries = rows
                .iter()
                .map(|clinic| {
                    let resource = if resource == ResourceType::Organization {
                        Resource::Organization(map::organization(clinic))
                    } else {
                        Resource::Location(map::location(clinic))
                    };
                    (clinic.id, resource)
                })
                .collect();
            (total, entries)
        }
        ResourceType::HealthcareService => {
            let total = repo::count_packages(&mut conn, &search).await?;
            let rows = repo::packages(&mut conn, &search, after, limit).await?;
            let entries = rows
                .iter()
                .map(|row| {
                    let service = map::healthcare_service(&row.package, Some(&row.clinic_name));
                    (row.package.id, Resource::HealthcareService(service))
                })
                .collect();
            (total, entries)
        }
        ResourceType::Practitioner | ResourceType::PractitionerRole => {
            let total = repo::count_practitioners(&mut conn, &search).await?;
            let rows = repo::practitioners(&mut conn, &search, after, limit).await?;
            let entries = practitioner_entries(&mut conn, state, resource, rows).await?;
            (total, entries)
        }
    };
    let size = usize::try_from(search.count).unwrap_or(usize::MAX);
    let has_more = entries.len() > size;
    entries.truncate(size);
    let type_url = format!("{base}/{}", resource.name());
    let mut link = vec![BundleLink {
        relation: "self",
        url: match req.query_string() {
            "" => type_url.clone(),
            query => format!("{type_url}?{query}"),
        },
    }];
    if let (true, Some((last, _))) = (has_more, entries.last()) {
        let token = state.page_tokens.issue(
            &scope,
            &Cursor {
                key: serde_json::Value::String(last.to_string()),
                id: *last,
            },
        );
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(search.params.iter());
        query.append_pair("_page_token", &token);
        link.push(BundleLink {
            relation: "next",
            url: format!("{type_url}?{}", query.finish()),
        });
    }
    Ok(Bundle {
        resource_type: "Bundle",
        kind: "searchset",
        timestamp: instant(chrono::Utc::now()),
        total,
        link,
        entry: entries
            .into_iter()
            .map(|(id, resource)| BundleEntry {
                full_url: format!("{type_url}/{id}"),
                resource,
                search: EntrySearch { mode: "match" },
            })
            .collect(),
    })
}

/// Practitioners as `Practitioner` (with their licence checks) or `PractitionerRole` resources.
async fn practitioner_entries(
    conn: &mut diesel_async::AsyncPgConnection,
    state: &AppState,
    resource: ResourceType,
    rows: Vec<repo::PractitionerRow>,
) -> Result<Vec<(Uuid, Resource)>, FhirError> {
    if resource == ResourceType::PractitionerRole {
        return Ok(rows
            .iter()
            .map(|row| {
                let role = practitioner_map::practitioner_role(&row.practitioner, &row.clinic_name);
                (row.practitioner.id, Resource::PractitionerRole(role))
            })
            .collect());
    }
    let people: Vec<_> = rows.into_iter().map(|row| row.practitioner).collect();
    let records = crate::practitioners::view::licence_records(conn, &people).await?;
    let today = state.clock.today();
    Ok(people
        .iter()
        .map(|p| {
            let resource = practitioner_map::practitioner(p, records.get(&p.id), today);
            (p.id, Resource::Practitioner(resource))
        })
        .collect())
}

/// Reads one public resource by its logical id.
pub async fn read(
    req: &HttpRequest,
    state: &AppState,
    resource: ResourceType,
    raw_id: &str,
) -> Result<Resource, FhirError> {
    if let Some((name, _)) = url::form_urlencoded::parse(req.query_string().as_bytes()).next() {
        return Err(FhirError::not_supported(format!(
            "unknown parameter `{name}`: a read takes no parameters"
        )));
    }
    let missing = || FhirError::not_found(format!("{}/{raw_id} is not known", resource.name()));
    let id = Uuid::parse_str(raw_id).map_err(|_| missing())?;
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    match resource {
        ResourceType::Organization => repo::clinic(&mut conn, id)
            .await?
            .map(|c| Resource::Organization(map::organization(&c))),
        ResourceType::Location => repo::clinic(&mut conn, id)
            .await?
            .map(|c| Resource::Location(map::location(&c))),
        ResourceType::HealthcareService => repo::package(&mut conn, id).await?.map(|row| {
            Resource::HealthcareService(map::healthcare_service(&row.package, Some(&row.clinic_name)))
        }),
        ResourceType::Practitioner | ResourceType::PractitionerRole => {
            match repo::practitioner(&mut conn, id).await? {
                Some(row) => practitioner_entries(&mut conn, state, resource, vec![row])
                    .await?
                    .pop()
                    .map(|(_, resource)| resource),
                None => None,
            }
        }
    }
    .ok_or_else(missing)
}

macro_rules! fhir_endpoints {
    (
        $search_fn:ident, $read_fn:ident, $resource:ident, $path:literal, $read_path:literal,
        $search_summary:literal, $search_doc:literal, $read_summary:literal, $read_doc:literal,
        [$($extra:tt)*]
    ) => {
        #[doc = $search_summary]
        #[doc = ""]
        #[doc = $search_doc]
        #[utoipa::path(
            tag = "fhir",
            params(
                ("_count" = Option<i64>, Query, description = "Entries per page, 1–100 (default 20)", minimum = 1, maximum = 100),
                ("_lastUpdated" = Option<String>, Query, description = "`gt|ge|lt|le` + a date (the whole UTC day) or an RFC 3339 date-time, on `meta.lastUpdated`; may repeat", example = "ge2026-01-01",
                    max_length = 64, pattern = r"^(gt|ge|lt|le)[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$"),
                ("_page_token" = Option<String>, Query, description = "Opaque, signed token of a `next` link (bound to the same filters)",
                    max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"),
                $($extra)*
            ),
            responses(
                (status = 200, description = "A `searchset` Bundle", content_type = "application/fhir+json"),
                (status = 304, description = "Not modified"),
                (status = 400, description = "Unknown parameter or bad value: an OperationOutcome", content_type = "application/fhir+json"),
                (status = 503, description = "The database is unavailable: an OperationOutcome", content_type = "application/fhir+json"),
            ),
            security(())
        )]
        #[get($path)]
        pub async fn $search_fn(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
            let result = search(&req, &state, ResourceType::$resource).await;
            respond(&req, result)
        }

        #[doc = $read_summary]
        #[doc = ""]
        #[doc = $read_doc]
        #[utoipa::path(
            tag = "fhir",
            params(("id" = Uuid, Path, description = "Logical id (a UUID)")),
            responses(
                (status = 200, description = "The resource", content_type = "application/fhir+json"),
                (status = 304, description = "Not modified"),
                (status = 400, description = "A query parameter was given: an OperationOutcome", content_type = "application/fhir+json"),
                (status = 404, description = "Unknown, malformed or non-public id: an OperationOutcome", content_type = "application/fhir+json"),
                (status = 503, description = "The database is unavailable: an OperationOutcome", content_type = "application/fhir+json"),
            ),
            security(())
        )]
        #[get($read_path)]
        pub async fn $read_fn(req: HttpRequest, state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
            let result = read(&req, &state, ResourceType::$resource, &id).await;
            respond(&req, result)
        }
    };
}

fhir_endpoints!(
    search_organizations,
    read_organization,
    Organization,
    "/fhir/r4/Organization",
    "/fhir/r4/Organization/{id}",
    "Search Organizations (FHIR R4)",
    "A FHIR R4 `searchset` Bundle of public, approved clinics as healthcare provider Organizations \
(`type` `prov`, identifier system `urn:stemcare:clinic` with the clinic's slug), ordered by id. Search with \
`_count` (1–100, default 20), `_lastUpdated` and `address-country`; follow `Bundle.link` `next` for more. \
Any other parameter is refused with a 400 OperationOutcome.",
    "Read an Organization (FHIR R4)",
    "One public clinic as a FHIR R4 Organization. Unknown, malformed or non-public ids answer 404 with an OperationOutcome.",
    [("address-country" = Option<String>, Query, description = "ISO 3166-1 alpha-2 code of `address.country` (case-insensitive)", example = "TR", min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")]
);
fhir_endpoints!(
    search_locations,
    read_location,
    Location,
    "/fhir/r4/Location",
    "/fhir/r4/Location/{id}",
    "Search Locations (FHIR R4)",
    "A FHIR R4 `searchset` Bundle of the public clinics' premises as Locations (same id as the clinic's \
Organization, `managingOrganization` `Organization/<id>`), ordered by id. Search with `_count` (1–100, default 20), \
`_lastUpdated` and `address-country`; follow `Bundle.link` `next` for more. Any other parameter is refused with a \
400 OperationOutcome.",
    "Read a Location (FHIR R4)",
    "One public clinic's premises as a FHIR R4 Location. Unknown, malformed or non-public ids answer 404 with an OperationOutcome.",
    [("address-country" = Option<String>, Query, description = "ISO 3166-1 alpha-2 code of `address.country` (case-insensitive)", example = "TR", min_length = 2, max_length = 2, pattern = "^[A-Za-z]{2}$")]
);
fhir_endpoints!(
    search_healthcare_services,
    read_healthcare_service,
    HealthcareService,
    "/fhir/r4/HealthcareService",
    "/fhir/r4/HealthcareService/{id}",
    "Search HealthcareServices (FHIR R4)",
    "A FHIR R4 `searchset` Bundle of public treatment packages as HealthcareServices (`providedBy` the clinic's \
Organization, at its Location), ordered by id. The indicative price is in `comment`; `extraDetails` says that \
prices are indicative and dated. Search with `_count` (1–100, default 20) and `_lastUpdated`; follow \
`Bundle.link` `next` for more. Any other parameter is refused with a 400 OperationOutcome.",
    "Read a HealthcareService (FHIR R4)",
    "One public treatment package as a FHIR R4 HealthcareService. Unknown, malformed or non-public ids answer 404 with an OperationOutcome.",
    []
);
fhir_endpoints!(
    search_practitioners,
    read_practitioner,
    Practitioner,
    "/fhir/r4/Practitioner",
    "/fhir/r4/Practitioner/{id}",
    "Search Practitioners (FHIR R4)",
    "A FHIR R4 `searchset` Bundle of the practitioners public clinics name, ordered by id. A licence is a \
`qualification` (number, issuing body) whose Plan-Net `practitioner-qualification` status is `active` only while a \
StemCare verification confirms it (`unknown` otherwise), and whose check is a contained `VerificationResult` \
(`validated`, `req-revalid`, `val-fail`, or `attested` by the clinic when unchecked). Search with `_count` \
(1–100, default 20) and `_lastUpdated`; follow `Bundle.link` `next` for more. Any other parameter is refused with \
a 400 OperationOutcome.",
    "Read a Practitioner (FHIR R4)",
    "One practitioner of a public clinic as a FHIR R4 Practitioner, with its licence and that licence's verification. \
Unknown, malformed or non-public ids answer 404 with an OperationOutcome.",
    []
);
fhir_endpoints!(
    search_practitioner_roles,
    read_practitioner_role,
    PractitionerRole,
    "/fhir/r4/PractitionerRole",
    "/fhir/r4/PractitionerRole/{id}",
    "Search PractitionerRoles (FHIR R4)",
    "A FHIR R4 `searchset` Bundle of the named practitioners' roles at public clinics (same id as the Practitioner; \
`organization` and `location` are the clinic's), ordered by id. Search with `_count` (1–100, default 20) and \
`_lastUpdated`; follow `Bundle.link` `next` for more. Any other parameter is refused with a 400 OperationOutcome.",
    "Read a PractitionerRole (FHIR R4)",
    "One named practitioner's role at a public clinic as a FHIR R4 PractitionerRole. Unknown, malformed or \
non-public ids answer 404 with an OperationOutcome.",
    []
);
